//! Data sources, the query API and the data source proxy (HTTP API > Data
//! source API).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::state::{Db, Shared};
use crate::util::*;

/// Fields the list view leaves out.
const DETAIL_ONLY: [&str; 4] = ["basicAuthUser", "withCredentials", "version", "secureJsonFields"];

fn detail(ds: &Value, secure: &[String]) -> Value {
    let mut d = ds.clone();
    let fields: serde_json::Map<String, Value> = secure.iter().map(|k| (k.clone(), json!(true))).collect();
    d["secureJsonFields"] = Value::Object(fields);
    d
}

fn find(db: &Db, f: impl Fn(&Value) -> bool) -> Option<&(Value, Vec<String>)> {
    db.datasources.iter().find(|(d, _)| f(d))
}

/// HTTP API > Data source API > Get all data sources.
pub async fn list(State(db): State<Shared>) -> Response {
    let db = db.lock().expect("state");
    let rows: Vec<Value> = db
        .datasources
        .iter()
        .map(|(d, _)| {
            let mut row = d.clone();
            if let Some(o) = row.as_object_mut() {
                DETAIL_ONLY.iter().for_each(|k| {
                    o.remove(*k);
                });
            }
            row
        })
        .collect();
    ok(Value::Array(rows))
}

/// HTTP API > Data source API > Get a single data source by UID.
pub async fn get_uid(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let db = db.lock().expect("state");
    match find(&db, |d| d["uid"] == json!(uid)) {
        Some((d, s)) => ok(detail(d, s)),
        None => err(404, "Data source not found"),
    }
}

/// HTTP API > Data source API > Get a single data source by name.
pub async fn get_name(State(db): State<Shared>, Path(name): Path<String>) -> Response {
    let db = db.lock().expect("state");
    match find(&db, |d| d["name"] == json!(name)) {
        Some((d, s)) => ok(detail(d, s)),
        None => err(404, "Data source not found"),
    }
}

/// Apply a create/update body; secrets go to the write-only secure fields.
fn apply(d: &mut Value, secure: &mut Vec<String>, body: &Value) {
    for k in
        ["name", "type", "url", "access", "user", "database", "basicAuth", "basicAuthUser", "isDefault", "jsonData"]
    {
        if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
            d[k] = v.clone();
        }
    }
    for k in body["secureJsonData"].as_object().into_iter().flat_map(|o| o.keys()) {
        if !secure.contains(k) {
            secure.push(k.clone());
        }
    }
    d["typeName"] = d["type"].clone();
}

/// HTTP API > Data source API > Create a data source (409 on a taken name).
pub async fn create(State(db): State<Shared>, Body(body): Body) -> Response {
    let mut db = db.lock().expect("state");
    let name = body["name"].as_str().unwrap_or("").to_string();
    if name.is_empty() || body["type"].as_str().unwrap_or("").is_empty() {
        return err(400, "bad request data");
    }
    if find(&db, |d| d["name"] == json!(name)).is_some() {
        return err(409, "data source with the same name already exists");
    }
    let id = db.id();
    let uid = body["uid"].as_str().filter(|u| !u.is_empty()).map_or_else(|| new_uid(id), str::to_string);
    let mut d = json!({ "id": id, "uid": uid, "orgId": 1, "access": "proxy", "url": "", "user": "", "database": "",
                        "basicAuth": false, "basicAuthUser": "", "withCredentials": false, "isDefault": false,
                        "jsonData": {}, "version": 1, "readOnly": false, "typeLogoUrl": "" });
    let mut secure = Vec::new();
    apply(&mut d, &mut secure, &body);
    db.datasources.push((d.clone(), secure.clone()));
    ok(json!({ "datasource": detail(&d, &secure), "id": id, "message": "Datasource added", "name": name }))
}

