//! The `jaeger` service: the Jaeger query service's HTTP JSON API (`/api/...`,
//! the API of the Jaeger UI) at the configured address (`MCP_JAEGER_ADDRESS`).
//! Tool names and parameters follow the Go k8s-mcp-server; routes and
//! parameters are Jaeger's own (`tags` as a JSON object, dependencies with
//! `endTs`/`lookback` in milliseconds).

mod times;
mod trace;

use k8s_mcp_sdk::args::required;
use k8s_mcp_sdk::backend::{Backend, ensure_enabled, status_error};
use k8s_mcp_sdk::prelude::*;

const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;
const MAX_NAMES: u64 = 1000;
const MAX_SUMMARY_SERVICES: u64 = 50;

struct Jaeger;

fn backend(ctx: &Context) -> Result<Backend, ToolError> {
    ensure_enabled(ctx, "jaeger")?;
    Backend::from_context(ctx, "jaeger", "address", "set MCP_JAEGER_ADDRESS or components.jaeger.settings.address")
}

/// GET a query-service route; unwrap `{data, total, limit, offset, errors}`.
/// Errors come as `errors: [{code, msg}]` with the HTTP status.
fn api(ctx: &Context, path: &str, query: &[(&str, Option<String>)]) -> Result<Value, ToolError> {
    let b = backend(ctx)?;
    let resp = b.send(b.request("GET", path, query))?;
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let errors: Vec<String> = body
        .as_ref()
        .and_then(|v| v["errors"].as_array())
        .into_iter()
        .flatten()
        .map(|e| e["msg"].as_str().map_or_else(|| e.to_string(), str::to_string))
        .collect();
    if !resp.is_success() {
        let detail = if errors.is_empty() { resp.text().chars().take(300).collect() } else { errors.join("; ") };
        return Err(status_error(resp.status, format!("jaeger answered HTTP {}: {}", resp.status, detail.trim())));
    }
    let body =
        body.ok_or_else(|| ToolError::upstream(format!("jaeger answered {} with a body that is not JSON", path)))?;
    if body["data"].is_null() && !errors.is_empty() {
        return Err(ToolError::upstream(format!("jaeger: {}", errors.join("; "))));
    }
    Ok(body)
}

fn limit(name: &str, value: Option<f64>, default: u64, max: u64) -> Result<usize, ToolError> {
    let Some(v) = value else { return Ok(default as usize) };
    if !v.is_finite() || v.fract() != 0.0 || v < 1.0 || v > max as f64 {
        return Err(ToolError::invalid(format!("`{name}` must be a whole number from 1 to {max}, got {v}")));
    }
    Ok(v as usize)
}

fn names(data: &Value) -> Vec<String> {
    let mut v: Vec<String> =
        data.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    v.sort();
    v
}

#[derive(Deserialize, JsonSchema)]
struct ListArgs {
    /// Most names to return (default 1000, at most 1000).
    limit: Option<f64>,
}

fn get_services(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit("limit", a.limit, MAX_NAMES, MAX_NAMES)?;
    let all = names(&api(ctx, "/api/services", &[])?["data"]);
    Output::json(
        &json!({ "total": all.len(), "truncated": all.len() > n, "services": all.into_iter().take(n).collect::<Vec<_>>() }),
    )
}

#[derive(Deserialize, JsonSchema)]
struct OpsArgs {
    /// Service name.
    service: String,
    /// Only operations of this span kind: server, client, producer, consumer, internal.
    span_kind: Option<String>,
    /// Most operations to return (default 1000, at most 1000).
    limit: Option<f64>,
}

fn get_service_ops(a: OpsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let service = required("service", &a.service)?;
    let n = limit("limit", a.limit, MAX_NAMES, MAX_NAMES)?;
    let kind = a.span_kind.map(|k| k.trim().to_ascii_lowercase()).filter(|k| !k.is_empty());
    if let Some(k) = &kind
        && !["server", "client", "producer", "consumer", "internal"].contains(&k.as_str())
    {
        return Err(ToolError::invalid(format!(
            "`span_kind` must be server, client, producer, consumer or internal, got `{k}`"
        )));
    }
    let body = api(ctx, "/api/operations", &[("service", Some(service.to_string())), ("spanKind", kind)])?;
    let mut ops: Vec<Value> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| json!({ "name": o["name"], "span_kind": o["spanKind"] }))
        .collect();
    ops.sort_by(|x, y| x["name"].as_str().cmp(&y["name"].as_str()));
    Output::json(&json!({
        "service": service,
        "total": ops.len(),
        "truncated": ops.len() > n,
        "operations": ops.into_iter().take(n).collect::<Vec<_>>(),
    }))
}

