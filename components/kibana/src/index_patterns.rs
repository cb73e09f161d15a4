//! Index patterns: the `index-pattern` saved objects (saved objects API)
//! and their fields, default and refresh through the data views API
//! (`/api/data_views/...`), which is Kibana's current API for them.

use crate::client::{Kibana, SpaceArg, clip, object_arg, optional, paging, required, seg};
use crate::saved_objects::{
    Find, create_object, delete_object, find, get_object, listing, update_object, version_arg, written,
};
use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// Index pattern (data view) ID.
    #[serde(alias = "indexPatternId")]
    index_pattern_id: String,
    #[serde(flatten)]
    space: SpaceArg,
}

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Patterns per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// Search text over titles.
    search: Option<String>,
    /// Return full saved objects instead of compact rows.
    raw: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn get_index_patterns(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let f =
        Find { types: vec!["index-pattern".into()], search: optional(&a.search), page, per_page, ..Find::default() };
    let resp = find(&k, &f)?;
    let raw = a.raw.unwrap_or(false);
    let mut out = listing(&k, &resp, raw, false);
    if !raw {
        let rows: Vec<Value> = resp["saved_objects"]
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|o| {
                        json!({ "id": o["id"], "title": o["attributes"]["title"], "name": o["attributes"]["name"],
                                "timeFieldName": o["attributes"]["timeFieldName"] })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out["saved_objects"] = json!(rows);
    }
    Output::json(&out)
}

pub fn get_index_pattern(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    Output::json(&get_object(&k, "index-pattern", required("index_pattern_id", &a.index_pattern_id)?)?)
}

/// GET /api/data_views/data_view/{id} (Kibana docs: "Get a data view").
pub fn data_view(k: &Kibana, id: &str) -> Result<Value, ToolError> {
    let resp = k.get(&format!("/api/data_views/data_view/{}", seg(id)), &[])?;
    Ok(resp.get("data_view").cloned().unwrap_or(resp))
}

/// Compact field rows from a data view's `fields` map.
pub fn field_rows(dv: &Value) -> Vec<Value> {
    let mut rows: Vec<Value> = dv["fields"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, f)| {
                    json!({ "name": name, "type": f["type"], "esTypes": f["esTypes"],
                            "searchable": f["searchable"], "aggregatable": f["aggregatable"] })
                })
                .collect()
        })
        .unwrap_or_default();
    rows.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    rows
}

#[derive(Deserialize, JsonSchema)]
pub struct FieldsArgs {
    /// Index pattern (data view) ID.
    #[serde(rename = "patternID", alias = "pattern_id", alias = "index_pattern_id")]
    pattern_id: String,
    /// Only fields whose name contains this text.
    search: Option<String>,
    /// Page number from 1.
    page: Option<u32>,
    /// Fields per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn get_index_pattern_fields(a: FieldsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let dv = data_view(&k, required("patternID", &a.pattern_id)?)?;
    let needle = optional(&a.search).map(|s| s.to_lowercase());
    let rows: Vec<Value> = field_rows(&dv)
        .into_iter()
        .filter(|r| needle.as_ref().is_none_or(|n| r["name"].as_str().unwrap_or("").to_lowercase().contains(n)))
        .collect();
    let page_rows = crate::client::page_of(&rows, page, per_page);
    Output::json(&json!({
        "id": dv["id"], "title": dv["title"], "space": k.space(),
        "total": rows.len(), "page": page, "per_page": per_page, "count": page_rows.len(), "fields": page_rows,
    }))
}

