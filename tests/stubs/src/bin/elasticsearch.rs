//! Stub of an Elasticsearch 8.x cluster's REST API, for the endpoints and
//! answer shapes the real Elasticsearch 2.4 used in the tests does not have
//! (typeless mappings, `hits.total` objects, node `roles`, data streams,
//! API-key security). Routes, parameters, bodies and error shapes follow the
//! Elasticsearch REST API reference (https://www.elastic.co/guide/en/elasticsearch/reference/8.15/rest-apis.html);
//! the section is named on each handler. Content is built in and read-only.
//!
//! Every request needs `Authorization: ApiKey <STUB_API_KEY>` or basic
//! `elastic:changeme`, as a secured 8.x cluster does.

#[path = "elasticsearch/data.rs"]
mod data;
#[path = "elasticsearch/search.rs"]
mod search;

use std::sync::Arc;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use data::Index;
use k8s_mcp_stubs::{first, query_pairs};

/// The API key the stub accepts (base64 of `stub-id:stub-key`).
const STUB_API_KEY: &str = "c3R1Yi1pZDpzdHViLWtleQ==";
/// base64 of `elastic:changeme`.
const STUB_BASIC: &str = "ZWxhc3RpYzpjaGFuZ2VtZQ==";

type St = Arc<Vec<Index>>;

/// The error body of every 8.x API: `{"error": {root_cause, type, reason}, "status"}`.
fn es_error(status: u16, kind: &str, reason: &str, index: Option<&str>) -> Response {
    let mut cause = json!({ "type": kind, "reason": reason });
    if let Some(i) = index {
        cause["index"] = json!(i);
        cause["index_uuid"] = json!("_na_");
        cause["resource.type"] = json!("index_or_alias");
        cause["resource.id"] = json!(i);
    }
    let mut error = cause.clone();
    error["root_cause"] = json!([cause]);
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, Json(json!({ "error": error, "status": status }))).into_response()
}

/// Security: "Authentication failures" return 401 with `security_exception`.
async fn auth(headers: HeaderMap, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match headers.get("authorization").and_then(|h| h.to_str().ok()) {
        Some(h) if h == format!("ApiKey {STUB_API_KEY}") || h == format!("Basic {STUB_BASIC}") => next.run(req).await,
        Some(_) => es_error(
            401,
            "security_exception",
            &format!(
                "unable to authenticate with provided credentials and anonymous access is not allowed for this request [{path}]"
            ),
            None,
        ),
        None => es_error(
            401,
            "security_exception",
            &format!("missing authentication credentials for REST request [{path}]"),
            None,
        ),
    }
}

fn wildcard(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head) && (0..=name.len() - head.len()).any(|k| wildcard(tail, &name[head.len() + k..]))
        }
    }
}

/// "Multi-target syntax": comma lists, wildcards (open, non-hidden indices
/// only), `_all`, data stream names (their backing indices). A missing
/// concrete name is `index_not_found_exception`.
fn resolve<'a>(st: &'a St, target: &str, allow_closed: bool) -> Result<Vec<&'a Index>, Box<Response>> {
    let mut out: Vec<&Index> = Vec::new();
    for part in target.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "_all" || part.contains('*') {
            let p = if part == "_all" { "*" } else { part };
            out.extend(st.iter().filter(|i| {
                wildcard(p, i.name) && (!i.name.starts_with('.') || p.starts_with('.')) && i.status == "open"
            }));
            continue;
        }
        let ds = data::data_streams();
        if let Some(stream) = ds.iter().find(|d| d["name"] == part) {
            let backing = stream["indices"][0]["index_name"].as_str().unwrap_or("");
            out.extend(st.iter().filter(|i| i.name == backing));
            continue;
        }
        match st.iter().find(|i| i.name == part) {
            Some(i) if i.status == "close" && !allow_closed => {
                return Err(Box::new(es_error(400, "index_closed_exception", "closed", Some(part))));
            }
            Some(i) => out.push(i),
            None => {
                return Err(Box::new(es_error(
                    404,
                    "index_not_found_exception",
                    &format!("no such index [{part}]"),
                    Some(part),
                )));
            }
        }
    }
    out.dedup_by_key(|i| i.name);
    Ok(out)
}

