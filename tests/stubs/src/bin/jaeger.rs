//! Stub of the Jaeger query service's HTTP JSON API (the `/api/...` routes
//! the Jaeger UI uses), for tests where no real Jaeger can be installed.
//! Reference: Jaeger documentation "APIs → HTTP JSON (internal)"
//! (https://www.jaegertracing.io/docs/1.62/apis/#http-json-internal), which
//! points to the query service's handler (`cmd/query/app/http_handler.go`,
//! `query_parser.go`) for routes, parameters, the response envelope
//! `{data, total, limit, offset, errors: [{code, msg}]}` and error texts.
//! Traces are built in at start-up, relative to the current time, and kept
//! in memory the way Jaeger's memory storage matches them (per span).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use k8s_mcp_stubs::query_pairs;
use serde_json::{Value, json};

type Traces = std::sync::Arc<Vec<Value>>;

const DAY_US: i64 = 86_400_000_000;

/// `{data, total, limit, offset, errors}` as the query service writes it.
fn ok(data: Value) -> Response {
    let total = data.as_array().map_or(0, Vec::len);
    Json(json!({ "data": data, "total": total, "limit": 0, "offset": 0, "errors": null })).into_response()
}

fn err(code: StatusCode, msg: impl Into<String>) -> Response {
    let body = json!({
        "data": null, "total": 0, "limit": 0, "offset": 0,
        "errors": [{ "code": code.as_u16(), "msg": msg.into() }],
    });
    (code, Json(body)).into_response()
}

/// The first non-empty value of `key`: the query parser treats an empty
/// parameter as absent.
fn first<'a>(p: &'a [(String, String)], key: &str) -> Option<&'a str> {
    p.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.as_str())
}

/// Go's `time.ParseDuration`, enough of it for the query parameters.
fn go_duration_us(s: &str) -> Option<i64> {
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        total += num
            * match &rest[..u] {
                "ns" => 0.001,
                "us" | "µs" => 1.0,
                "ms" => 1e3,
                "s" => 1e6,
                "m" => 6e7,
                "h" => 3.6e9,
                _ => return None,
            };
        rest = &rest[u..];
    }
    Some(total as i64)
}

/// An integer parameter; the error is the query service's message.
fn int_param(p: &[(String, String)], key: &str) -> Result<Option<i64>, String> {
    match first(p, key) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("unable to parse param '{key}': strconv.ParseInt: parsing \"{v}\": invalid syntax")),
    }
}

fn service_of<'a>(trace: &'a Value, span: &Value) -> &'a str {
    let pid = span["processID"].as_str().unwrap_or("");
    trace["processes"][pid]["serviceName"].as_str().unwrap_or("")
}

fn tag_matches(tags: &Value, key: &str, value: &str) -> bool {
    tags.as_array().into_iter().flatten().any(|t| {
        t["key"].as_str() == Some(key)
            && match &t["value"] {
                Value::String(s) => s == value,
                other => value.parse::<Value>().ok().as_ref() == Some(other),
            }
    })
}

/// GET /api/services (http_handler.go `getServices`).
async fn services(State(traces): State<Traces>) -> Response {
    let names: BTreeSet<String> = traces
        .iter()
        .flat_map(|t| {
            t["processes"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, p)| p["serviceName"].as_str().unwrap_or("").to_string())
        })
        .collect();
    ok(json!(names))
}

