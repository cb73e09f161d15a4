//! Saved objects API (Kibana docs: "Saved objects" — _find, get, create,
//! update, delete, _bulk_delete, _export, _import).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};

use crate::state::{Store, TYPES};
use crate::{Params, Shared, error, first, num, ok, query_pairs};

pub fn routes() -> Vec<(&'static str, MethodRouter<Shared>)> {
    vec![
        ("/api/saved_objects/_find", get(find)),
        ("/api/saved_objects/_bulk_delete", post(bulk_delete)),
        ("/api/saved_objects/_export", post(export)),
        ("/api/saved_objects/_import", post(import)),
        ("/api/saved_objects/{type}", post(create)),
        ("/api/saved_objects/{type}/{id}", get(get_one).post(create).put(update).delete(delete)),
    ]
}

pub fn not_found(kind: &str, id: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Saved object [{kind}/{id}] not found"))
}

fn unsupported(kind: &str) -> Response {
    error(StatusCode::BAD_REQUEST, format!("Unsupported saved object type: '{kind}': Bad Request"))
}

fn title(o: &Value) -> String {
    let a = &o["attributes"];
    a["title"].as_str().or(a["name"].as_str()).unwrap_or("").to_string()
}

/// Kibana's simple_query_string over titles, approximated: any term matches
/// (case-insensitive, `*` as a prefix wildcard).
fn matches_search(o: &Value, search: &str) -> bool {
    let t = title(o).to_lowercase();
    search.split_whitespace().any(|term| t.contains(&term.trim_end_matches('*').to_lowercase()))
}

/// GET /api/saved_objects/_find ("Search for saved objects").
async fn find(State(s): State<Shared>, Path(p): Path<Params>, RawQuery(q): RawQuery) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let pairs = query_pairs(q.as_deref());
    let types: Vec<&str> = pairs.iter().filter(|(k, _)| k == "type").map(|(_, v)| v.as_str()).collect();
    if types.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "[request query.type]: expected at least one defined value but got [undefined]",
        );
    }
    let (page, per_page) = match (num(&pairs, "page", 1), num(&pairs, "per_page", 20)) {
        (Ok(a), Ok(b)) => (a.max(1), b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    if per_page > 10_000 {
        return error(
            StatusCode::BAD_REQUEST,
            "[request query.per_page]: Value must be equal to or lower than [10000].",
        );
    }
    let reference = match first(&pairs, "has_reference").map(serde_json::from_str::<Value>) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "[request query.has_reference]: could not parse object value from json input",
            );
        }
    };
    let refs: Vec<Value> = match &reference {
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
        None => vec![],
    };
    let search = first(&pairs, "search").map(str::to_string);
    let mut found: Vec<Value> = s
        .space_objects(&space)
        .values()
        .filter(|o| types.contains(&o["type"].as_str().unwrap_or("")))
        .filter(|o| search.as_deref().is_none_or(|q| matches_search(o, q)))
        .filter(|o| {
            refs.is_empty()
                || o["references"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| refs.iter().any(|w| w["type"] == r["type"] && w["id"] == r["id"]))
        })
        .cloned()
        .collect();
    if let Some(field) = first(&pairs, "sort_field") {
        let key = |o: &Value| match field {
            "updated_at" | "created_at" | "type" | "id" => o[field].as_str().unwrap_or("").to_lowercase(),
            f => o["attributes"][f].as_str().unwrap_or("").to_lowercase(),
        };
        found.sort_by_key(key);
    }
    let fields: Vec<&str> = pairs.iter().filter(|(k, _)| k == "fields").map(|(_, v)| v.as_str()).collect();
    let total = found.len();
    let items: Vec<Value> = found
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .map(|mut o| {
            if !fields.is_empty()
                && let Some(attrs) = o["attributes"].as_object_mut()
            {
                attrs.retain(|k, _| fields.contains(&k.as_str()));
            }
            o["score"] = json!(0);
            o
        })
        .collect();
    ok(json!({ "page": page, "per_page": per_page, "total": total, "saved_objects": items }))
}

/// GET /api/saved_objects/{type}/{id} ("Get a saved object").
async fn get_one(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let (kind, id) = (&p["type"], &p["id"]);
    if !TYPES.contains(&kind.as_str()) {
        return unsupported(kind);
    }
    match s.space_objects(&space).get(&(kind.clone(), id.clone())) {
        Some(o) => ok(o.clone()),
        None => not_found(kind, id),
    }
}

