//! Status (Kibana docs: "Get Kibana's current status", v8 format) and the
//! Console proxy (docs: "Run an Elasticsearch query", POST
//! /api/console/proxy?path=...&method=...) over a small in-memory
//! `logs-app` index, answering `_search` the way Elasticsearch does
//! (query_string, range, sort, size, track_total_hits; 404/400 error bodies).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::state::Store;
use crate::time::{iso, now_ms, parse};
use crate::{Shared, error, first, ok, query_pairs};

const INDEX: &str = "logs-app";

/// GET /api/status (System: "Get Kibana's current status", v8 format).
pub async fn status() -> Response {
    let available = |s: &str| json!({ "level": "available", "summary": s });
    ok(json!({
        "name": "kibana-stub",
        "uuid": "5b2de169-2785-441b-ae8c-186a1936b17d",
        "version": { "number": "8.19.0", "build_hash": "stub", "build_number": 1, "build_snapshot": false, "build_flavor": "traditional" },
        "status": {
            "overall": { "level": "degraded", "summary": "1 service is degraded: reporting" },
            "core": {
                "elasticsearch": available("Elasticsearch is available"),
                "savedObjects": available("SavedObjects service has completed migrations and is available"),
            },
            "plugins": {
                "alerting": available("Alerting is (probably) ready"),
                "actions": available("All services are available"),
                "dataViews": available("All services are available"),
                "reporting": { "level": "degraded", "summary": "Reporting is waiting for a browser" },
            },
        },
        "metrics": {
            "last_updated": iso(now_ms()), "collection_interval_in_millis": 5000, "concurrent_connections": 1,
            "response_times": { "avg_in_millis": 12.5, "max_in_millis": 80 },
            "requests": { "total": 42, "disconnects": 0 },
        },
    }))
}

/// Elasticsearch's error body (passed through by the proxy with ES's status).
fn es_error(status: StatusCode, kind: &str, reason: &str) -> Response {
    let cause = json!({ "type": kind, "reason": reason });
    (
        status,
        Json(json!({ "error": { "root_cause": [cause], "type": kind, "reason": reason }, "status": status.as_u16() })),
    )
        .into_response()
}

/// `*` wildcards in an index pattern.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else { return false };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

/// The fields of the indices a data view title matches (as Kibana lists them).
pub fn fields_for(title: &str) -> Value {
    if !title.split(',').any(|p| wildcard(p.trim(), INDEX)) {
        return json!({});
    }
    let mut m = Map::new();
    for (name, ty, es, agg) in [
        ("@timestamp", "date", "date", true),
        ("log.level", "string", "keyword", true),
        ("service.name", "string", "keyword", true),
        ("host.name", "string", "keyword", true),
        ("message", "string", "text", false),
    ] {
        m.insert(
            name.into(),
            json!({ "name": name, "type": ty, "esTypes": [es], "searchable": true,
                                      "aggregatable": agg, "readFromDocValues": agg, "count": 0, "scripted": false }),
        );
    }
    Value::Object(m)
}

pub fn seed(s: &mut Store) {
    let now = now_ms();
    for i in 0..30i64 {
        let (level, message) = if i % 7 == 0 {
            ("error", format!("database connection refused (attempt {i})"))
        } else if i % 5 == 0 {
            ("warn", "slow response from payment service".to_string())
        } else if i == 1 {
            ("info", format!("request trace {}", "abcdefghij".repeat(80)))
        } else {
            ("info", format!("GET /api/orders 200 in {}ms", 20 + i))
        };
        let service = ["api", "web", "worker"][(i % 3) as usize];
        s.logs.push(json!({ "_id": format!("log-{i:03}"), "@timestamp": iso(now - i * 240_000),
                            "log": { "level": level }, "service": { "name": service }, "host": { "name": "node-1" },
                            "message": message }));
    }
    for i in 0..2i64 {
        s.logs.push(json!({ "_id": format!("old-{i}"), "@timestamp": iso(now - 3 * 86_400_000 - i * 60_000),
                            "log": { "level": "error" }, "service": { "name": "api" }, "host": { "name": "node-2" },
                            "message": "old incident: disk full" }));
    }
}

fn lookup<'a>(doc: &'a Value, dotted: &str) -> Option<&'a Value> {
    doc.get(dotted).or_else(|| doc.pointer(&format!("/{}", dotted.replace('.', "/"))))
}

/// A query_string subset: `*`, bare words (in `message`), `field:value`,
/// `field:prefix*`, quoted values, `NOT`, joined by `AND`.
fn query_string(doc: &Value, q: &str) -> Result<bool, String> {
    let q = q.trim();
    if q.is_empty() || q == "*" {
        return Ok(true);
    }
    if q.matches('"').count() % 2 == 1 || q.starts_with("AND ") || q.ends_with(" AND") || q.ends_with(':') {
        return Err(format!("Failed to parse query [{q}]"));
    }
    for term in q.split(" AND ") {
        let (negate, term) = match term.trim().strip_prefix("NOT ") {
            Some(t) => (true, t.trim()),
            None => (false, term.trim()),
        };
        let hit = match term.split_once(':') {
            Some((field, value)) => {
                let value = value.trim().trim_matches('"').to_lowercase();
                let actual =
                    lookup(doc, field.trim()).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
                let actual = actual.unwrap_or_default().to_lowercase();
                match value.strip_suffix('*') {
                    Some(prefix) => actual.starts_with(prefix),
                    None if field.trim() == "message" => actual.contains(&value),
                    None => actual == value,
                }
            }
            None => {
                let word = term.trim_matches('"').trim_end_matches('*').to_lowercase();
                doc["message"].as_str().unwrap_or("").to_lowercase().contains(&word)
            }
        };
        if hit == negate {
            return Ok(false);
        }
    }
    Ok(true)
}