// The trace filters get_traces, get_traces_summary and search_traces share.
// (No doc comment: schemars would make it the description of the tools'
// argument structs.)
#[derive(Deserialize, JsonSchema)]
#[serde(remote = "Self")]
struct TraceFilter {
    /// Service name.
    service: String,
    /// Only traces with a span of this operation.
    operation: Option<String>,
    /// Window start: RFC 3339, unix s/ms/µs/ns, `now-1h` (default 24 h before end).
    start_time: Option<String>,
    /// Window end (default now).
    end_time: Option<String>,
    /// Most traces (default 20, at most 100).
    limit: Option<f64>,
    /// Shortest trace duration, e.g. `100ms`, `1.5s`.
    min_duration: Option<String>,
    /// Longest trace duration.
    max_duration: Option<String>,
}
k8s_mcp_sdk::flattened_args!(TraceFilter);

#[derive(Deserialize, JsonSchema)]
struct TraceQuery {
    #[serde(flatten)]
    filter: TraceFilter,
    /// Return Jaeger's full trace objects instead of one summary line per trace.
    raw: Option<bool>,
    /// Not a parameter here (search_traces takes tags); read only to say so.
    #[schemars(skip)]
    tags: Option<Value>,
}

/// search_traces: the same as get_traces plus tag filters.
#[derive(Deserialize, JsonSchema)]
struct SearchQuery {
    #[serde(flatten)]
    filter: TraceFilter,
    /// Span tags every matching trace must have, e.g. {"http.status_code": "500", "error": "true"}.
    tags: Option<Value>,
    /// Return Jaeger's full trace objects instead of one summary line per trace.
    raw: Option<bool>,
}

impl From<SearchQuery> for TraceQuery {
    fn from(a: SearchQuery) -> Self {
        Self { filter: a.filter, raw: a.raw, tags: a.tags }
    }
}

fn find_traces(q: &TraceQuery, ctx: &Context) -> Result<(Vec<Value>, usize), ToolError> {
    let a = &q.filter;
    let service = required("service", &a.service)?;
    let n = limit("limit", a.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let (start, end) = times::window(a.start_time.as_deref(), a.end_time.as_deref())?;
    let dur = |name: &str, v: &Option<String>| {
        v.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(|d| times::duration_us(name, d)).transpose()
    };
    let (min, max) = (dur("min_duration", &a.min_duration)?, dur("max_duration", &a.max_duration)?);
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(ToolError::invalid("`min_duration` must not be greater than `max_duration`"));
    }
    let tags = match &q.tags {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) if m.is_empty() => None,
        Some(Value::Object(m)) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(_) | Value::Bool(_) => v.to_string(),
                    _ => {
                        return Err(ToolError::invalid(format!(
                            "tag `{k}` must have a string, number or boolean value"
                        )));
                    }
                };
                out.insert(k.clone(), json!(v));
            }
            Some(Value::Object(out).to_string())
        }
        Some(_) => return Err(ToolError::invalid("`tags` must be an object of tag names to values")),
    };
    let query = [
        ("service", Some(service.to_string())),
        ("operation", a.operation.as_deref().map(str::trim).filter(|o| !o.is_empty()).map(str::to_string)),
        ("start", Some(start.to_string())),
        ("end", Some(end.to_string())),
        ("limit", Some(n.to_string())),
        ("minDuration", min.map(|us| format!("{us}us"))),
        ("maxDuration", max.map(|us| format!("{us}us"))),
        ("tags", tags),
    ];
    let body = api(ctx, "/api/traces", &query)?;
    let mut traces: Vec<Value> = body["data"].as_array().cloned().unwrap_or_default();
    // Newest first, then cut to the limit the caller asked for.
    traces.sort_by_cached_key(|t| std::cmp::Reverse(trace::spans(t).iter().map(|s| s.start).min().unwrap_or(0)));
    let total = traces.len();
    traces.truncate(n);
    Ok((traces, total))
}

fn traces_out(a: TraceQuery, ctx: &Context) -> Result<Output, ToolError> {
    let (traces, total) = find_traces(&a, ctx)?;
    let raw = a.raw.unwrap_or(false);
    let list: Vec<Value> = if raw { traces } else { traces.iter().map(trace::summary).collect() };
    Output::json(&json!({ "service": a.filter.service.trim(), "total": total, "returned": list.len(), "traces": list }))
}

fn get_traces(a: TraceQuery, ctx: &Context) -> Result<Output, ToolError> {
    if a.tags.is_some() {
        return Err(ToolError::invalid("get_traces takes no `tags`; use search_traces"));
    }
    traces_out(a, ctx)
}

fn search_traces(a: SearchQuery, ctx: &Context) -> Result<Output, ToolError> {
    traces_out(a.into(), ctx)
}

fn get_traces_summary(a: TraceQuery, ctx: &Context) -> Result<Output, ToolError> {
    if a.raw.unwrap_or(false) {
        return Err(ToolError::invalid("get_traces_summary is always compact; use get_traces with raw=true"));
    }
    if a.tags.is_some() {
        return Err(ToolError::invalid("get_traces_summary takes no `tags`; use search_traces"));
    }
    let (traces, total) = find_traces(&a, ctx)?;
    let cols = ["trace_id", "root_service", "root_operation", "start", "duration_ms", "spans", "error_spans"];
    let rows: Vec<Value> = traces
        .iter()
        .map(|t| {
            let s = trace::summary(t);
            Value::Array(cols.iter().map(|c| s[*c].clone()).collect())
        })
        .collect();
    Output::json(&json!({ "service": a.filter.service.trim(), "total": total, "columns": cols, "rows": rows }))
}

