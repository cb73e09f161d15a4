//! Connectors (`/api/actions/...`, Kibana docs: "Connectors"). Secrets are
//! sent to Kibana but never echoed: Kibana does not return them and the
//! outputs here never include the request.

use crate::client::{SpaceArg, object_arg, optional, page_of, paging, required, seg};
use k8s_mcp_sdk::prelude::*;

fn path(id: &str, suffix: &str) -> String {
    format!("/api/actions/connector/{}{suffix}", seg(id))
}

fn row(c: &Value) -> Value {
    json!({
        "id": c["id"], "name": c["name"], "connector_type_id": c["connector_type_id"],
        "is_preconfigured": c["is_preconfigured"], "is_deprecated": c["is_deprecated"],
        "is_missing_secrets": c["is_missing_secrets"], "referenced_by_count": c["referenced_by_count"],
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Connectors per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// Include each connector's config.
    raw: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET /api/actions/connectors ("Get all connectors"); paged here.
pub fn get_connectors(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let all = k.get("/api/actions/connectors", &[])?.as_array().cloned().unwrap_or_default();
    let items = page_of(&all, page, per_page);
    let items: Vec<Value> = if a.raw.unwrap_or(false) { items } else { items.iter().map(row).collect() };
    Output::json(&json!({
        "space": k.space(), "total": all.len(), "page": page, "per_page": per_page,
        "count": items.len(), "connectors": items,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// Connector ID.
    #[serde(alias = "connectorId")]
    connector_id: String,
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET /api/actions/connector/{id} ("Get connector information").
pub fn get_connector(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    Output::json(&k.get(&path(required("connector_id", &a.connector_id)?, ""), &[])?)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Connector name.
    name: String,
    /// Connector type, e.g. `.webhook`, `.slack`, `.index`, `.server-log`.
    #[serde(rename = "connectorTypeId", alias = "connector_type_id")]
    connector_type_id: String,
    /// Type-specific configuration.
    config: Option<Value>,
    /// Type-specific secrets (never returned).
    secrets: Option<Value>,
    /// Identifier for the new connector (default: generated).
    id: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// POST /api/actions/connector[/{id}] ("Create a connector").
pub fn create_connector(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let mut body = json!({
        "name": required("name", &a.name)?,
        "connector_type_id": required("connectorTypeId", &a.connector_type_id)?,
        "config": object_arg("config", a.config)?.unwrap_or_else(|| json!({})),
    });
    if let Some(s) = object_arg("secrets", a.secrets)? {
        body["secrets"] = s;
    }
    let p = match optional(&a.id) {
        Some(id) => path(&id, ""),
        None => "/api/actions/connector".to_string(),
    };
    let c = k.write("POST", &p, &[], Some(&body))?;
    Output::json(&json!({ "space": k.space(), "connector": row(&c) }))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Connector ID.
    #[serde(alias = "connectorId")]
    connector_id: String,
    /// New name (default: unchanged).
    name: Option<String>,
    /// New configuration (default: unchanged).
    config: Option<Value>,
    /// New secrets (default: none sent; some connector types require them on every update).
    secrets: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// PUT /api/actions/connector/{id} ("Update a connector"); name and config
/// are required by the API, so unchanged values are read first.
pub fn update_connector(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("connector_id", &a.connector_id)?;
    if a.name.is_none() && a.config.is_none() && a.secrets.is_none() {
        return Err(ToolError::invalid("nothing to update: give name, config or secrets"));
    }
    let current = k.get(&path(id, ""), &[])?;
    let mut body = json!({
        "name": optional(&a.name).map_or_else(|| current["name"].clone(), Value::from),
        "config": object_arg("config", a.config)?.unwrap_or_else(|| current["config"].clone()),
    });
    if let Some(s) = object_arg("secrets", a.secrets)? {
        body["secrets"] = s;
    }
    let c = k.write("PUT", &path(id, ""), &[], Some(&body))?;
    Output::json(&json!({ "space": k.space(), "connector": row(&c) }))
}

/// DELETE /api/actions/connector/{id} ("Delete a connector").
pub fn delete_connector(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("connector_id", &a.connector_id)?;
    k.write("DELETE", &path(id, ""), &[], None)?;
    Output::json(&json!({ "deleted": true, "connector_id": id, "space": k.space() }))
}

#[derive(Deserialize, JsonSchema)]
pub struct TestArgs {
    /// Connector ID.
    #[serde(alias = "connectorId")]
    connector_id: String,
    /// The connector's run parameters, e.g. `{"message": "test"}` for a server log
    /// (or `{"params": {...}}`). This really runs the connector.
    body: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// POST /api/actions/connector/{id}/_execute ("Run a connector").
pub fn test_connector(a: TestArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("connector_id", &a.connector_id)?;
    let given = object_arg("body", a.body)?.unwrap_or_else(|| json!({}));
    let body = if given.get("params").is_some_and(Value::is_object) { given } else { json!({ "params": given }) };
    let resp = k.write("POST", &path(id, "/_execute"), &[], Some(&body))?;
    Output::json(&json!({
        "connector_id": id, "status": resp["status"], "message": resp["message"],
        "service_message": resp["service_message"], "data": resp["data"], "space": k.space(),
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct TypesArgs {
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET /api/actions/connector_types ("Get connector types").
pub fn get_connector_types(a: TypesArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let list = k.get("/api/actions/connector_types", &[])?.as_array().cloned().unwrap_or_default();
    let items: Vec<Value> = list
        .iter()
        .map(|t| {
            json!({ "id": t["id"], "name": t["name"], "enabled": t["enabled"],
                    "enabled_in_license": t["enabled_in_license"],
                    "minimum_license_required": t["minimum_license_required"] })
        })
        .collect();
    Output::json(&json!({ "count": items.len(), "connector_types": items }))
}