fn operations_of(traces: &Traces, service: &str, kind: Option<&str>) -> BTreeMap<String, String> {
    let mut ops = BTreeMap::new();
    for t in traces.iter() {
        for s in t["spans"].as_array().into_iter().flatten() {
            if service_of(t, s) != service {
                continue;
            }
            let k = s["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["key"] == "span.kind")
                .and_then(|t| t["value"].as_str())
                .unwrap_or("")
                .to_string();
            if kind.is_none_or(|want| want == k) {
                ops.insert(s["operationName"].as_str().unwrap_or("").to_string(), k);
            }
        }
    }
    ops
}

/// GET /api/services/{service}/operations (legacy, names only: `getOperationsLegacy`).
async fn service_operations(State(traces): State<Traces>, Path(service): Path<String>) -> Response {
    ok(json!(operations_of(&traces, &service, None).into_keys().collect::<Vec<_>>()))
}

/// GET /api/operations?service=&spanKind= (`getOperations`).
async fn operations(State(traces): State<Traces>, RawQuery(q): RawQuery) -> Response {
    let p = query_pairs(q.as_deref());
    let Some(service) = first(&p, "service") else {
        return err(StatusCode::BAD_REQUEST, "parameter 'service' is required");
    };
    let ops = operations_of(&traces, service, first(&p, "spanKind"));
    ok(json!(ops.into_iter().map(|(name, kind)| json!({ "name": name, "spanKind": kind })).collect::<Vec<_>>()))
}

/// GET /api/traces?service&operation&start&end&limit&minDuration&maxDuration&tags (`search`,
/// parameters from query_parser.go `parseTraceQueryParams`).
async fn search(State(traces): State<Traces>, RawQuery(q): RawQuery) -> Response {
    let p = query_pairs(q.as_deref());
    let Some(service) = first(&p, "service") else {
        return err(StatusCode::BAD_REQUEST, "parameter 'service' is required");
    };
    let operation = first(&p, "operation");
    let now = now_us();
    let (start, end, limit) = match (int_param(&p, "start"), int_param(&p, "end"), int_param(&p, "limit")) {
        (Ok(s), Ok(e), Ok(l)) => (s.unwrap_or(now - 2 * DAY_US), e.unwrap_or(now), l.unwrap_or(0)),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return err(StatusCode::BAD_REQUEST, r),
    };
    let mut bounds = [None, None];
    for (i, key) in ["minDuration", "maxDuration"].iter().enumerate() {
        if let Some(v) = first(&p, key) {
            match go_duration_us(v) {
                Some(d) => bounds[i] = Some(d),
                None => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        format!("unable to parse param '{key}': time: invalid duration \"{v}\""),
                    );
                }
            }
        }
    }
    if let [Some(lo), Some(hi)] = bounds
        && hi < lo
    {
        return err(StatusCode::BAD_REQUEST, "'maxDuration' should be greater than 'minDuration'");
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    for (k, v) in &p {
        if k == "tag" {
            match v.split_once(':') {
                Some((a, b)) => tags.push((a.into(), b.into())),
                None => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        format!("malformed 'tag' parameter, expecting key:value, received: {v}"),
                    );
                }
            }
        } else if k == "tags" {
            match serde_json::from_str::<BTreeMap<String, String>>(v) {
                Ok(m) => tags.extend(m),
                Err(e) => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        format!("malformed 'tags' parameter, cannot unmarshal JSON: {e}"),
                    );
                }
            }
        }
    }
    let found: Vec<Value> = traces
        .iter()
        .filter(|t| {
            t["spans"].as_array().into_iter().flatten().any(|s| {
                let st = s["startTime"].as_i64().unwrap_or(0);
                let d = s["duration"].as_i64().unwrap_or(0);
                let pid = s["processID"].as_str().unwrap_or("");
                service_of(t, s) == service
                    && operation.is_none_or(|o| s["operationName"] == o)
                    && st >= start
                    && st <= end
                    && bounds[0].is_none_or(|lo| d >= lo)
                    && bounds[1].is_none_or(|hi| d <= hi)
                    && tags
                        .iter()
                        .all(|(k, v)| tag_matches(&s["tags"], k, v) || tag_matches(&t["processes"][pid]["tags"], k, v))
            })
        })
        .take(if limit > 0 { limit as usize } else { usize::MAX })
        .cloned()
        .collect();
    ok(json!(found))
}

