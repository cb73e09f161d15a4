//! Dashboards: search, get (full or summarised), save, delete, version
//! history and restore, and reading panels and properties of a model
//! (HTTP API > Dashboard API, Folder/Dashboard Search API, Dashboard Versions API).

use crate::client::*;
use k8s_mcp_sdk::prelude::*;

/// Grafana's search API answers at most this many hits per request.
const SEARCH_MAX: usize = 5000;

fn search(g: &Grafana, mut query: Vec<(&str, Option<String>)>, fetch: usize) -> Result<Vec<Value>, ToolError> {
    query.push(("type", Some("dash-db".into())));
    query.push(("limit", Some(fetch.min(SEARCH_MAX).to_string())));
    as_list(g.get("/api/search", &query)?, "search hits")
}

fn hit_row(h: &Value) -> Value {
    json!({
        "uid": h.get("uid"),
        "title": h.get("title"),
        "folder": h.get("folderTitle").cloned().unwrap_or(json!("General")),
        "folderUid": h.get("folderUid"),
        "tags": h.get("tags").cloned().unwrap_or(json!([])),
    })
}

pub fn dashboards(a: LimitArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let hits = search(&Grafana::new(ctx)?, vec![], n + 1)?;
    let hits = if a.summary == Some(true) { hits.iter().map(hit_row).collect() } else { hits };
    Output::json(&listing("dashboards", hits, n, None))
}

#[derive(Deserialize, JsonSchema)]
pub struct SummaryArgs {
    /// Page size: 1-100 (default 20).
    limit: Option<Num>,
    /// Dashboards to skip before the page (default 0).
    offset: Option<Num>,
}

pub fn dashboards_summary(a: SummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let offset = opt_whole("offset", &a.offset, 0, (SEARCH_MAX - 101) as i64)?.unwrap_or(0) as usize;
    let hits = search(&Grafana::new(ctx)?, vec![], offset + n + 1)?;
    let rows: Vec<Value> = hits.iter().skip(offset).map(hit_row).collect();
    let mut out = listing("dashboards", rows, n, None);
    out["offset"] = json!(offset);
    if out["truncated"] == json!(true) {
        out["nextOffset"] = json!(offset + n);
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Text contained in the dashboard title.
    query: Option<String>,
    /// Tag(s) the dashboards must all have (comma-separated for several).
    tag: Option<String>,
    /// Only dashboards in this folder.
    #[serde(rename = "folderUID", alias = "folderUid")]
    folder_uid: Option<String>,
    /// Only dashboards the caller starred.
    starred: Option<bool>,
    /// Most hits: 1-100 (default 20).
    limit: Option<Num>,
    /// Compact rows (uid, title, folder, tags) instead of full hits.
    summary: Option<bool>,
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    debug: Option<Value>,
}

pub fn search_dashboards(a: SearchArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let mut q: Vec<(&str, Option<String>)> =
        vec![("query", optional(&a.query)), ("folderUIDs", optional(&a.folder_uid))];
    for t in a.tag.as_deref().unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()) {
        q.push(("tag", Some(t.to_string())));
    }
    if a.starred == Some(true) {
        q.push(("starred", Some("true".into())));
    }
    let hits = search(&Grafana::new(ctx)?, q, n + 1)?;
    let hits = if a.summary == Some(true) { hits.iter().map(hit_row).collect() } else { hits };
    Output::json(&listing("dashboards", hits, n, None))
}

/// GET /api/dashboards/uid/{uid}: `{dashboard, meta}`.
pub fn fetch(g: &Grafana, uid: &str) -> Result<Value, ToolError> {
    let path = format!("/api/dashboards/uid/{}", segment("uid", uid)?);
    g.get(&path, &[]).map_err(missing(format!("dashboard `{}`", uid.trim())))
}

pub fn dashboard(a: UidArgs, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&fetch(&Grafana::new(ctx)?, &a.uid)?)
}

/// Panels including those nested in (collapsed) rows.
fn all_panels(model: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in model.get("panels").and_then(Value::as_array).into_iter().flatten() {
        out.push(p);
        for inner in p.get("panels").and_then(Value::as_array).into_iter().flatten() {
            out.push(inner);
        }
    }
    out
}