fn matches(doc: &Value, query: &Value, now: i64) -> Result<bool, String> {
    let Some((kind, body)) = query.as_object().and_then(|o| o.iter().next()) else { return Ok(true) };
    match kind.as_str() {
        "match_all" => Ok(true),
        "query_string" => query_string(doc, body["query"].as_str().unwrap_or("*")),
        "range" => {
            let Some((field, bounds)) = body.as_object().and_then(|o| o.iter().next()) else { return Ok(true) };
            let Some(t) = lookup(doc, field).and_then(Value::as_str).and_then(|t| parse(t, now)) else {
                return Ok(false);
            };
            for (op, v) in bounds.as_object().into_iter().flatten() {
                let Some(b) = v.as_str().map(|s| parse(s, now)).unwrap_or_else(|| v.as_i64()) else {
                    if op == "format" {
                        continue;
                    }
                    return Err(format!("failed to parse date field [{v}]"));
                };
                let ok = match op.as_str() {
                    "gte" => t >= b,
                    "gt" => t > b,
                    "lte" => t <= b,
                    "lt" => t < b,
                    _ => true,
                };
                if !ok {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        "bool" => {
            let list = |k: &str| -> Vec<Value> {
                match body.get(k) {
                    Some(Value::Array(a)) => a.clone(),
                    Some(v) => vec![v.clone()],
                    None => vec![],
                }
            };
            for q in list("must").iter().chain(list("filter").iter()) {
                if !matches(doc, q, now)? {
                    return Ok(false);
                }
            }
            for q in list("must_not") {
                if matches(doc, &q, now)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        other => Err(format!("unknown query [{other}]")),
    }
}

fn search(s: &Store, index: &str, body: &Value) -> Response {
    let mut hit_index = false;
    for pattern in index.split(',').map(str::trim) {
        if wildcard(pattern, INDEX) {
            hit_index = true;
        } else if !pattern.contains('*') {
            return es_error(StatusCode::NOT_FOUND, "index_not_found_exception", &format!("no such index [{pattern}]"));
        }
    }
    let size = body["size"].as_u64().unwrap_or(10);
    if size > 10_000 {
        return es_error(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            "Result window is too large, from + size must be less than or equal to: [10000]",
        );
    }
    let now = now_ms();
    let mut docs = Vec::new();
    if hit_index {
        for d in &s.logs {
            match matches(d, body.get("query").unwrap_or(&json!({ "match_all": {} })), now) {
                Ok(true) => docs.push(d.clone()),
                Ok(false) => {}
                Err(reason) => return es_error(StatusCode::BAD_REQUEST, "search_phase_execution_exception", &reason),
            }
        }
    }
    if let Some(sort) = body["sort"].as_array().and_then(|a| a.first()) {
        let (field, desc) = match sort {
            Value::String(f) => (f.clone(), false),
            Value::Object(o) => {
                let (f, spec) = o.iter().next().map(|(f, s)| (f.clone(), s.clone())).unwrap_or_default();
                let order = spec.get("order").and_then(Value::as_str).or(spec.as_str()).unwrap_or("asc").to_string();
                (f, order == "desc")
            }
            _ => (String::new(), false),
        };
        docs.sort_by_key(|d| lookup(d, &field).map(|v| v.to_string()).unwrap_or_default());
        if desc {
            docs.reverse();
        }
    }
    let total = docs.len();
    let from = body["from"].as_u64().unwrap_or(0) as usize;
    let hits: Vec<Value> = docs
        .into_iter()
        .skip(from)
        .take(size as usize)
        .map(|mut d| {
            let id = d.as_object_mut().and_then(|o| o.remove("_id")).unwrap_or(Value::Null);
            json!({ "_index": INDEX, "_id": id, "_score": null, "_source": d })
        })
        .collect();
    ok(json!({
        "took": 1, "timed_out": false,
        "_shards": { "total": 1, "successful": 1, "skipped": 0, "failed": 0 },
        "hits": { "total": { "value": total, "relation": "eq" }, "max_score": null, "hits": hits },
    }))
}

/// POST /api/console/proxy?path=<index>/_search&method=POST (Console: "Run an API request").
pub async fn console_proxy(State(s): State<Shared>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let pairs = query_pairs(q.as_deref());
    let method = first(&pairs, "method").unwrap_or("").to_ascii_uppercase();
    if !["HEAD", "GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "[request query.method]: Method must be one of, case insensitive ['HEAD', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH']. Received ''.",
        );
    }
    let Some(path) = first(&pairs, "path") else {
        return error(
            StatusCode::BAD_REQUEST,
            "[request query.path]: expected value of type [string] but got [undefined]",
        );
    };
    let body = body_or_return!(body);
    let path = path.trim_start_matches('/');
    match path.split_once("/_search") {
        Some((index, rest))
            if (rest.is_empty() || rest.starts_with('?')) && matches!(method.as_str(), "GET" | "POST") =>
        {
            search(&s.lock().unwrap(), index, &body)
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": format!("no handler found for uri [/{path}] and method [{method}]") })),
        )
            .into_response(),
    }
}
