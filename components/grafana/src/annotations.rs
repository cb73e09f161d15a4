//! Annotations: query, create (native and Graphite-style), update, patch,
//! delete, tags (HTTP API > Annotations API).

use crate::client::*;
use k8s_mcp_sdk::prelude::*;

/// A time argument (epoch ms or s, RFC 3339, `now-1h`) as epoch milliseconds.
fn time_arg(name: &str, v: &Option<Num>) -> Result<Option<i64>, ToolError> {
    match v {
        None => Ok(None),
        Some(Num::Number(n)) => time_ms(name, &n.to_string()).map(Some),
        Some(Num::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Num::Text(t)) => time_ms(name, t).map(Some),
    }
}

fn id_path(v: &Num) -> Result<(i64, String), ToolError> {
    let id = numeric_id("annotationID", v)?;
    Ok((id, format!("/api/annotations/{id}")))
}

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Only annotations of this dashboard.
    #[serde(rename = "dashboardUID", alias = "dashboardUid")]
    dashboard_uid: Option<String>,
    /// Start of the window: epoch ms, RFC 3339 or `now-6h`.
    from: Option<Num>,
    /// End of the window (same forms).
    to: Option<Num>,
    /// Tags the annotations must have (comma-separated or a list).
    tags: Option<Tags>,
    /// Most annotations: 1-100 (default 20).
    limit: Option<Num>,
    /// Only annotations of this panel.
    #[serde(rename = "panelID", alias = "panelId")]
    panel_id: Option<Num>,
    /// `annotation` (user annotations only) or `alert`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Compact rows (id, time, text, tags) instead of full objects.
    summary: Option<bool>,
}

pub fn get_annotations(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let kind = optional(&a.kind);
    if let Some(k) = &kind
        && k != "annotation"
        && k != "alert"
    {
        return Err(ToolError::invalid(format!("`type` must be annotation or alert, got `{k}`")));
    }
    let (from, to) = (time_arg("from", &a.from)?, time_arg("to", &a.to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ToolError::invalid("`from` must not be after `to`"));
    }
    let panel = opt_whole("panelID", &a.panel_id, 0, i64::MAX >> 11)?;
    let mut q: Vec<(&str, Option<String>)> = vec![
        ("dashboardUID", optional(&a.dashboard_uid)),
        ("panelId", panel.map(|p| p.to_string())),
        ("from", from.map(|f| f.to_string())),
        ("to", to.map(|t| t.to_string())),
        ("type", kind),
        ("limit", Some((n + 1).to_string())),
    ];
    for t in tags_of(&a.tags) {
        q.push(("tags", Some(t)));
    }
    let items = as_list(Grafana::new(ctx)?.get("/api/annotations", &q)?, "annotations")?;
    let items = if a.summary == Some(true) {
        items.iter().map(|x| pick(x, &["id", "time", "timeEnd", "text", "tags", "dashboardUID", "panelId"])).collect()
    } else {
        items
    };
    Output::json(&listing("annotations", items, n, None))
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Annotation text.
    text: String,
    /// Start time: epoch ms, RFC 3339 or `now-5m` (default now).
    time: Option<Num>,
    /// End time for a region annotation.
    #[serde(rename = "timeEnd")]
    time_end: Option<Num>,
    /// Attach to this dashboard (default: an organization-wide annotation).
    #[serde(rename = "dashboardUID", alias = "dashboardUid")]
    dashboard_uid: Option<String>,
    /// Attach to this panel of the dashboard.
    #[serde(rename = "panelID", alias = "panelId")]
    panel_id: Option<Num>,
    /// Tags (a list, or one comma-separated string).
    tags: Option<Tags>,
}