#[derive(Deserialize, JsonSchema)]
struct TraceArgs {
    /// Trace ID (hex, up to 32 digits).
    trace_id: String,
    /// Return Jaeger's trace object as it is instead of the analysis.
    raw: Option<bool>,
}

fn get_trace(a: TraceArgs, ctx: &Context) -> Result<Output, ToolError> {
    let id = required("trace_id", &a.trace_id)?.to_ascii_lowercase();
    if id.len() > 32 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ToolError::invalid(format!("`trace_id` must be up to 32 hex digits, got `{}`", a.trace_id.trim())));
    }
    let body = api(ctx, &format!("/api/traces/{id}"), &[])?;
    let trace = body["data"]
        .as_array()
        .and_then(|d| d.first())
        .cloned()
        .ok_or_else(|| ToolError::not_found(format!("trace {id} not found")))?;
    if a.raw.unwrap_or(false) {
        return Output::json(&trace);
    }
    Output::json(&trace::analyse(&trace))
}

#[derive(Deserialize, JsonSchema)]
struct DepsArgs {
    /// Window start (default 24 h before end).
    start_time: Option<String>,
    /// Window end (default now).
    end_time: Option<String>,
    /// Most edges (default 500, at most 1000).
    limit: Option<f64>,
}

fn get_dependencies(a: DepsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit("limit", a.limit, 500, MAX_NAMES)?;
    let (start, end) = times::window(a.start_time.as_deref(), a.end_time.as_deref())?;
    // The query API wants the window's end and its length, in milliseconds.
    let query =
        [("endTs", Some((end / 1000).to_string())), ("lookback", Some(((end - start) / 1000).max(1).to_string()))];
    let body = api(ctx, "/api/dependencies", &query)?;
    let mut edges: Vec<Value> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| json!({ "parent": d["parent"], "child": d["child"], "call_count": d["callCount"] }))
        .collect();
    edges.sort_by_key(|e| std::cmp::Reverse(e["call_count"].as_u64().unwrap_or(0)));
    let mut services: Vec<&str> =
        edges.iter().flat_map(|e| [e["parent"].as_str(), e["child"].as_str()]).flatten().collect();
    services.sort();
    services.dedup();
    let services: Vec<String> = services.into_iter().map(str::to_string).collect();
    let total = edges.len();
    edges.truncate(n);
    Output::json(&json!({
        "start": times::rfc3339(start),
        "end": times::rfc3339(end),
        "services": services,
        "total": total,
        "dependencies": edges,
    }))
}

#[derive(Deserialize, JsonSchema)]
struct ServicesSummaryArgs {
    /// Most services to count operations for (default 50, at most 50).
    limit: Option<f64>,
}

fn get_services_summary(a: ServicesSummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit("limit", a.limit, MAX_SUMMARY_SERVICES, MAX_SUMMARY_SERVICES)?;
    let all = names(&api(ctx, "/api/services", &[])?["data"]);
    let mut rows = Vec::new();
    for s in all.iter().take(n) {
        let ops = api(ctx, &format!("/api/services/{}/operations", k8s_mcp_sdk::backend::encode(s)), &[])?;
        rows.push(json!([s, ops["data"].as_array().map_or(0, Vec::len)]));
    }
    Output::json(&json!({ "total": all.len(), "columns": ["service", "operations"], "rows": rows }))
}

impl Service for Jaeger {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new(
                "get_traces",
                "Find traces of a service (optional operation, time window, duration bounds); one summary line per trace (limit default 20, at most 100; raw=true for full traces).",
                get_traces,
            )
            .read_only(),
            Tool::new(
                "get_trace",
                "One trace by ID, analysed: services, slowest spans by self time, critical path, span table (raw=true for Jaeger's trace object).",
                get_trace,
            )
            .read_only(),
            Tool::new("get_services", "Services known to Jaeger.", get_services).read_only(),
            Tool::new("get_service_ops", "Operations (span names and kinds) of one service.", get_service_ops).read_only(),
            Tool::new(
                "search_traces",
                "Trace search like get_traces plus span tag filters (`tags`, e.g. {\"error\": \"true\"}).",
                search_traces,
            )
            .read_only(),
            Tool::new(
                "get_dependencies",
                "Service dependency edges (parent → child, call count) within a time window (default the last 24 h).",
                get_dependencies,
            )
            .read_only(),
            Tool::new(
                "get_traces_summary",
                "Compact trace table: trace ID, root service and operation, start, duration, span and error counts.",
                get_traces_summary,
            )
            .read_only(),
            Tool::new(
                "get_services_summary",
                "Compact service table: each service with its number of operations.",
                get_services_summary,
            )
            .read_only(),
        ]
    }
}

k8s_mcp_sdk::export_service!(Jaeger);
