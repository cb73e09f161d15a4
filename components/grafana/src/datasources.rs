//! Data sources: list, get (by UID or name), health, create/update/delete,
//! and queries through `/api/ds/query` or the data source proxy
//! (HTTP API > Data source API).

use crate::client::*;
use k8s_mcp_sdk::prelude::*;

/// Fields that may hold credentials in older Grafana answers; never shown.
const SECRET_FIELDS: [&str; 3] = ["password", "basicAuthPassword", "secureJsonData"];
/// Rows shown per frame in a query summary.
const ROWS_PER_FRAME: usize = 20;

fn scrub(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for f in SECRET_FIELDS {
            o.remove(f);
        }
        if let Some(inner) = o.get_mut("datasource") {
            *inner = scrub(inner.take());
        }
    }
    v
}

fn row(d: &Value) -> Value {
    pick(d, &["uid", "name", "type", "url", "access", "isDefault"])
}

fn list(ctx: &Context) -> Result<Vec<Value>, ToolError> {
    Ok(as_list(Grafana::new(ctx)?.get("/api/datasources", &[])?, "data sources")?.into_iter().map(scrub).collect())
}

pub fn datasources(a: LimitArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let items = list(ctx)?;
    let total = items.len();
    let items = if a.summary == Some(true) { items.iter().map(row).collect() } else { items };
    Output::json(&listing("datasources", items, n, Some(total)))
}

#[derive(Deserialize, JsonSchema)]
pub struct SummaryArgs {
    /// Most rows: 1-100 (default 20).
    limit: Option<Num>,
}

pub fn datasources_summary(a: SummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let items = list(ctx)?;
    let total = items.len();
    let mut out = listing("datasources", items.iter().map(row).collect(), n, Some(total));
    let mut by_type = std::collections::BTreeMap::<String, u64>::new();
    for d in &items {
        *by_type.entry(s(d, "type").to_string()).or_default() += 1;
    }
    out["byType"] = json!(by_type);
    Output::json(&out)
}

fn by_uid(uid: &str) -> Result<String, ToolError> {
    Ok(format!("/api/datasources/uid/{}", segment("uid", uid)?))
}

pub fn datasource_detail(a: UidArgs, ctx: &Context) -> Result<Output, ToolError> {
    let out =
        Grafana::new(ctx)?.get(&by_uid(&a.uid)?, &[]).map_err(missing(format!("data source `{}`", a.uid.trim())))?;
    Output::json(&scrub(out))
}

#[derive(Deserialize, JsonSchema)]
pub struct NameArgs {
    /// Data source name.
    name: String,
}

pub fn get_datasource_by_name(a: NameArgs, ctx: &Context) -> Result<Output, ToolError> {
    let path = format!("/api/datasources/name/{}", segment("name", &a.name)?);
    let out = Grafana::new(ctx)?.get(&path, &[]).map_err(missing(format!("data source named `{}`", a.name.trim())))?;
    Output::json(&scrub(out))
}

pub fn check_datasource_health(a: UidArgs, ctx: &Context) -> Result<Output, ToolError> {
    let path = format!("{}/health", by_uid(&a.uid)?);
    let out = Grafana::new(ctx)?.get(&path, &[]).map_err(missing(format!("data source `{}`", a.uid.trim())))?;
    Output::json(&out)
}

/// Fields shared by create and update.
#[derive(Deserialize, JsonSchema)]
pub struct Common {
    /// `proxy` (server, default) or `direct` (browser).
    access: Option<String>,
    /// Database name (SQL and similar data sources).
    database: Option<String>,
    /// User name for the backing service.
    user: Option<String>,
    /// Password for the backing service (stored in secureJsonData, never shown).
    password: Option<String>,
    /// Plugin-specific settings.
    #[serde(rename = "jsonData")]
    json_data: Option<serde_json::Map<String, Value>>,
    /// Plugin-specific secrets (write-only).
    #[serde(rename = "secureJsonData")]
    secure_json_data: Option<serde_json::Map<String, Value>>,
    /// Make this the default data source.
    #[serde(rename = "isDefault")]
    is_default: Option<bool>,
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Display name.
    name: String,
    /// Plugin type, e.g. `prometheus`, `loki`, `elasticsearch`.
    #[serde(rename = "type")]
    kind: String,
    /// URL of the backing service.
    url: String,
    #[serde(flatten)]
    common: Common,
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// UID of the data source to change.
    uid: String,
    /// New display name (default: unchanged).
    name: Option<String>,
    /// Plugin type (default: unchanged).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// URL of the backing service (default: unchanged).
    url: Option<String>,
    #[serde(flatten)]
    common: Common,
}