pub fn create_annotation(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let text = required("text", &a.text)?;
    let time = time_arg("time", &a.time)?.unwrap_or_else(now_ms);
    let mut body = json!({ "text": text, "time": time, "tags": tags_of(&a.tags) });
    if let Some(end) = time_arg("timeEnd", &a.time_end)? {
        if end < time {
            return Err(ToolError::invalid("`timeEnd` must not be before `time`"));
        }
        body["timeEnd"] = json!(end);
    }
    if let Some(d) = optional(&a.dashboard_uid) {
        body["dashboardUID"] = json!(d);
    }
    if let Some(p) = opt_whole("panelID", &a.panel_id, 0, i64::MAX >> 11)? {
        body["panelId"] = json!(p);
    }
    Output::json(&Grafana::new(ctx)?.with_body("POST", "/api/annotations", &body)?)
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// ID of the annotation.
    #[serde(rename = "annotationID", alias = "annotationId", alias = "id")]
    annotation_id: Num,
    /// New text (required: an update replaces the annotation; use patch_annotation to change single fields).
    text: Option<String>,
    /// New start time.
    time: Option<Num>,
    /// New end time.
    #[serde(rename = "timeEnd")]
    time_end: Option<Num>,
    /// New tags.
    tags: Option<Tags>,
}

fn body_of(a: &UpdateArgs) -> Result<Value, ToolError> {
    let mut body = json!({});
    if let Some(t) = &a.text {
        body["text"] = json!(t);
    }
    let time = time_arg("time", &a.time)?;
    let end = time_arg("timeEnd", &a.time_end)?;
    if let (Some(t), Some(e)) = (time, end)
        && e < t
    {
        return Err(ToolError::invalid("`timeEnd` must not be before `time`"));
    }
    if let Some(t) = time {
        body["time"] = json!(t);
    }
    if let Some(e) = end {
        body["timeEnd"] = json!(e);
    }
    if a.tags.is_some() {
        body["tags"] = json!(tags_of(&a.tags));
    }
    Ok(body)
}

pub fn update_annotation(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (id, path) = id_path(&a.annotation_id)?;
    required("text", a.text.as_deref().unwrap_or(""))?;
    let body = body_of(&a)?;
    let out = Grafana::new(ctx)?.with_body("PUT", &path, &body).map_err(missing(format!("annotation {id}")))?;
    Output::json(&out)
}

pub fn patch_annotation(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (id, path) = id_path(&a.annotation_id)?;
    let body = body_of(&a)?;
    if body.as_object().is_some_and(serde_json::Map::is_empty) {
        return Err(ToolError::invalid("nothing to change: give `text`, `time`, `timeEnd` or `tags`"));
    }
    let out = Grafana::new(ctx)?.with_body("PATCH", &path, &body).map_err(missing(format!("annotation {id}")))?;
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// ID of the annotation.
    #[serde(rename = "annotationID", alias = "annotationId", alias = "id")]
    annotation_id: Num,
}

pub fn delete_annotation(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (id, path) = id_path(&a.annotation_id)?;
    Output::json(&Grafana::new(ctx)?.delete(&path, &[]).map_err(missing(format!("annotation {id}")))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct TagArgs {
    /// Only tags starting with this text.
    tag: Option<String>,
    /// Most tags: 1-100 (default 20).
    limit: Option<Num>,
}

pub fn get_annotation_tags(a: TagArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let out = Grafana::new(ctx)?
        .get("/api/annotations/tags", &[("tag", optional(&a.tag)), ("limit", Some((n + 1).to_string()))])?;
    let tags = as_list(out["result"]["tags"].clone(), "tags")?;
    Output::json(&listing("tags", tags, n, None))
}

#[derive(Deserialize, JsonSchema)]
pub struct GraphiteArgs {
    /// What happened (the annotation's text).
    what: String,
    /// Extra details.
    data: Option<String>,
    /// When, in epoch seconds (default now).
    timestamp: Option<Num>,
    /// Tags (comma-separated or a list).
    tags: Option<Tags>,
}

pub fn create_graphite_annotation(a: GraphiteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let what = required("what", &a.what)?;
    let when = match &a.timestamp {
        Some(t) => t.whole("timestamp", 0, i64::MAX >> 11)?,
        None => now_ms() / 1000,
    };
    let mut body = json!({ "what": what, "when": when, "tags": tags_of(&a.tags) });
    if let Some(d) = optional(&a.data) {
        body["data"] = json!(d);
    }
    Output::json(&Grafana::new(ctx)?.with_body("POST", "/api/annotations/graphite", &body)?)
}