/// POST /api/saved_objects/{type}[/{id}] ("Create a saved object").
async fn create(State(s): State<Shared>, Path(p): Path<Params>, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let kind = p["type"].clone();
    if !TYPES.contains(&kind.as_str()) {
        return unsupported(&kind);
    }
    if !body["attributes"].is_object() {
        return error(
            StatusCode::BAD_REQUEST,
            "[request body.attributes]: expected value of type [object] but got [undefined]",
        );
    }
    let overwrite = first(&query_pairs(q.as_deref()), "overwrite") == Some("true");
    let id = match p.get("id") {
        Some(id) => id.clone(),
        None => s.new_id(),
    };
    if !overwrite && s.space_objects(&space).contains_key(&(kind.clone(), id.clone())) {
        return error(StatusCode::CONFLICT, format!("Saved object [{kind}/{id}] conflict"));
    }
    let references = body.get("references").cloned().unwrap_or_else(|| json!([]));
    ok(s.put_object(&space, &kind, &id, body["attributes"].clone(), references))
}

/// PUT /api/saved_objects/{type}/{id} ("Update a saved object"): attributes merge.
async fn update(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let (kind, id) = (p["type"].clone(), p["id"].clone());
    if !TYPES.contains(&kind.as_str()) {
        return unsupported(&kind);
    }
    let Some(attrs) = body["attributes"].as_object() else {
        return error(
            StatusCode::BAD_REQUEST,
            "[request body.attributes]: expected value of type [object] but got [undefined]",
        );
    };
    let Some(current) = s.space_objects(&space).get(&(kind.clone(), id.clone())).cloned() else {
        return not_found(&kind, &id);
    };
    if let Some(v) = body.get("version").and_then(Value::as_str)
        && Some(v) != current["version"].as_str()
    {
        return error(StatusCode::CONFLICT, format!("Saved object [{kind}/{id}] conflict"));
    }
    let mut merged = current["attributes"].clone();
    for (k, v) in attrs {
        merged[k] = v.clone();
    }
    let references = body.get("references").cloned().unwrap_or_else(|| current["references"].clone());
    let stored = s.put_object(&space, &kind, &id, merged, references);
    ok(json!({
        "id": id, "type": kind, "updated_at": stored["updated_at"], "version": stored["version"],
        "namespaces": [space], "attributes": attrs, "references": stored["references"],
    }))
}

/// DELETE /api/saved_objects/{type}/{id} ("Delete a saved object").
async fn delete(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let (kind, id) = (p["type"].clone(), p["id"].clone());
    if !TYPES.contains(&kind.as_str()) {
        return unsupported(&kind);
    }
    match s.space_objects(&space).remove(&(kind.clone(), id.clone())) {
        Some(_) => ok(json!({})),
        None => not_found(&kind, &id),
    }
}

/// POST /api/saved_objects/_bulk_delete ("Delete saved objects").
async fn bulk_delete(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let Some(list) = body.as_array() else {
        return error(StatusCode::BAD_REQUEST, "[request body]: expected value of type [array] but got [Object]");
    };
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let statuses: Vec<Value> = list
        .iter()
        .map(|o| {
            let (kind, id) = (o["type"].as_str().unwrap_or("").to_string(), o["id"].as_str().unwrap_or("").to_string());
            if s.space_objects(&space).remove(&(kind.clone(), id.clone())).is_some() {
                json!({ "id": id, "type": kind, "success": true })
            } else {
                json!({ "id": id, "type": kind, "success": false, "error": {
                    "statusCode": 404, "error": "Not Found", "message": format!("Saved object [{kind}/{id}] not found") } })
            }
        })
        .collect();
    ok(json!({ "statuses": statuses }))
}

fn export_line(o: &Value) -> Value {
    let mut o = o.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("namespaces");
        m.remove("score");
    }
    o
}