fn datasource_of(v: &Value) -> Value {
    match v.get("datasource") {
        Some(Value::Object(o)) => json!(o.get("uid").or(o.get("type")).cloned().unwrap_or(Value::Null)),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

pub fn dashboard_summary(a: UidArgs, ctx: &Context) -> Result<Output, ToolError> {
    let full = fetch(&Grafana::new(ctx)?, &a.uid)?;
    let model = &full["dashboard"];
    let meta = &full["meta"];
    let panels: Vec<Value> = all_panels(model)
        .into_iter()
        .map(|p| {
            json!({
                "id": p.get("id"), "title": p.get("title"), "type": p.get("type"),
                "datasource": datasource_of(p),
                "queries": p.get("targets").and_then(Value::as_array).map_or(0, Vec::len),
            })
        })
        .collect();
    let variables: Vec<&str> = model["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    Output::json(&json!({
        "uid": model.get("uid"), "title": model.get("title"), "version": model.get("version"),
        "tags": model.get("tags"), "folder": meta.get("folderTitle"), "folderUid": meta.get("folderUid"),
        "url": meta.get("url"), "updated": meta.get("updated"), "time": model.get("time"),
        "refresh": model.get("refresh"), "variables": variables, "panelCount": panels.len(), "panels": panels,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct SaveArgs {
    /// The dashboard JSON model (needs `title`; with a `uid` of an existing
    /// dashboard it updates that one, and `version` must match unless `overwrite`).
    dashboard: Value,
    /// Folder to save into (default: the dashboard's current folder, or General for a new one).
    #[serde(rename = "folderUID", alias = "folderUid")]
    folder_uid: Option<String>,
    /// Replace the stored dashboard even if its version or title conflicts.
    overwrite: Option<bool>,
    /// Commit message stored with the new version.
    message: Option<String>,
}

pub fn update_dashboard(a: SaveArgs, ctx: &Context) -> Result<Output, ToolError> {
    // Accept what the `dashboard` tool returns ({dashboard, meta}) as well as the bare model.
    let given = match a.dashboard {
        Value::Object(mut o) if o.contains_key("meta") && o.get("dashboard").is_some_and(Value::is_object) => {
            o.remove("dashboard").unwrap_or_default()
        }
        other => other,
    };
    let Value::Object(mut model) = given else {
        return Err(ToolError::invalid("`dashboard` must be a JSON object (the dashboard model)"));
    };
    if model.get("title").and_then(Value::as_str).is_none_or(|t| t.trim().is_empty()) {
        return Err(ToolError::invalid("`dashboard.title` must be a non-empty string"));
    }
    // A numeric id from another instance would make Grafana look up the wrong
    // dashboard; the uid identifies it.
    if model.get("uid").and_then(Value::as_str).is_some_and(|u| !u.is_empty()) {
        model.remove("id");
    }
    let g = Grafana::new(ctx)?;
    // Grafana files a dashboard saved without a folder under General: an
    // update keeps the stored dashboard's folder unless one is given.
    let folder = match (optional(&a.folder_uid), model.get("uid").and_then(Value::as_str).filter(|u| !u.is_empty())) {
        (Some(f), _) => Some(f),
        (None, Some(uid)) => match fetch(&g, uid) {
            Ok(current) => current["meta"]["folderUid"].as_str().filter(|f| !f.is_empty()).map(str::to_string),
            Err(ToolError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        (None, None) => None,
    };
    let mut body = json!({ "dashboard": model, "overwrite": a.overwrite.unwrap_or(false) });
    if let Some(f) = folder {
        body["folderUid"] = json!(f);
    }
    if let Some(m) = optional(&a.message) {
        body["message"] = json!(m);
    }
    Output::json(&g.with_body("POST", "/api/dashboards/db", &body)?)
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteArgs {
    /// UID of the dashboard to delete.
    uid: String,
}

pub fn delete_dashboard(a: DeleteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let path = format!("/api/dashboards/uid/{}", segment("uid", &a.uid)?);
    let out = Grafana::new(ctx)?.delete(&path, &[]).map_err(missing(format!("dashboard `{}`", a.uid.trim())))?;
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct VersionsArgs {
    /// UID of the dashboard.
    #[serde(rename = "dashboardUID", alias = "dashboardUid", alias = "uid")]
    dashboard_uid: String,
    /// Most versions: 1-100 (default 20), newest first.
    limit: Option<Num>,
    /// Versions to skip (older Grafana) or continue token of a previous page.
    start: Option<Num>,
}

pub fn get_dashboard_versions(a: VersionsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let start = opt_whole("start", &a.start, 0, i64::MAX >> 11)?;
    let path = format!("/api/dashboards/uid/{}/versions", segment("dashboardUID", &a.dashboard_uid)?);
    let answer = Grafana::new(ctx)?
        .get(&path, &[("limit", Some(n.to_string())), ("start", start.map(|s| s.to_string()))])
        .map_err(missing(format!("dashboard `{}`", a.dashboard_uid.trim())))?;
    // Grafana 11+ wraps the list as {versions, continueToken}; older versions answer a bare list.
    let (versions, token) = match answer {
        Value::Object(mut o) => (o.remove("versions").unwrap_or(Value::Null), o.remove("continueToken")),
        other => (other, None),
    };
    let rows: Vec<Value> = as_list(versions, "versions")?
        .iter()
        .map(|v| pick(v, &["version", "parentVersion", "restoredFrom", "created", "createdBy", "message"]))
        .collect();
    let mut out = listing("versions", rows, n, None);
    if let Some(t) = token.filter(|t| t.as_str().is_some_and(|s| !s.is_empty())) {
        out["continueToken"] = t;
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct VersionArgs {
    /// UID of the dashboard.
    #[serde(rename = "dashboardUID", alias = "dashboardUid", alias = "uid")]
    dashboard_uid: String,
    /// Version number.
    version: Num,
}

fn version_path(a: &VersionArgs) -> Result<(String, i64), ToolError> {
    let v = a.version.whole("version", 1, i64::MAX >> 11)?;
    Ok((format!("/api/dashboards/uid/{}", segment("dashboardUID", &a.dashboard_uid)?), v))
}

pub fn get_dashboard_version(a: VersionArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (base, v) = version_path(&a)?;
    let what = format!("version {v} of dashboard `{}`", a.dashboard_uid.trim());
    Output::json(&Grafana::new(ctx)?.get(&format!("{base}/versions/{v}"), &[]).map_err(missing(what))?)
}

pub fn restore_dashboard_version(a: VersionArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (base, v) = version_path(&a)?;
    let what = format!("version {v} of dashboard `{}`", a.dashboard_uid.trim());
    let out = Grafana::new(ctx)?.with_body("POST", &format!("{base}/restore"), &json!({ "version": v }));
    Output::json(&out.map_err(missing(what))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct PanelArgs {
    /// UID of the dashboard.
    #[serde(rename = "dashboardUID", alias = "dashboardUid", alias = "uid")]
    dashboard_uid: String,
}

pub fn get_dashboard_panel_queries(a: PanelArgs, ctx: &Context) -> Result<Output, ToolError> {
    let full = fetch(&Grafana::new(ctx)?, &a.dashboard_uid)?;
    let panels: Vec<Value> = all_panels(&full["dashboard"])
        .into_iter()
        .filter(|p| p.get("type").and_then(Value::as_str) != Some("row"))
        .map(|p| {
            let queries: Vec<Value> = p
                .get("targets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|t| {
                    let mut q = t.clone();
                    if let Some(o) = q.as_object_mut() {
                        o.insert("datasource".into(), datasource_of(t));
                    }
                    q
                })
                .collect();
            json!({ "id": p.get("id"), "title": p.get("title"), "type": p.get("type"),
                    "datasource": datasource_of(p), "queries": queries })
        })
        .collect();
    Output::json(&json!({
        "uid": full["dashboard"].get("uid"), "title": full["dashboard"].get("title"),
        "count": panels.len(), "panels": panels,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct PropertyArgs {
    /// UID of the dashboard.
    #[serde(rename = "dashboardUID", alias = "dashboardUid", alias = "uid")]
    dashboard_uid: String,
    /// Dotted path into the model, e.g. `title`, `panels.0.title` or `templating.list[1].query`.
    #[serde(rename = "propertyPath", alias = "path")]
    property_path: String,
}

pub fn get_dashboard_property(a: PropertyArgs, ctx: &Context) -> Result<Output, ToolError> {
    let path = required("propertyPath", &a.property_path)?.to_string();
    let keys: Vec<String> =
        path.replace('[', ".").replace(']', "").split('.').filter(|k| !k.is_empty()).map(str::to_string).collect();
    if keys.is_empty() {
        return Err(ToolError::invalid("`propertyPath` names no property"));
    }
    let full = fetch(&Grafana::new(ctx)?, &a.dashboard_uid)?;
    let mut cur = &full["dashboard"];
    for (i, k) in keys.iter().enumerate() {
        let next = match cur {
            Value::Array(items) => k.parse::<usize>().ok().and_then(|n| items.get(n)),
            Value::Object(o) => o.get(k),
            _ => None,
        };
        cur = next.ok_or_else(|| {
            ToolError::not_found(format!(
                "dashboard `{}` has no property `{}` (stopped at `{}`)",
                a.dashboard_uid.trim(),
                path,
                keys[..=i].join(".")
            ))
        })?;
    }
    Output::json(&json!({ "uid": a.dashboard_uid.trim(), "path": path, "value": cur }))
}
