//! Dashboards: saved objects of type `dashboard` (Kibana docs: saved
//! objects API), with panel parsing for the detailed view.

use crate::client::{SpaceArg, optional, required};
use crate::object_type::{EMPTY_SEARCH_SOURCE, ObjectType};
use crate::saved_objects::{create_object, get_object, written};
use k8s_mcp_sdk::prelude::*;

const DASHBOARD: ObjectType = ObjectType { kind: "dashboard", id_arg: "dashboard_id" };

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// Dashboard ID.
    #[serde(alias = "dashboardId")]
    dashboard_id: String,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn get_dashboard(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    DASHBOARD.get(&a.dashboard_id, a.space.name(), ctx)
}

#[derive(Deserialize, JsonSchema)]
pub struct PagedArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Dashboards per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// Search text over titles.
    search: Option<String>,
    /// Include each dashboard's description.
    #[serde(alias = "includeDescription")]
    include_description: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn dashboards_paginated(a: PagedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (_, out) = DASHBOARD.page(&k, &a.search, a.page, a.per_page, a.include_description.unwrap_or(false))?;
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct DetailArgs {
    /// Dashboard ID.
    #[serde(alias = "dashboardId")]
    dashboard_id: String,
    /// Include the parsed panel list (default true).
    #[serde(alias = "includePanels")]
    include_panels: Option<bool>,
    /// Include the dashboard's options/uiState (default false).
    #[serde(alias = "includeUiState")]
    include_ui_state: Option<bool>,
    /// Include time restore, range and refresh interval (default true).
    #[serde(alias = "includeTimeOptions")]
    include_time_options: Option<bool>,
    /// `structured` (default), `summary` (counts and titles) or `raw` (the saved object).
    #[serde(alias = "outputFormat")]
    output_format: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

fn parse_json_attr(a: &Value, key: &str) -> Value {
    match a.get(key) {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

fn panels(o: &Value) -> Vec<Value> {
    let refs = o["references"].as_array().cloned().unwrap_or_default();
    let parsed = parse_json_attr(&o["attributes"], "panelsJSON");
    parsed
        .as_array()
        .map(|list| {
            list.iter()
                .map(|p| {
                    let ref_name = p.get("panelRefName").and_then(Value::as_str);
                    let target = ref_name.and_then(|n| refs.iter().find(|r| r["name"].as_str() == Some(n)));
                    let title =
                        p.get("title").or_else(|| p.pointer("/embeddableConfig/title")).cloned().unwrap_or(Value::Null);
                    json!({
                        "index": p.get("panelIndex"),
                        "type": p.get("type").cloned().or_else(|| target.map(|t| t["type"].clone())),
                        "title": title,
                        "ref_id": target.map(|t| t["id"].clone()).or_else(|| p.get("id").cloned()),
                        "grid": p.get("gridData"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn get_dashboard_detail_advanced(a: DetailArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let format = optional(&a.output_format).unwrap_or_else(|| "structured".into());
    if !matches!(format.as_str(), "structured" | "summary" | "raw") {
        return Err(ToolError::invalid(format!("`output_format` must be structured, summary or raw, got `{format}`")));
    }
    let o = get_object(&k, DASHBOARD.kind, required(DASHBOARD.id_arg, &a.dashboard_id)?)?;
    if format == "raw" {
        return Output::json(&o);
    }
    let attrs = &o["attributes"];
    let panels = panels(&o);
    let mut out = json!({
        "id": o["id"],
        "title": attrs["title"],
        "description": attrs["description"],
        "updated_at": o["updated_at"],
        "panel_count": panels.len(),
        "space": k.space(),
    });
    if format == "summary" {
        out["panel_titles"] = json!(panels.iter().map(|p| p["title"].clone()).collect::<Vec<_>>());
        return Output::json(&out);
    }
    if a.include_panels.unwrap_or(true) {
        out["panels"] = json!(panels);
    }
    if a.include_time_options.unwrap_or(true) {
        out["time"] = json!({
            "timeRestore": attrs["timeRestore"],
            "timeFrom": attrs["timeFrom"],
            "timeTo": attrs["timeTo"],
            "refreshInterval": attrs["refreshInterval"],
        });
    }
    if a.include_ui_state.unwrap_or(false) {
        out["options"] = parse_json_attr(attrs, "optionsJSON");
        out["uiState"] = parse_json_attr(attrs, "uiStateJSON");
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Dashboard title.
    title: String,
    description: Option<String>,
    /// Store the time range with the dashboard (default true).
    #[serde(rename = "timeRestore", alias = "time_restore")]
    time_restore: Option<bool>,
    /// Start of the stored time range, e.g. `now-24h` (default now-15m when timeRestore).
    #[serde(rename = "timeFrom", alias = "time_from")]
    time_from: Option<String>,
    /// End of the stored time range (default now when timeRestore).
    #[serde(rename = "timeTo", alias = "time_to")]
    time_to: Option<String>,
    /// `{"pause": bool, "value": milliseconds}`.
    #[serde(rename = "refreshInterval", alias = "refresh_interval")]
    refresh_interval: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn create_dashboard(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let title = required("title", &a.title)?;
    let restore = a.time_restore.unwrap_or(true);
    let mut attributes = json!({
        "title": title,
        "description": optional(&a.description).unwrap_or_default(),
        "panelsJSON": "[]",
        "optionsJSON": r#"{"useMargins":true,"syncColors":false,"hidePanelTitles":false}"#,
        "timeRestore": restore,
        "kibanaSavedObjectMeta": { "searchSourceJSON": EMPTY_SEARCH_SOURCE },
    });
    if restore {
        attributes["timeFrom"] = json!(optional(&a.time_from).unwrap_or_else(|| "now-15m".into()));
        attributes["timeTo"] = json!(optional(&a.time_to).unwrap_or_else(|| "now".into()));
        if let Some(r) = crate::client::object_arg("refreshInterval", a.refresh_interval)? {
            attributes["refreshInterval"] = r;
        }
    }
    let created = create_object(&k, DASHBOARD.kind, None, &json!({ "attributes": attributes, "references": [] }))?;
    Output::json(&written(&created, &k))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Dashboard ID.
    #[serde(alias = "dashboardId")]
    dashboard_id: String,
    title: Option<String>,
    description: Option<String>,
    /// Panels as a JSON array string (Kibana's `panelsJSON` attribute).
    #[serde(rename = "panelsJSON", alias = "panels_json")]
    panels_json: Option<String>,
    #[serde(rename = "timeFrom", alias = "time_from")]
    time_from: Option<String>,
    #[serde(rename = "timeTo", alias = "time_to")]
    time_to: Option<String>,
    /// Version from a previous read, for optimistic concurrency.
    version: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn update_dashboard(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required(DASHBOARD.id_arg, &a.dashboard_id)?;
    let mut attributes = serde_json::Map::new();
    if let Some(t) = optional(&a.title) {
        attributes.insert("title".into(), json!(t));
    }
    if let Some(d) = &a.description {
        attributes.insert("description".into(), json!(d));
    }
    if let Some(p) = optional(&a.panels_json) {
        if !serde_json::from_str::<Value>(&p).is_ok_and(|v| v.is_array()) {
            return Err(ToolError::invalid("`panelsJSON` must be a JSON array (as a string)"));
        }
        attributes.insert("panelsJSON".into(), json!(p));
    }
    if let Some(f) = optional(&a.time_from) {
        attributes.insert("timeFrom".into(), json!(f));
    }
    if let Some(t) = optional(&a.time_to) {
        attributes.insert("timeTo".into(), json!(t));
    }
    if attributes.is_empty() {
        return Err(ToolError::invalid("nothing to update: give title, description, panelsJSON, timeFrom or timeTo"));
    }
    DASHBOARD.update(&k, id, attributes, &a.version)
}

pub fn delete_dashboard(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    DASHBOARD.delete(&a.dashboard_id, a.space.name(), ctx)
}

#[derive(Deserialize, JsonSchema)]
pub struct CloneArgs {
    /// Dashboard to copy.
    #[serde(alias = "dashboardId")]
    dashboard_id: String,
    /// Title of the copy.
    #[serde(alias = "newTitle")]
    new_title: String,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn clone_dashboard(a: CloneArgs, ctx: &Context) -> Result<Output, ToolError> {
    DASHBOARD.copy(&a.dashboard_id, &a.new_title, a.space.name(), ctx)
}