/// GET /api/traces/{traceID} (`getTrace`): 404 "trace not found".
async fn trace(State(traces): State<Traces>, Path(id): Path<String>) -> Response {
    if id.len() > 32 {
        return err(StatusCode::BAD_REQUEST, format!("TraceID cannot be longer than 32 hex characters: {id}"));
    }
    if !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return err(StatusCode::BAD_REQUEST, format!("strconv.ParseUint: parsing \"{id}\": invalid syntax"));
    }
    let want = id.trim_start_matches('0').to_ascii_lowercase();
    match traces.iter().find(|t| t["traceID"].as_str().map(|s| s.trim_start_matches('0')) == Some(&want)) {
        Some(t) => ok(json!([t])),
        None => err(StatusCode::NOT_FOUND, "trace not found"),
    }
}

/// GET /api/dependencies?endTs=<ms>&lookback=<ms> (`dependencies`, query_parser.go
/// `parseDependenciesQueryParams`: endTs defaults to now, lookback to 24 h).
async fn dependencies(State(traces): State<Traces>, RawQuery(q): RawQuery) -> Response {
    let p = query_pairs(q.as_deref());
    let (end_ms, lookback_ms) = match (int_param(&p, "endTs"), int_param(&p, "lookback")) {
        (Ok(e), Ok(l)) => (e.unwrap_or(now_us() / 1000), l.unwrap_or(86_400_000)),
        (Err(r), _) | (_, Err(r)) => return err(StatusCode::BAD_REQUEST, r),
    };
    let (from, to) = ((end_ms - lookback_ms) * 1000, end_ms * 1000);
    let mut edges: BTreeMap<(String, String), u64> = BTreeMap::new();
    for t in traces.iter() {
        let spans = t["spans"].as_array().cloned().unwrap_or_default();
        for s in &spans {
            let st = s["startTime"].as_i64().unwrap_or(0);
            if st < from || st > to {
                continue;
            }
            let Some(parent_id) = s["references"].get(0).and_then(|r| r["spanID"].as_str()) else { continue };
            let Some(parent) = spans.iter().find(|x| x["spanID"] == parent_id) else { continue };
            let (a, b) = (service_of(t, parent), service_of(t, s));
            if a != b {
                *edges.entry((a.to_string(), b.to_string())).or_insert(0) += 1;
            }
        }
    }
    ok(json!(
        edges.into_iter().map(|((a, b), n)| json!({ "parent": a, "child": b, "callCount": n })).collect::<Vec<_>>()
    ))
}

fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

fn tag(key: &str, value: Value) -> Value {
    let kind = match &value {
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        _ => "string",
    };
    json!({ "key": key, "type": kind, "value": value })
}

/// One span: (span id, parent id, process, operation, offset µs, duration µs, kind, extra tags).
type SpanSpec<'a> = (&'a str, Option<&'a str>, &'a str, &'a str, i64, i64, &'a str, Vec<Value>);

fn build_trace(trace_id: &str, start: i64, processes: &[(&str, &str)], spans: Vec<SpanSpec>) -> Value {
    let procs: serde_json::Map<String, Value> = processes
        .iter()
        .map(|(pid, svc)| {
            let tags =
                json!([tag("hostname", json!(format!("{svc}-7d9f8"))), tag("jaeger.version", json!("Go-2.30.0"))]);
            (pid.to_string(), json!({ "serviceName": svc, "tags": tags }))
        })
        .collect();
    let spans: Vec<Value> = spans
        .into_iter()
        .map(|(id, parent, pid, op, offset, duration, kind, extra)| {
            let mut tags = vec![tag("span.kind", json!(kind))];
            tags.extend(extra);
            let error = tags.iter().any(|t| t["key"] == "error");
            json!({
                "traceID": trace_id,
                "spanID": id,
                "flags": 1,
                "operationName": op,
                "references": parent.map_or(json!([]), |p| json!([{ "refType": "CHILD_OF", "traceID": trace_id, "spanID": p }])),
                "startTime": start + offset,
                "duration": duration,
                "tags": tags,
                "logs": if error {
                    json!([{ "timestamp": start + offset + duration, "fields": [tag("event", json!("error")), tag("message", json!("insufficient stock"))] }])
                } else { json!([]) },
                "processID": pid,
                "warnings": null,
            })
        })
        .collect();
    json!({ "traceID": trace_id, "spans": spans, "processes": procs, "warnings": null })
}

