//! Data views API (`/api/data_views`, Kibana docs: "Data views").

use crate::client::{SpaceArg, array_arg, object_arg, optional, page_of, paging, required, seg};
use crate::index_patterns::{data_view, field_rows};
use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Data views per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET /api/data_views ("Get all data views"); the API returns them all, paged here.
pub fn get_data_views(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let resp = k.get("/api/data_views", &[])?;
    let all = resp["data_view"].as_array().cloned().unwrap_or_default();
    let items = page_of(&all, page, per_page);
    Output::json(&json!({
        "space": k.space(), "total": all.len(), "page": page, "per_page": per_page,
        "count": items.len(), "data_views": items,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// Data view ID.
    #[serde(alias = "dataViewId")]
    data_view_id: String,
    /// Include the full field map (large); by default only a field count and names.
    #[serde(alias = "includeFields")]
    include_fields: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn get_data_view(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let mut dv = data_view(&k, required("data_view_id", &a.data_view_id)?)?;
    if !a.include_fields.unwrap_or(false) {
        let rows = field_rows(&dv);
        dv["field_count"] = json!(rows.len());
        dv["field_names"] = json!(rows.iter().take(100).map(|r| r["name"].clone()).collect::<Vec<_>>());
        if let Some(o) = dv.as_object_mut() {
            o.remove("fields");
        }
    }
    Output::json(&dv)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Index pattern the data view matches, e.g. `logs-*`.
    title: String,
    /// Display name.
    name: Option<String>,
    /// Time field, e.g. `@timestamp`.
    #[serde(rename = "timeField", alias = "time_field", alias = "timeFieldName")]
    time_field: Option<String>,
    /// Source filters: `[{"value": "secret*"}]`.
    #[serde(rename = "sourceFilters", alias = "source_filters")]
    source_filters: Option<Value>,
    /// Field formats by field name.
    #[serde(rename = "fieldFormats", alias = "field_formats")]
    field_formats: Option<Value>,
    /// Allow creating it when no index matches yet.
    #[serde(rename = "allowNoIndex", alias = "allow_no_index")]
    allow_no_index: Option<bool>,
    /// Identifier for the new data view (default: generated).
    id: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

fn summary(dv: &Value, space: &str) -> Value {
    json!({ "id": dv["id"], "title": dv["title"], "name": dv["name"], "timeFieldName": dv["timeFieldName"],
            "version": dv["version"], "space": space })
}

/// POST /api/data_views/data_view ("Create a data view").
pub fn create_data_view(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let mut spec = json!({ "title": required("title", &a.title)? });
    if let Some(n) = optional(&a.name) {
        spec["name"] = json!(n);
    }
    if let Some(t) = optional(&a.time_field) {
        spec["timeFieldName"] = json!(t);
    }
    if let Some(f) = array_arg("sourceFilters", a.source_filters)? {
        spec["sourceFilters"] = json!(f);
    }
    if let Some(f) = object_arg("fieldFormats", a.field_formats)? {
        spec["fieldFormats"] = f;
    }
    if let Some(b) = a.allow_no_index {
        spec["allowNoIndex"] = json!(b);
    }
    if let Some(id) = optional(&a.id) {
        spec["id"] = json!(id);
    }
    let resp = k.write("POST", "/api/data_views/data_view", &[], Some(&json!({ "data_view": spec })))?;
    Output::json(&summary(&resp["data_view"], k.space()))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Data view ID.
    #[serde(alias = "dataViewId")]
    data_view_id: String,
    title: Option<String>,
    name: Option<String>,
    #[serde(rename = "timeField", alias = "time_field", alias = "timeFieldName")]
    time_field: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// POST /api/data_views/data_view/{id} ("Update a data view").
pub fn update_data_view(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("data_view_id", &a.data_view_id)?;
    let mut spec = serde_json::Map::new();
    if let Some(t) = optional(&a.title) {
        spec.insert("title".into(), json!(t));
    }
    if let Some(n) = optional(&a.name) {
        spec.insert("name".into(), json!(n));
    }
    if let Some(t) = optional(&a.time_field) {
        spec.insert("timeFieldName".into(), json!(t));
    }
    if spec.is_empty() {
        return Err(ToolError::invalid("nothing to update: give title, name or timeField"));
    }
    let path = format!("/api/data_views/data_view/{}", seg(id));
    let resp = k.write("POST", &path, &[], Some(&json!({ "data_view": spec })))?;
    Output::json(&summary(&resp["data_view"], k.space()))
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteArgs {
    /// Data view ID.
    #[serde(alias = "dataViewId")]
    data_view_id: String,
    #[serde(flatten)]
    space: SpaceArg,
}

/// DELETE /api/data_views/data_view/{id} ("Delete a data view").
pub fn delete_data_view(a: DeleteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("data_view_id", &a.data_view_id)?;
    k.write("DELETE", &format!("/api/data_views/data_view/{}", seg(id)), &[], None)?;
    Output::json(&json!({ "deleted": true, "id": id, "space": k.space() }))
}