/// POST /api/saved_objects/_export ("Export saved objects"): NDJSON, details last.
async fn export(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let objects = s.space_objects(&space).clone();
    let mut wanted: Vec<(String, String)> = match (body.get("objects").and_then(Value::as_array), body.get("type")) {
        (Some(list), _) => list
            .iter()
            .map(|o| (o["type"].as_str().unwrap_or("").to_string(), o["id"].as_str().unwrap_or("").to_string()))
            .collect(),
        (None, Some(t)) => {
            let types: Vec<&str> = match t {
                Value::String(t) => vec![t.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            objects.keys().filter(|(k, _)| types.contains(&k.as_str())).cloned().collect()
        }
        _ => return error(StatusCode::BAD_REQUEST, "Either `type` or `objects` are required."),
    };
    if wanted.iter().any(|k| !objects.contains_key(k)) {
        return error(StatusCode::BAD_REQUEST, "Error fetching objects to export");
    }
    let deep = body.get("includeReferencesDeep").and_then(Value::as_bool).unwrap_or(false);
    let mut missing = Vec::new();
    let mut i = 0;
    while deep && i < wanted.len() {
        let o = &objects[&wanted[i]];
        for r in o["references"].as_array().into_iter().flatten() {
            let key = (r["type"].as_str().unwrap_or("").to_string(), r["id"].as_str().unwrap_or("").to_string());
            if !objects.contains_key(&key) {
                missing.push(json!({ "type": key.0, "id": key.1 }));
            } else if !wanted.contains(&key) {
                wanted.push(key);
            }
        }
        i += 1;
    }
    let mut text = String::new();
    for k in &wanted {
        text.push_str(&export_line(&objects[k]).to_string());
        text.push('\n');
    }
    let details = json!({ "excludedObjects": [], "excludedObjectsCount": 0, "exportedCount": wanted.len(),
                          "missingRefCount": missing.len(), "missingReferences": missing });
    text.push_str(&details.to_string());
    text.push('\n');
    ([(header::CONTENT_TYPE, "application/ndjson")], text).into_response()
}

/// The `file` part of a multipart/form-data body.
fn multipart_file(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let ctype = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let boundary = ctype.split(';').find_map(|p| p.trim().strip_prefix("boundary="))?.trim_matches('"');
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    text.split(&delimiter).find_map(|part| {
        let (head, content) = part.split_once("\r\n\r\n")?;
        head.contains("name=\"file\"").then(|| content.trim_end_matches("\r\n").to_string())
    })
}

/// POST /api/saved_objects/_import ("Import saved objects", multipart `file`).
async fn import(
    State(s): State<Shared>,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = query_pairs(q.as_deref());
    let copies = first(&pairs, "createNewCopies") == Some("true");
    let overwrite = first(&pairs, "overwrite") == Some("true");
    if copies && overwrite {
        return error(StatusCode::BAD_REQUEST, "[request query]: cannot use [overwrite] with [createNewCopies]");
    }
    let Some(file) = multipart_file(&headers, &body) else {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type");
    };
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    import_lines(&mut s, &space, &file, copies, overwrite)
}

fn import_lines(s: &mut Store, space: &str, file: &str, copies: bool, overwrite: bool) -> Response {
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for line in file.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(o) = serde_json::from_str::<Value>(line) else {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Unexpected token in JSON: {}", &line[..line.len().min(40)]),
            );
        };
        if o.get("exportedCount").is_some() {
            continue;
        }
        let (kind, id) = (o["type"].as_str().unwrap_or("").to_string(), o["id"].as_str().unwrap_or("").to_string());
        let meta = json!({ "title": title(&o) });
        if !TYPES.contains(&kind.as_str()) {
            errors.push(json!({ "id": id, "type": kind, "meta": meta, "error": { "type": "unsupported_type" } }));
            continue;
        }
        let exists = s.space_objects(space).contains_key(&(kind.clone(), id.clone()));
        if exists && !copies && !overwrite {
            errors.push(json!({ "id": id, "type": kind, "meta": meta, "error": { "type": "conflict" } }));
            continue;
        }
        let dest = if copies { s.new_id() } else { id.clone() };
        let references = o.get("references").cloned().unwrap_or_else(|| json!([]));
        s.put_object(space, &kind, &dest, o["attributes"].clone(), references);
        let mut r = json!({ "id": id, "type": kind, "meta": meta });
        if copies {
            r["destinationId"] = json!(dest);
        }
        if exists && overwrite {
            r["overwrite"] = json!(true);
        }
        results.push(r);
    }
    let mut out = json!({ "success": errors.is_empty(), "successCount": results.len(), "successResults": results });
    if !errors.is_empty() {
        out["errors"] = json!(errors);
    }
    ok(out)
}
