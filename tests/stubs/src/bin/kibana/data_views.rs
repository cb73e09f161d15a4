//! Data views API (Kibana docs: "Data views" — GET /api/data_views,
//! GET/POST/DELETE /api/data_views/data_view/{id}, POST /api/data_views/data_view,
//! GET/POST /api/data_views/default). Data views are `index-pattern` saved
//! objects, so they share the saved-object store.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};

use crate::saved_objects::not_found;
use crate::state::Store;
use crate::{Params, Shared, error, ok};

pub fn routes() -> Vec<(&'static str, MethodRouter<Shared>)> {
    vec![
        ("/api/data_views", get(list)),
        ("/api/data_views/data_view", post(create)),
        ("/api/data_views/data_view/{id}", get(get_one).post(update).delete(delete)),
        ("/api/data_views/default", get(get_default).post(set_default)),
    ]
}

const KIND: &str = "index-pattern";

fn parse_attr(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

/// A stored index-pattern object as a data view spec.
fn spec(o: &Value, space: &str) -> Value {
    let a = &o["attributes"];
    let title = a["title"].as_str().unwrap_or("");
    json!({
        "id": o["id"], "version": o["version"], "title": title,
        "name": a["name"].as_str().unwrap_or(title),
        "timeFieldName": a["timeFieldName"],
        "sourceFilters": parse_attr(&a["sourceFilters"]),
        "fieldFormats": parse_attr(&a["fieldFormatMap"]),
        "allowNoIndex": a["allowNoIndex"].as_bool().unwrap_or(false),
        "fields": crate::logs::fields_for(title),
        "runtimeFieldMap": {}, "fieldAttrs": {}, "typeMeta": {},
        "namespaces": [space],
    })
}

fn attributes(dv: &Value, mut base: Value) -> Value {
    for (from, to) in
        [("title", "title"), ("name", "name"), ("timeFieldName", "timeFieldName"), ("allowNoIndex", "allowNoIndex")]
    {
        if let Some(v) = dv.get(from) {
            base[to] = v.clone();
        }
    }
    if let Some(v) = dv.get("sourceFilters") {
        base["sourceFilters"] = json!(v.to_string());
    }
    if let Some(v) = dv.get("fieldFormats") {
        base["fieldFormatMap"] = json!(v.to_string());
    }
    base
}

fn lookup(s: &mut Store, space: &str, id: &str) -> Option<Value> {
    s.space_objects(space).get(&(KIND.to_string(), id.to_string())).cloned()
}

/// GET /api/data_views ("Get all data views").
async fn list(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let views: Vec<Value> = s
        .space_objects(&space)
        .values()
        .filter(|o| o["type"] == KIND)
        .map(|o| {
            let a = &o["attributes"];
            json!({ "id": o["id"], "title": a["title"], "name": a["name"].as_str().or(a["title"].as_str()),
                    "namespaces": [space], "typeMeta": {} })
        })
        .collect();
    ok(json!({ "data_view": views }))
}

/// GET /api/data_views/data_view/{id} ("Get a data view").
async fn get_one(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match lookup(&mut s, &space, &p["id"]) {
        Some(o) => ok(json!({ "data_view": spec(&o, &space) })),
        None => not_found(KIND, &p["id"]),
    }
}

/// POST /api/data_views/data_view ("Create a data view").
async fn create(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let dv = &body["data_view"];
    let Some(title) = dv["title"].as_str().filter(|t| !t.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "[request body.data_view.title]: expected value of type [string] but got [undefined]",
        );
    };
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let override_ = body["override"].as_bool().unwrap_or(false);
    let duplicate = s.space_objects(&space).values().any(|o| o["type"] == KIND && o["attributes"]["title"] == title);
    if duplicate && !override_ {
        return error(StatusCode::BAD_REQUEST, format!("Duplicate data view: {title}"));
    }
    let id = match dv["id"].as_str() {
        Some(id) => id.to_string(),
        None => s.new_id(),
    };
    let stored = s.put_object(&space, KIND, &id, attributes(dv, json!({})), json!([]));
    ok(json!({ "data_view": spec(&stored, &space) }))
}

/// POST /api/data_views/data_view/{id} ("Update a data view"), with `refresh_fields`.
async fn update(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    if !body["data_view"].is_object() {
        return error(
            StatusCode::BAD_REQUEST,
            "[request body.data_view]: expected value of type [object] but got [undefined]",
        );
    }
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let Some(current) = lookup(&mut s, &space, &p["id"]) else { return not_found(KIND, &p["id"]) };
    let attrs = attributes(&body["data_view"], current["attributes"].clone());
    let stored = s.put_object(&space, KIND, &p["id"], attrs, current["references"].clone());
    ok(json!({ "data_view": spec(&stored, &space) }))
}

/// DELETE /api/data_views/data_view/{id} ("Delete a data view"): 200, empty body.
async fn delete(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match s.space_objects(&space).remove(&(KIND.to_string(), p["id"].clone())) {
        Some(_) => StatusCode::OK.into_response(),
        None => not_found(KIND, &p["id"]),
    }
}

/// GET /api/data_views/default ("Get the default data view").
async fn get_default(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    ok(json!({ "data_view_id": s.default_view.get(&space) }))
}

/// POST /api/data_views/default ("Set the default data view").
async fn set_default(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match &body["data_view_id"] {
        Value::String(id) => {
            s.default_view.insert(space, id.clone());
        }
        Value::Null if body.get("data_view_id").is_some() => {
            s.default_view.remove(&space);
        }
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "[request body.data_view_id]: expected value of type [string] but got [undefined]",
            );
        }
    }
    ok(json!({ "acknowledged": true }))
}