fn apply(body: &mut Value, names: [(&str, Option<String>); 3], a: Common) -> Result<(), ToolError> {
    if let Some(access) = optional(&a.access) {
        if access != "proxy" && access != "direct" {
            return Err(ToolError::invalid(format!("`access` must be proxy or direct, got `{access}`")));
        }
        body["access"] = json!(access);
    }
    let more = [("database", a.database), ("user", a.user)];
    for (k, v) in names.into_iter().chain(more) {
        if let Some(v) = optional(&v) {
            body[k] = json!(v);
        }
    }
    if let Some(d) = a.is_default {
        body["isDefault"] = json!(d);
    }
    if let Some(j) = a.json_data {
        body["jsonData"] = Value::Object(j);
    }
    let mut secure = a.secure_json_data.unwrap_or_default();
    if let Some(p) = a.password.filter(|p| !p.is_empty()) {
        secure.insert("password".into(), json!(p));
    }
    if !secure.is_empty() {
        body["secureJsonData"] = Value::Object(secure);
    }
    Ok(())
}

pub fn create_datasource(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let name = required("name", &a.name)?.to_string();
    let kind = required("type", &a.kind)?.to_string();
    let url = required("url", &a.url)?.to_string();
    let mut body = json!({ "access": "proxy" });
    apply(&mut body, [("name", Some(name)), ("type", Some(kind)), ("url", Some(url))], a.common)?;
    Output::json(&scrub(Grafana::new(ctx)?.with_body("POST", "/api/datasources", &body)?))
}

