//! Visualizations: saved objects of type `visualization` (Kibana docs:
//! saved objects API). `visState` is stored as a JSON string.

use crate::client::{SpaceArg, object_arg, optional, required};
use crate::object_type::{EMPTY_SEARCH_SOURCE, ObjectType};
use crate::saved_objects::{create_object, get_object, title_of, written};
use k8s_mcp_sdk::prelude::*;

const VISUALIZATION: ObjectType = ObjectType { kind: "visualization", id_arg: "visualization_id" };

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// Visualization ID.
    #[serde(alias = "visualizationId")]
    visualization_id: String,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn get_visualization(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    VISUALIZATION.get(&a.visualization_id, a.space.name(), ctx)
}

#[derive(Deserialize, JsonSchema)]
pub struct PagedArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Visualizations per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// Search text over titles.
    search: Option<String>,
    /// Only this visualization type (e.g. `line`, `pie`), from each object's visState; filters the fetched page.
    #[serde(rename = "type")]
    vis_type: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

fn vis_type(o: &Value) -> Option<String> {
    let state = o["attributes"].get("visState")?;
    let state: Value = match state {
        Value::String(s) => serde_json::from_str(s).ok()?,
        v => v.clone(),
    };
    state.get("type").and_then(Value::as_str).map(str::to_string)
}

pub fn visualizations_paginated(a: PagedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (resp, mut out) = VISUALIZATION.page(&k, &a.search, a.page, a.per_page, false)?;
    let objects = resp["saved_objects"].as_array().cloned().unwrap_or_default();
    let wanted = optional(&a.vis_type);
    let rows: Vec<Value> = objects
        .iter()
        .filter(|o| wanted.as_ref().is_none_or(|w| vis_type(o).as_deref() == Some(w.as_str())))
        .map(|o| {
            let mut r = crate::saved_objects::row(o, false);
            r["vis_type"] = json!(vis_type(o));
            r
        })
        .collect();
    if wanted.is_some() {
        out["filtered_out"] = json!(objects.len() - rows.len());
    }
    out["count"] = json!(rows.len());
    out["saved_objects"] = json!(rows);
    Output::json(&out)
}

fn vis_state(title: &str, v: Option<Value>) -> Result<String, ToolError> {
    let mut state = object_arg("visState", v)?
        .unwrap_or_else(|| json!({ "type": "markdown", "params": { "markdown": "" }, "aggs": [] }));
    state["title"] = json!(title);
    Ok(state.to_string())
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Visualization title.
    title: String,
    /// Visualization state: `{"type": "line", "params": {...}, "aggs": [...]}` (default an empty markdown panel).
    #[serde(rename = "visState", alias = "vis_state")]
    vis_state: Option<Value>,
    description: Option<String>,
    /// Name of the reference to a saved search (with `savedSearchId`).
    #[serde(rename = "savedSearchRefName", alias = "saved_search_ref_name")]
    saved_search_ref_name: Option<String>,
    /// ID of the saved search the visualization is built on.
    #[serde(rename = "savedSearchId", alias = "saved_search_id")]
    saved_search_id: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn create_visualization(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let title = required("title", &a.title)?;
    let mut attributes = json!({
        "title": title,
        "description": optional(&a.description).unwrap_or_default(),
        "visState": vis_state(title, a.vis_state)?,
        "uiStateJSON": "{}",
        "version": 1,
        "kibanaSavedObjectMeta": { "searchSourceJSON": EMPTY_SEARCH_SOURCE },
    });
    let mut references = Vec::new();
    let ref_name = optional(&a.saved_search_ref_name);
    if let Some(id) = optional(&a.saved_search_id) {
        let name = ref_name.clone().unwrap_or_else(|| "search_0".into());
        references.push(json!({ "name": name, "type": "search", "id": id }));
        attributes["savedSearchRefName"] = json!(name);
    } else if let Some(name) = ref_name {
        attributes["savedSearchRefName"] = json!(name);
    }
    let body = json!({ "attributes": attributes, "references": references });
    Output::json(&written(&create_object(&k, VISUALIZATION.kind, None, &body)?, &k))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Visualization ID.
    #[serde(alias = "visualizationId")]
    visualization_id: String,
    title: Option<String>,
    /// New visualization state.
    #[serde(rename = "visState", alias = "vis_state")]
    vis_state: Option<Value>,
    description: Option<String>,
    /// Version from a previous read, for optimistic concurrency.
    version: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn update_visualization(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required(VISUALIZATION.id_arg, &a.visualization_id)?;
    let mut attributes = serde_json::Map::new();
    let title = optional(&a.title);
    if let Some(t) = &title {
        attributes.insert("title".into(), json!(t));
    }
    if let Some(d) = &a.description {
        attributes.insert("description".into(), json!(d));
    }
    if a.vis_state.is_some() {
        let t = match &title {
            Some(t) => t.clone(),
            None => title_of(&get_object(&k, VISUALIZATION.kind, id)?).as_str().unwrap_or("").into(),
        };
        attributes.insert("visState".into(), json!(vis_state(&t, a.vis_state)?));
    }
    if attributes.is_empty() {
        return Err(ToolError::invalid("nothing to update: give title, description or visState"));
    }
    VISUALIZATION.update(&k, id, attributes, &a.version)
}

pub fn delete_visualization(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    VISUALIZATION.delete(&a.visualization_id, a.space.name(), ctx)
}

#[derive(Deserialize, JsonSchema)]
pub struct CloneArgs {
    /// Visualization to copy.
    #[serde(alias = "visualizationId")]
    visualization_id: String,
    /// Title of the copy.
    #[serde(alias = "newTitle")]
    new_title: String,
    #[serde(flatten)]
    space: SpaceArg,
}

pub fn clone_visualization(a: CloneArgs, ctx: &Context) -> Result<Output, ToolError> {
    VISUALIZATION.copy(&a.visualization_id, &a.new_title, a.space.name(), ctx)
}