/// Cluster info API: GET /
async fn info() -> Json<Value> {
    Json(json!({
        "name": "es-master-0",
        "cluster_name": "stub-cluster",
        "cluster_uuid": "Zq8ZkNwGTJqQm1Ox9hXr0w",
        "version": {
            "number": data::VERSION, "build_flavor": "default", "build_type": "docker",
            "build_hash": "1a77947f34deddb41af25e6f0ddb8e830159c179", "build_date": "2024-08-05T10:05:34.233336849Z",
            "build_snapshot": false, "lucene_version": "9.11.1",
            "minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }))
}

fn index_health(i: &Index) -> Value {
    json!({
        "status": i.health, "number_of_shards": 1, "number_of_replicas": i.replicas,
        "active_primary_shards": 1, "active_shards": 1, "relocating_shards": 0, "initializing_shards": 0,
        "unassigned_shards": i.replicas, "unassigned_primary_shards": 0,
    })
}

/// Cluster health API: GET /_cluster/health?level=cluster|indices|shards
async fn health(State(st): State<St>, RawQuery(q): RawQuery) -> Response {
    let p = query_pairs(q.as_deref());
    let level = first(&p, "level").unwrap_or("cluster");
    if !["cluster", "indices", "shards"].contains(&level) {
        return es_error(
            400,
            "illegal_argument_exception",
            &format!("level must be one of [cluster, indices, shards] but was [{level}]"),
            None,
        );
    }
    let unassigned: u64 = st.iter().map(|i| i.replicas).sum();
    let mut h = json!({
        "cluster_name": "stub-cluster", "status": "yellow", "timed_out": false,
        "number_of_nodes": 2, "number_of_data_nodes": 1,
        "active_primary_shards": st.len(), "active_shards": st.len(), "relocating_shards": 0, "initializing_shards": 0,
        "unassigned_shards": unassigned, "unassigned_primary_shards": 0, "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0 * st.len() as f64 / (st.len() as f64 + unassigned as f64),
    });
    if level != "cluster" {
        h["indices"] =
            st.iter().map(|i| (i.name.to_string(), index_health(i))).collect::<serde_json::Map<_, _>>().into();
    }
    Json(h).into_response()
}

fn human(bytes: u64) -> String {
    if bytes >= 1024 { format!("{:.1}kb", bytes as f64 / 1024.0) } else { format!("{bytes}b") }
}

/// cat indices API: GET /_cat/indices[/{target}]?format=json&bytes=b&h=...
fn cat_indices(st: &St, target: Option<&str>, q: Option<String>) -> Response {
    let p = query_pairs(q.as_deref());
    let list: Vec<&Index> = match target {
        None => st.iter().collect(),
        Some(t) => match resolve(st, t, true) {
            Ok(l) => l,
            Err(r) => return *r,
        },
    };
    let bytes = first(&p, "bytes") == Some("b");
    let size = |n: u64| if bytes { n.to_string() } else { human(n) };
    let rows: Vec<Value> = list
        .iter()
        .map(|i| {
            let open = i.status == "open";
            let all = json!({
                "health": i.health, "status": i.status, "index": i.name, "uuid": i.uuid, "pri": "1",
                "rep": i.replicas.to_string(),
                "docs.count": open.then(|| i.docs.len().to_string()),
                "docs.deleted": open.then_some("0"),
                "store.size": open.then(|| size(i.size_bytes())),
                "pri.store.size": open.then(|| size(i.size_bytes())),
                "dataset.size": open.then(|| size(i.size_bytes())),
            });
            match first(&p, "h") {
                Some(h) => h.split(',').map(|c| (c.to_string(), all.get(c).cloned().unwrap_or(Value::Null))).collect(),
                None => all,
            }
        })
        .collect();
    Json(rows).into_response()
}

async fn cat_all_indices(State(st): State<St>, RawQuery(q): RawQuery) -> Response {
    cat_indices(&st, None, q)
}

async fn cat_some_indices(State(st): State<St>, Path(t): Path<String>, RawQuery(q): RawQuery) -> Response {
    cat_indices(&st, Some(&t), q)
}

/// cat shards API: GET /_cat/shards?format=json&h=...
async fn cat_shards(State(st): State<St>, RawQuery(q): RawQuery) -> Response {
    let p = query_pairs(q.as_deref());
    let mut rows = Vec::new();
    for i in st.iter() {
        let docs = (i.status == "open").then(|| i.docs.len().to_string());
        rows.push(json!({ "index": i.name, "shard": "0", "prirep": "p", "state": "STARTED", "docs": docs, "node": "es-data-0" }));
        for _ in 0..i.replicas {
            rows.push(json!({ "index": i.name, "shard": "0", "prirep": "r", "state": "UNASSIGNED", "docs": null, "node": null }));
        }
    }
    if let Some(h) = first(&p, "h") {
        rows = rows.into_iter().map(|r| h.split(',').map(|c| (c.to_string(), r[c].clone())).collect()).collect();
    }
    Json(rows).into_response()
}

/// Nodes info API: GET /_nodes
async fn nodes() -> Json<Value> {
    Json(data::nodes())
}

/// Nodes stats API: GET /_nodes/stats/{metric}
async fn nodes_stats(Path(_metric): Path<String>) -> Json<Value> {
    Json(data::node_stats())
}

/// Cluster stats API: GET /_cluster/stats
async fn cluster_stats(State(st): State<St>) -> Json<Value> {
    let docs: usize = st.iter().map(|i| i.docs.len()).sum();
    let bytes: u64 = st.iter().map(Index::size_bytes).sum();
    Json(json!({
        "_nodes": { "total": 2, "successful": 2, "failed": 0 },
        "cluster_name": "stub-cluster", "cluster_uuid": "Zq8ZkNwGTJqQm1Ox9hXr0w", "status": "yellow",
        "indices": { "count": st.len(), "shards": { "total": st.len(), "primaries": st.len() }, "docs": { "count": docs, "deleted": 0 }, "store": { "size_in_bytes": bytes } },
        "nodes": { "count": { "total": 2, "master": 1, "data_hot": 1, "ingest": 1 }, "jvm": { "mem": { "heap_used_in_bytes": 942_000_000u64, "heap_max_in_bytes": 2_147_483_648u64 } } },
    }))
}

/// Cluster get settings API: GET /_cluster/settings
async fn cluster_settings() -> Json<Value> {
    Json(json!({ "persistent": { "cluster": { "routing": { "allocation": { "enable": "all" } } } }, "transient": {} }))
}

fn per_index(st: &St, target: &str, f: impl Fn(&Index) -> Value) -> Response {
    match resolve(st, target, true) {
        Ok(list) => Json(list.into_iter().map(|i| (i.name.to_string(), f(i))).collect::<serde_json::Map<_, _>>())
            .into_response(),
        Err(r) => *r,
    }
}

/// Get mapping API: GET /{target}/_mapping (typeless since 7.0)
async fn mapping(State(st): State<St>, Path(t): Path<String>) -> Response {
    per_index(&st, &t, |i| json!({ "mappings": i.mapping }))
}

/// Get index settings API: GET /{target}/_settings
async fn settings(State(st): State<St>, Path(t): Path<String>) -> Response {
    per_index(&st, &t, |i| {
        json!({ "settings": { "index": {
            "number_of_shards": "1", "number_of_replicas": i.replicas.to_string(), "uuid": i.uuid,
            "creation_date": "1764064800000", "provided_name": i.name, "version": { "created": "8512000" },
            "routing": { "allocation": { "include": { "_tier_preference": "data_content" } } },
        }}})
    })
}

fn stats_of(i: &Index) -> Value {
    let docs = if i.status == "open" { i.docs.len() } else { 0 };
    json!({
        "docs": { "count": docs, "deleted": 0 }, "store": { "size_in_bytes": i.size_bytes() },
        "indexing": { "index_total": docs }, "search": { "query_total": 7 },
    })
}

/// Index stats API: GET /{target}/_stats
async fn index_stats(State(st): State<St>, Path(t): Path<String>) -> Response {
    let list = match resolve(&st, &t, true) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let docs: usize = list.iter().filter(|i| i.status == "open").map(|i| i.docs.len()).sum();
    let bytes: u64 = list.iter().map(|i| i.size_bytes()).sum();
    let all = json!({ "docs": { "count": docs, "deleted": 0 }, "store": { "size_in_bytes": bytes }, "indexing": { "index_total": docs }, "search": { "query_total": 7 * list.len() } });
    let indices: serde_json::Map<String, Value> = list
        .iter()
        .map(|i| (i.name.to_string(), json!({ "uuid": i.uuid, "health": i.health, "status": i.status, "primaries": stats_of(i), "total": stats_of(i) })))
        .collect();
    Json(json!({ "_shards": { "total": list.len(), "successful": list.len(), "failed": 0 }, "_all": { "primaries": all, "total": all }, "indices": indices })).into_response()
}

/// Index segments API: GET /{target}/_segments
async fn segments(State(st): State<St>, Path(t): Path<String>) -> Response {
    let list = match resolve(&st, &t, false) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let indices: serde_json::Map<String, Value> = list
        .iter()
        .map(|i| {
            let seg = json!({ "_0": { "generation": 0, "num_docs": i.docs.len(), "deleted_docs": 0, "size_in_bytes": i.size_bytes(), "committed": true, "search": true, "version": "9.11.1", "compound": true } });
            let copy = json!({ "routing": { "state": "STARTED", "primary": true, "node": "Xr4m1yWgRkWm0u8G0m3Xjg" }, "num_committed_segments": 1, "num_search_segments": 1, "segments": seg });
            (i.name.to_string(), json!({ "shards": { "0": [copy] } }))
        })
        .collect();
    Json(json!({ "_shards": { "total": list.len(), "successful": list.len(), "failed": 0 }, "indices": indices }))
        .into_response()
}

fn body_json(body: &str) -> Result<Value, Box<Response>> {
    if body.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(body)
        .map_err(|e| Box::new(es_error(400, "x_content_parse_exception", &format!("[1:1] {e}"), None)))
}

/// What a search or count request names: its query parameters, its body
/// (or `{}`) and the open indices of its target, or the error for the first
/// of those that is wrong.
type SearchRequest<'a> = (Vec<(String, String)>, Value, Vec<&'a Index>);

fn search_request<'a>(
    st: &'a St,
    target: &str,
    q: Option<&str>,
    body: &str,
) -> Result<SearchRequest<'a>, Box<Response>> {
    let p = query_pairs(q);
    let body = body_json(body)?;
    let list = resolve(st, target, false)?;
    Ok((p, body, list))
}

/// Search API: GET|POST /{target}/_search and /_search (`q` for URI search)
fn do_search(st: &St, target: &str, q: Option<String>, body: &str) -> Response {
    let (p, body, list) = match search_request(st, target, q.as_deref(), body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match search::search(&list, first(&p, "q"), &body, &p) {
        Ok(v) => Json(v).into_response(),
        Err((code, kind, reason)) => es_error(code, kind, &reason, None),
    }
}

async fn search_all(State(st): State<St>, RawQuery(q): RawQuery, body: String) -> Response {
    do_search(&st, "_all", q, &body)
}

async fn search_some(State(st): State<St>, Path(t): Path<String>, RawQuery(q): RawQuery, body: String) -> Response {
    do_search(&st, &t, q, &body)
}

/// Count API: GET|POST /{target}/_count
async fn count(State(st): State<St>, Path(t): Path<String>, RawQuery(q): RawQuery, body: String) -> Response {
    do_count(&st, &t, q, &body)
}

async fn count_all(State(st): State<St>, RawQuery(q): RawQuery, body: String) -> Response {
    do_count(&st, "_all", q, &body)
}

fn do_count(st: &St, t: &str, q: Option<String>, body: &str) -> Response {
    let (p, body, list) = match search_request(st, t, q.as_deref(), body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match search::hits(&list, first(&p, "q"), &body) {
        Ok(h) => Json(json!({ "count": h.len(), "_shards": { "total": list.len(), "successful": list.len(), "skipped": 0, "failed": 0 } })).into_response(),
        Err((code, kind, reason)) => es_error(code, kind, &reason, None),
    }
}

/// Get data stream API: GET /_data_stream[/{name}]
fn data_streams(name: Option<&str>) -> Response {
    let all = data::data_streams();
    let list: Vec<Value> =
        all.into_iter().filter(|d| name.is_none_or(|n| wildcard(n, d["name"].as_str().unwrap_or("")))).collect();
    if let Some(n) = name
        && list.is_empty()
        && !n.contains('*')
    {
        return es_error(404, "index_not_found_exception", &format!("no such index [{n}]"), Some(n));
    }
    Json(json!({ "data_streams": list })).into_response()
}

#[tokio::main]
async fn main() {
    let state: St = Arc::new(data::indices());
    let app = Router::new()
        .route("/", get(info))
        .route("/_cluster/health", get(health))
        .route("/_cluster/stats", get(cluster_stats))
        .route("/_cluster/settings", get(cluster_settings))
        .route("/_cat/indices", get(cat_all_indices))
        .route("/_cat/indices/{target}", get(cat_some_indices))
        .route("/_cat/shards", get(cat_shards))
        .route("/_nodes", get(nodes))
        .route("/_nodes/stats/{metric}", get(nodes_stats))
        .route("/_data_stream", get(|| async { data_streams(None) }))
        .route("/_data_stream/{name}", get(|Path(n): Path<String>| async move { data_streams(Some(&n)) }))
        .route("/_search", get(search_all).post(search_all))
        .route("/{target}/_search", get(search_some).post(search_some))
        .route("/_count", get(count_all).post(count_all))
        .route("/{target}/_count", get(count).post(count))
        .route("/{target}/_mapping", get(mapping))
        .route("/{target}/_settings", get(settings))
        .route("/{target}/_stats", get(index_stats))
        .route("/{target}/_segments", get(segments))
        .fallback(|req: Request| async move {
            // An unknown route: "no handler found" (400) since 8.0.
            let m = req.method().clone();
            let path = req.uri().path().to_string();
            es_error(
                400,
                "illegal_argument_exception",
                &format!("no handler found for uri [{path}] and method [{m}]"),
                None,
            )
        })
        .layer(middleware::from_fn(auth))
        .with_state(state);
    k8s_mcp_stubs::serve(app).await;
}
