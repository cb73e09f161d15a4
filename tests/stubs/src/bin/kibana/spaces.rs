//! Spaces API (Kibana docs: "Spaces" — GET/POST /api/spaces/space,
//! GET/PUT/DELETE /api/spaces/space/{id}).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use crate::{Shared, error, no_content, ok};

pub fn routes(r: Router<Shared>) -> Router<Shared> {
    r.route("/api/spaces/space", get(list).post(create))
        .route("/api/spaces/space/{id}", get(get_one).put(update).delete(delete))
}

fn not_found(id: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Saved object [space/{id}] not found"))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The body checks Kibana's schema makes (`[request body.name]: ...`).
fn check(body: &Value) -> Result<(), Response> {
    let bad = |m: &str| Err(error(StatusCode::BAD_REQUEST, m.to_string()));
    match body.get("id").and_then(Value::as_str) {
        None => return bad("[request body.id]: expected value of type [string] but got [undefined]"),
        Some(id) if !valid_id(id) => {
            return bad("[request body.id]: lower case, a-z, 0-9, \"_\", and \"-\" are allowed");
        }
        _ => {}
    }
    if body.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
        return bad("[request body.name]: expected value of type [string] but got [undefined]");
    }
    if body.get("initials").and_then(Value::as_str).is_some_and(|i| i.chars().count() > 2) {
        return bad("[request body.initials]: value has length [3] but it must have a maximum length of [2].");
    }
    Ok(())
}

/// GET /api/spaces/space (Spaces: "Get all spaces").
async fn list(State(s): State<Shared>) -> Response {
    let s = s.lock().unwrap();
    ok(json!(s.spaces.values().collect::<Vec<_>>()))
}

/// GET /api/spaces/space/{id} (Spaces: "Get a space").
async fn get_one(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let s = s.lock().unwrap();
    s.spaces.get(&id).map_or_else(|| not_found(&id), |sp| ok(sp.clone()))
}

/// POST /api/spaces/space (Spaces: "Create a space"); 409 when the id exists.
async fn create(State(s): State<Shared>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    if let Err(e) = check(&body) {
        return e;
    }
    let id = body["id"].as_str().unwrap_or_default().to_string();
    let mut s = s.lock().unwrap();
    if s.spaces.contains_key(&id) {
        return error(StatusCode::CONFLICT, format!("A space with the identifier {id} already exists."));
    }
    let mut space = body.clone();
    if space.get("disabledFeatures").is_none() {
        space["disabledFeatures"] = json!([]);
    }
    s.spaces.insert(id, space.clone());
    ok(space)
}

/// PUT /api/spaces/space/{id} (Spaces: "Update a space"): the whole space.
async fn update(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    if let Err(e) = check(&body) {
        return e;
    }
    if body["id"].as_str() != Some(id.as_str()) {
        return error(StatusCode::BAD_REQUEST, "Space ID in the path and in the body must match.");
    }
    let mut s = s.lock().unwrap();
    let Some(current) = s.spaces.get(&id).cloned() else { return not_found(&id) };
    let mut space = body;
    if current.get("_reserved").is_some() {
        space["_reserved"] = json!(true);
    }
    s.spaces.insert(id, space.clone());
    ok(space)
}

/// DELETE /api/spaces/space/{id} (Spaces: "Delete a space"): 204, with its objects.
async fn delete(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut s = s.lock().unwrap();
    let Some(current) = s.spaces.get(&id) else { return not_found(&id) };
    if current.get("_reserved").is_some() {
        return error(StatusCode::BAD_REQUEST, "The default space cannot be deleted because it is reserved.");
    }
    s.spaces.remove(&id);
    s.objects.remove(&id);
    s.rules.remove(&id);
    s.connectors.remove(&id);
    s.default_view.remove(&id);
    no_content()
}
