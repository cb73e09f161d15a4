//! Connectors (Kibana docs: "Connectors" — GET /api/actions/connectors,
//! connector/{id} CRUD, POST connector/{id}/_execute, connector_types).
//! Secrets are stored but, as in Kibana, never returned.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};

use crate::alerting::bad;
use crate::state::{CONNECTOR_TYPES, Store};
use crate::{Params, Shared, error, no_content, ok};

pub fn routes() -> Vec<(&'static str, MethodRouter<Shared>)> {
    vec![
        ("/api/actions/connectors", get(list_connectors)),
        ("/api/actions/connector", post(create_connector)),
        (
            "/api/actions/connector/{id}",
            get(get_connector).post(create_connector).put(update_connector).delete(delete_connector),
        ),
        ("/api/actions/connector/{id}/_execute", post(execute)),
        ("/api/actions/connector_types", get(connector_types)),
    ]
}

fn connector_view(s: &Store, space: &str, c: &Value) -> Value {
    let id = c["id"].as_str().unwrap_or("");
    let refs = s
        .rules
        .get(space)
        .into_iter()
        .flat_map(|m| m.values())
        .filter(|r| r["actions"].as_array().into_iter().flatten().any(|a| a["id"].as_str() == Some(id)));
    let mut c = c.clone();
    c["referenced_by_count"] = json!(refs.count());
    c
}

/// GET /api/actions/connectors (Connectors: "Get all connectors").
async fn list_connectors(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let list: Vec<Value> = s
        .connectors
        .get(&space)
        .into_iter()
        .flat_map(|m| m.values())
        .map(|(c, _)| connector_view(&s, &space, c))
        .collect();
    ok(json!(list))
}

fn connector_not_found(id: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Saved object [action/{id}] not found"))
}

/// GET /api/actions/connector/{id} (Connectors: "Get connector information").
async fn get_connector(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match s.connectors.get(&space).and_then(|m| m.get(&p["id"])) {
        Some((c, _)) => ok(connector_view(&s, &space, c)),
        None => connector_not_found(&p["id"]),
    }
}

fn check_config(type_id: &str, config: &Value) -> Result<(), Response> {
    if type_id == ".webhook" && !config["url"].is_string() {
        return Err(bad(
            "error validating action type config: [url]: expected value of type [string] but got [undefined]",
        ));
    }
    Ok(())
}

/// POST /api/actions/connector[/{id}] (Connectors: "Create a connector").
async fn create_connector(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let Some(name) = body["name"].as_str().filter(|n| !n.is_empty()) else {
        return bad("[request body.name]: expected value of type [string] but got [undefined]");
    };
    let type_id = body["connector_type_id"].as_str().unwrap_or("");
    if !CONNECTOR_TYPES.iter().any(|(t, _)| *t == type_id) {
        return bad(format!("Action type \"{type_id}\" is not registered."));
    }
    let config = body.get("config").cloned().unwrap_or_else(|| json!({}));
    if let Err(e) = check_config(type_id, &config) {
        return e;
    }
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let id = match p.get("id") {
        Some(id) => id.clone(),
        None => s.new_id(),
    };
    if s.connectors.get(&space).is_some_and(|m| m.contains_key(&id)) {
        return error(StatusCode::CONFLICT, format!("Saved object [action/{id}] conflict"));
    }
    let c = json!({ "id": id, "name": name, "connector_type_id": type_id, "config": config,
                    "is_preconfigured": false, "is_deprecated": false, "is_missing_secrets": false, "is_system_action": false });
    let secrets = body.get("secrets").cloned().unwrap_or_else(|| json!({}));
    s.connectors.entry(space.clone()).or_default().insert(id, (c.clone(), secrets));
    ok(connector_view(&s, &space, &c))
}

/// PUT /api/actions/connector/{id} (Connectors: "Update a connector"): name, config, secrets only.
async fn update_connector(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    for k in body.as_object().into_iter().flatten().map(|(k, _)| k) {
        if !["name", "config", "secrets"].contains(&k.as_str()) {
            return bad(format!("[request body.{k}]: definition for this key is missing"));
        }
    }
    let Some(name) = body["name"].as_str().filter(|n| !n.is_empty()) else {
        return bad("[request body.name]: expected value of type [string] but got [undefined]");
    };
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let Some((mut c, secrets)) = s.connectors.get(&space).and_then(|m| m.get(&p["id"])).cloned() else {
        return connector_not_found(&p["id"]);
    };
    let config = body.get("config").cloned().unwrap_or_else(|| json!({}));
    if let Err(e) = check_config(c["connector_type_id"].as_str().unwrap_or(""), &config) {
        return e;
    }
    c["name"] = json!(name);
    c["config"] = config;
    let secrets = body.get("secrets").cloned().unwrap_or(secrets);
    s.connectors.entry(space.clone()).or_default().insert(p["id"].clone(), (c.clone(), secrets));
    ok(connector_view(&s, &space, &c))
}

/// DELETE /api/actions/connector/{id} (Connectors: "Delete a connector"): 204.
async fn delete_connector(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match s.connectors.entry(space).or_default().remove(&p["id"]) {
        Some(_) => no_content(),
        None => connector_not_found(&p["id"]),
    }
}

/// POST /api/actions/connector/{id}/_execute (Connectors: "Run a connector"); parameter
/// errors come back as 200 with `status: "error"`, as in Kibana.
async fn execute(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let Some(params) = body.get("params").filter(|v| v.is_object()) else {
        return bad("[request body.params]: expected value of type [object] but got [undefined]");
    };
    let s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let Some((c, _)) = s.connectors.get(&space).and_then(|m| m.get(&p["id"])) else {
        return connector_not_found(&p["id"]);
    };
    let id = &p["id"];
    if c["connector_type_id"] == ".server-log" && !params["message"].is_string() {
        return ok(json!({ "status": "error", "connector_id": id, "retry": false,
            "message": "error validating action params: [message]: expected value of type [string] but got [undefined]" }));
    }
    ok(json!({ "status": "ok", "connector_id": id, "data": { "received": params } }))
}

/// GET /api/actions/connector_types (Connectors: "Get connector types").
async fn connector_types() -> Response {
    let list: Vec<Value> = CONNECTOR_TYPES
        .iter()
        .map(|(id, name)| {
            json!({ "id": id, "name": name, "enabled": true, "enabled_in_config": true, "enabled_in_license": true,
                    "minimum_license_required": "basic", "supported_feature_ids": ["alerting"], "is_system_action_type": false })
        })
        .collect();
    ok(json!(list))
}