fn json_string_attr(name: &str, v: Option<Value>) -> Result<Option<String>, ToolError> {
    Ok(object_arg(name, v)?.map(|o| o.to_string()))
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Index pattern, e.g. `logs-*`.
    title: String,
    /// Time field, e.g. `@timestamp`.
    #[serde(rename = "timeField", alias = "time_field", alias = "timeFieldName")]
    time_field: Option<String>,
    /// Extra attributes to store with the pattern (e.g. `{"name": "Logs"}`).
    #[serde(rename = "customSource", alias = "custom_source")]
    custom_source: Option<Value>,
    /// Field formats by field name.
    #[serde(rename = "fieldFormatMap", alias = "field_format_map")]
    field_format_map: Option<Value>,
    /// Identifier for the new pattern (default: generated).
    id: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn create_index_pattern(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let title = required("title", &a.title)?;
    let mut attributes = object_arg("customSource", a.custom_source)?.unwrap_or_else(|| json!({}));
    attributes["title"] = json!(title);
    if let Some(t) = optional(&a.time_field) {
        attributes["timeFieldName"] = json!(t);
    }
    if let Some(f) = json_string_attr("fieldFormatMap", a.field_format_map)? {
        attributes["fieldFormatMap"] = json!(f);
    }
    let created = create_object(&k, "index-pattern", optional(&a.id).as_deref(), &json!({ "attributes": attributes }))?;
    Output::json(&written(&created, &k))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Index pattern ID.
    #[serde(alias = "indexPatternId")]
    index_pattern_id: String,
    title: Option<String>,
    #[serde(rename = "timeField", alias = "time_field", alias = "timeFieldName")]
    time_field: Option<String>,
    #[serde(rename = "fieldFormatMap", alias = "field_format_map")]
    field_format_map: Option<Value>,
    /// Version from a previous read, for optimistic concurrency.
    version: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn update_index_pattern(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("index_pattern_id", &a.index_pattern_id)?;
    let mut attributes = serde_json::Map::new();
    if let Some(t) = optional(&a.title) {
        attributes.insert("title".into(), json!(t));
    }
    if let Some(t) = optional(&a.time_field) {
        attributes.insert("timeFieldName".into(), json!(t));
    }
    if let Some(f) = json_string_attr("fieldFormatMap", a.field_format_map)? {
        attributes.insert("fieldFormatMap".into(), json!(f));
    }
    if attributes.is_empty() {
        return Err(ToolError::invalid("nothing to update: give title, timeField or fieldFormatMap"));
    }
    let mut body = json!({ "attributes": attributes });
    if let Some(v) = version_arg(&a.version)? {
        body["version"] = json!(v);
    }
    Output::json(&written(&update_object(&k, "index-pattern", id, &body)?, &k))
}

pub fn delete_index_pattern(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    Output::json(&delete_object(&k, "index-pattern", required("index_pattern_id", &a.index_pattern_id)?, false)?)
}

/// POST /api/data_views/default (Kibana docs: "Set the default data view").
pub fn set_default_index_pattern(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("index_pattern_id", &a.index_pattern_id)?;
    // Check it exists first: Kibana accepts any string as the default.
    data_view(&k, id)?;
    let resp = k.write("POST", "/api/data_views/default", &[], Some(&json!({ "data_view_id": id, "force": true })))?;
    Output::json(&json!({ "default_index_pattern": id, "acknowledged": resp["acknowledged"], "space": k.space() }))
}

/// POST /api/data_views/data_view/{id} with `refresh_fields` (Kibana docs: "Update a data view").
pub fn refresh_index_pattern_fields(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("index_pattern_id", &a.index_pattern_id)?;
    let body = json!({ "data_view": {}, "refresh_fields": true });
    let resp = k.write("POST", &format!("/api/data_views/data_view/{}", seg(id)), &[], Some(&body))?;
    let dv = resp.get("data_view").cloned().unwrap_or(resp);
    let rows = field_rows(&dv);
    let names: Vec<String> = rows.iter().take(50).filter_map(|r| r["name"].as_str().map(|n| clip(n, 100))).collect();
    Output::json(
        &json!({ "id": dv["id"], "title": dv["title"], "field_count": rows.len(), "fields": names, "space": k.space() }),
    )
}