fn sample_traces(now: i64) -> Vec<Value> {
    let http = |method: &str, code: i64| vec![tag("http.method", json!(method)), tag("http.status_code", json!(code))];
    let procs = [("p1", "frontend"), ("p2", "api-gateway"), ("p3", "orders"), ("p4", "inventory"), ("p5", "postgres")];
    let checkout_ok = build_trace(
        "4bf92f3577b34da6a3ce929d0e0e4736",
        now - 600_000_000,
        &procs,
        vec![
            ("a1", None, "p1", "HTTP POST /checkout", 0, 120_000, "server", http("POST", 200)),
            ("a2", Some("a1"), "p2", "POST /api/orders", 5_000, 110_000, "server", http("POST", 201)),
            ("a3", Some("a2"), "p3", "CreateOrder", 10_000, 100_000, "server", vec![]),
            ("a4", Some("a3"), "p4", "ReserveStock", 12_000, 30_000, "client", vec![]),
            (
                "a5",
                Some("a3"),
                "p5",
                "INSERT orders",
                45_000,
                60_000,
                "client",
                vec![tag("db.system", json!("postgresql"))],
            ),
        ],
    );
    let mut err_tags = http("POST", 500);
    err_tags.push(tag("error", json!(true)));
    let checkout_err = build_trace(
        "00000000000000007d1c2e3f4a5b6c7d",
        now - 300_000_000,
        &procs,
        vec![
            ("b1", None, "p1", "HTTP POST /checkout", 0, 900_000, "server", err_tags.clone()),
            ("b2", Some("b1"), "p2", "POST /api/orders", 4_000, 890_000, "server", err_tags),
            ("b3", Some("b2"), "p3", "CreateOrder", 8_000, 880_000, "server", vec![tag("error", json!(true))]),
            ("b4", Some("b3"), "p4", "ReserveStock", 10_000, 850_000, "client", vec![tag("error", json!(true))]),
        ],
    );
    let home = build_trace(
        "a1b2c3d4e5f60718",
        now - 60_000_000,
        &[("p1", "frontend"), ("p2", "catalog")],
        vec![
            ("c1", None, "p1", "HTTP GET /", 0, 30_000, "server", http("GET", 200)),
            ("c2", Some("c1"), "p2", "ListProducts", 2_000, 25_000, "server", vec![]),
        ],
    );
    let batch = build_trace(
        "5e6f708192a3b4c5d6e7f8091a2b3c4d",
        now - 3 * DAY_US,
        &[("p1", "batch-worker"), ("p2", "object-store")],
        vec![
            ("d1", None, "p1", "process-batch", 0, 2_000_000, "internal", vec![]),
            ("d2", Some("d1"), "p2", "PutObject", 1_500_000, 400_000, "server", vec![]),
        ],
    );
    vec![checkout_ok, checkout_err, home, batch]
}

#[tokio::main]
async fn main() {
    let traces: Traces = std::sync::Arc::new(sample_traces(now_us()));
    let app = Router::new()
        .route("/api/services", get(services))
        .route("/api/services/{service}/operations", get(service_operations))
        .route("/api/operations", get(operations))
        .route("/api/traces", get(search))
        .route("/api/traces/{trace_id}", get(trace))
        .route("/api/dependencies", get(dependencies))
        .fallback(|| async { err(StatusCode::NOT_FOUND, "404 page not found") })
        .with_state(traces);
    k8s_mcp_stubs::serve(app).await;
}