/// HTTP API > Data source API > Update an existing data source by UID.
pub async fn update(State(db): State<Shared>, Path(uid): Path<String>, Body(body): Body) -> Response {
    let mut db = db.lock().expect("state");
    let name = body["name"].as_str().unwrap_or("").to_string();
    if find(&db, |d| d["name"] == json!(name) && d["uid"] != json!(uid)).is_some() {
        return err(409, "data source with the same name already exists");
    }
    let Some((d, secure)) = db.datasources.iter_mut().find(|(d, _)| d["uid"] == json!(uid)) else {
        return err(404, "Data source not found");
    };
    apply(d, secure, &body);
    d["version"] = json!(d["version"].as_i64().unwrap_or(0) + 1);
    let out = detail(d, secure);
    ok(json!({ "datasource": out, "id": d["id"], "message": "Datasource updated", "name": d["name"] }))
}

/// HTTP API > Data source API > Delete an existing data source by UID.
pub async fn delete(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let mut db = db.lock().expect("state");
    let Some(pos) = db.datasources.iter().position(|(d, _)| d["uid"] == json!(uid)) else {
        return err(404, "Data source not found");
    };
    let (d, _) = db.datasources.remove(pos);
    ok(json!({ "message": "Data source deleted", "id": d["id"] }))
}

/// HTTP API > Data source API > Check data source health (by UID).
pub async fn health(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let db = db.lock().expect("state");
    match find(&db, |d| d["uid"] == json!(uid)) {
        Some((d, _)) if d["type"] == json!("prometheus") => {
            ok(json!({ "status": "OK", "message": "Successfully queried the Prometheus API." }))
        }
        Some(_) => ok(json!({ "status": "OK", "message": "Data source is working" })),
        None => err(404, "Data source not found"),
    }
}

/// HTTP API > Data source API > Query a data source (`POST /api/ds/query`):
/// each query gets one time series frame of 30 points over `from`..`to`.
pub async fn query(State(db): State<Shared>, Body(body): Body) -> Response {
    let db = db.lock().expect("state");
    let Some(queries) = body["queries"].as_array().filter(|q| !q.is_empty()) else {
        return err(400, "No queries found");
    };
    let to = time_param(body["to"].as_str().unwrap_or("now"), now_ms());
    let from = time_param(body["from"].as_str().unwrap_or("now-1h"), to - 3_600_000);
    let mut results = serde_json::Map::new();
    for q in queries {
        let uid = q["datasource"]["uid"].as_str().unwrap_or("");
        if find(&db, |d| d["uid"] == json!(uid)).is_none() {
            return err(404, "Data source not found");
        }
        let ref_id = q["refId"].as_str().unwrap_or("A").to_string();
        let step = ((to - from) / 29).max(1);
        let times: Vec<i64> = (0..30).map(|i| from + i * step).collect();
        let values: Vec<f64> = (0..30).map(|i| f64::from(i) * 1.5).collect();
        let name = q["expr"].as_str().unwrap_or(&ref_id).to_string();
        results.insert(
            ref_id.clone(),
            json!({ "status": 200, "frames": [{
                "schema": { "refId": ref_id, "name": name, "fields": [
                    { "name": "Time", "type": "time", "typeInfo": { "frame": "time.Time" } },
                    { "name": "Value", "type": "number", "typeInfo": { "frame": "float64" }, "labels": { "job": "stub" } }
                ]},
                "data": { "values": [times, values] }
            }]}),
        );
    }
    ok(json!({ "results": results }))
}

/// HTTP API > Data source API > Data source proxy calls
/// (`/api/datasources/proxy/uid/:uid/*`): the stub answers Prometheus'
/// `api/v1/labels` and echoes other paths.
pub async fn proxy(
    State(db): State<Shared>,
    Path((uid, path)): Path<(String, String)>,
    Query(q): Query<Pairs>,
) -> Response {
    let db = db.lock().expect("state");
    let Some((d, _)) = find(&db, |d| d["uid"] == json!(uid)) else { return err(404, "Data source not found") };
    if d["type"] == json!("prometheus") && path == "api/v1/labels" {
        return ok(json!({ "status": "success", "data": ["__name__", "instance", "job"] }));
    }
    let query: serde_json::Map<String, Value> = q.into_iter().map(|(k, v)| (k, json!(v))).collect();
    ok(json!({ "status": "success", "data": { "path": path, "query": query } }))
}