pub fn update_datasource(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let uid = required("uid", &a.uid)?.to_string();
    let g = Grafana::new(ctx)?;
    let path = by_uid(&uid)?;
    // PUT replaces the whole data source: start from the stored one so
    // fields not given keep their values.
    let mut body = scrub(g.get(&path, &[]).map_err(missing(format!("data source `{uid}`")))?);
    if let Some(o) = body.as_object_mut() {
        o.remove("secureJsonFields");
        o.remove("typeLogoUrl");
    }
    apply(&mut body, [("name", a.name), ("type", a.kind), ("url", a.url)], a.common)?;
    Output::json(&scrub(g.with_body("PUT", &path, &body).map_err(missing(format!("data source `{uid}`")))?))
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteArgs {
    /// UID of the data source.
    uid: String,
}

pub fn delete_datasource(a: DeleteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let out =
        Grafana::new(ctx)?.delete(&by_uid(&a.uid)?, &[]).map_err(missing(format!("data source `{}`", a.uid.trim())))?;
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct QueryArgs {
    /// UID of the data source to query.
    #[serde(rename = "datasourceUID", alias = "datasourceUid", alias = "uid")]
    datasource_uid: String,
    /// A query expression (PromQL, LogQL, ...), sent as `expr` of query `A`.
    expr: Option<String>,
    /// Full query objects in the data source's own format (`refId` defaults to A, B, ...).
    queries: Option<Vec<serde_json::Map<String, Value>>>,
    /// Start of the range, e.g. `now-1h` or epoch ms (default now-1h).
    from: Option<String>,
    /// End of the range (default now).
    to: Option<String>,
    /// Rows shown per frame: 1-100 (default 20).
    limit: Option<Num>,
    /// Return Grafana's full answer instead of the frame summary.
    raw: Option<bool>,
}

pub fn query_datasource(a: QueryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let uid = required("datasourceUID", &a.datasource_uid)?.to_string();
    let rows = opt_whole("limit", &a.limit, 1, MAX_LIMIT as i64)?.map_or(ROWS_PER_FRAME, |n| n as usize);
    let mut queries = a.queries.unwrap_or_default();
    if let Some(expr) = optional(&a.expr) {
        queries.insert(0, serde_json::Map::from_iter([("expr".to_string(), json!(expr))]));
    }
    if queries.is_empty() {
        return Err(ToolError::invalid("give `expr` or `queries`"));
    }
    let queries: Vec<Value> = queries
        .into_iter()
        .enumerate()
        .map(|(i, mut q)| {
            q.entry("refId").or_insert_with(|| json!(((b'A' + (i % 26) as u8) as char).to_string()));
            q.insert("datasource".into(), json!({ "uid": uid }));
            Value::Object(q)
        })
        .collect();
    let from = optional(&a.from).unwrap_or_else(|| "now-1h".into());
    let to = optional(&a.to).unwrap_or_else(|| "now".into());
    let body = json!({ "queries": queries, "from": from, "to": to });
    let answer = Grafana::new(ctx)?.with_body("POST", "/api/ds/query", &body)?;
    if a.raw == Some(true) {
        return Output::json(&answer);
    }
    Output::json(&summarize_frames(&answer, rows))
}

/// Per refId: status, error, and each frame's fields and first rows.
fn summarize_frames(answer: &Value, rows: usize) -> Value {
    let mut results = serde_json::Map::new();
    for (ref_id, r) in answer.get("results").and_then(Value::as_object).into_iter().flatten() {
        let frames: Vec<Value> = r
            .get("frames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| {
                let fields: Vec<Value> = f["schema"]["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| json!({ "name": x.get("name"), "type": x.get("type"), "labels": x.get("labels") }))
                    .collect();
                let columns: Vec<&Vec<Value>> =
                    f["data"]["values"].as_array().into_iter().flatten().filter_map(Value::as_array).collect();
                let total = columns.first().map_or(0, |c| c.len());
                let table: Vec<Value> = (0..total.min(rows))
                    .map(|i| Value::Array(columns.iter().map(|c| c.get(i).cloned().unwrap_or(Value::Null)).collect()))
                    .collect();
                json!({ "name": f["schema"].get("name"), "fields": fields, "rowCount": total,
                        "truncated": total > rows, "rows": table })
            })
            .collect();
        let mut entry = json!({ "status": r.get("status"), "frames": frames });
        if let Some(e) = r.get("error") {
            entry["error"] = e.clone();
        }
        results.insert(ref_id.clone(), entry);
    }
    json!({ "results": results })
}

#[derive(Deserialize, JsonSchema)]
pub struct ProxyArgs {
    /// UID of the data source.
    #[serde(rename = "datasourceUID", alias = "datasourceUid", alias = "uid")]
    datasource_uid: String,
    /// Path in the data source's own API, e.g. `api/v1/query` for Prometheus.
    path: String,
    /// Query parameters.
    params: Option<std::collections::BTreeMap<String, String>>,
}

pub fn datasource_proxy(a: ProxyArgs, ctx: &Context) -> Result<Output, ToolError> {
    let uid = segment("datasourceUID", &a.datasource_uid)?;
    let sub = required("path", &a.path)?.trim_start_matches('/');
    if sub.split('/').any(|p| p == ".." || p == ".") || sub.contains(['?', '#', '\\']) {
        return Err(ToolError::invalid("`path` must be a plain relative path (no `..`, `?` or `#`; use `params`)"));
    }
    let params = a.params.unwrap_or_default();
    let query: Vec<(&str, Option<String>)> = params.iter().map(|(k, v)| (k.as_str(), Some(v.clone()))).collect();
    let path = format!("/api/datasources/proxy/uid/{uid}/{sub}");
    let out = Grafana::new(ctx)?.get(&path, &query).map_err(missing(format!("data source `{}`", a.datasource_uid)))?;
    Output::json(&json!({ "datasourceUID": a.datasource_uid.trim(), "path": sub, "response": out }))
}
