//! Folders (HTTP API > Folder API).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::state::Shared;
use crate::util::*;

/// HTTP API > Folder API > Get all folders (`limit` default 1000, `page`).
pub async fn list(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let limit = num(&q, "limit").unwrap_or(1000).max(1) as usize;
    let page = num(&q, "page").unwrap_or(1).max(1) as usize;
    let mut rows: Vec<Value> = db
        .folders
        .values()
        .map(|f| {
            let mut row = json!({ "id": f["id"], "uid": f["uid"], "title": f["title"] });
            if let Some(p) = f.get("parentUid") {
                row["parentUid"] = p.clone();
            }
            row
        })
        .collect();
    rows.sort_by_key(|f| f["title"].as_str().unwrap_or("").to_lowercase());
    ok(Value::Array(rows.into_iter().skip((page - 1) * limit).take(limit).collect()))
}

/// HTTP API > Folder API > Get folder by uid.
pub async fn get_one(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let db = db.lock().expect("state");
    match db.folders.get(&uid) {
        Some(f) => ok(f.clone()),
        None => err_status(404, "Folder not found", "not-found"),
    }
}

/// HTTP API > Folder API > Create folder (409 when the UID or title is taken).
pub async fn create(State(db): State<Shared>, Body(body): Body) -> Response {
    let mut db = db.lock().expect("state");
    let title = body["title"].as_str().unwrap_or("").trim().to_string();
    if title.is_empty() {
        return err(400, "folder title cannot be empty");
    }
    let id = db.id();
    let uid = body["uid"].as_str().filter(|u| !u.is_empty()).map_or_else(|| new_uid(id), str::to_string);
    if db.folders.contains_key(&uid) {
        return err(409, "a folder with the same uid already exists");
    }
    if db.folders.values().any(|f| f["title"] == json!(title)) {
        return err(409, "a folder or dashboard in the general folder with the same name already exists");
    }
    let mut folder = json!({
        "id": id, "uid": uid, "title": title, "url": format!("/dashboards/f/{uid}/{}", slug(&title)),
        "hasAcl": false, "canSave": true, "canEdit": true, "canAdmin": true, "canDelete": true,
        "createdBy": "admin", "created": now(), "updatedBy": "admin", "updated": now(), "version": 1,
    });
    if let Some(p) = body["parentUid"].as_str().filter(|p| !p.is_empty()) {
        if !db.folders.contains_key(p) {
            return err_status(404, "Folder not found", "not-found");
        }
        folder["parentUid"] = json!(p);
    }
    db.folders.insert(uid, folder.clone());
    ok(folder)
}

/// HTTP API > Folder API > Update folder (412 `version-mismatch` unless `overwrite`).
pub async fn update(State(db): State<Shared>, Path(uid): Path<String>, Body(body): Body) -> Response {
    let mut db = db.lock().expect("state");
    let Some(folder) = db.folders.get_mut(&uid) else { return err_status(404, "Folder not found", "not-found") };
    let overwrite = body["overwrite"].as_bool().unwrap_or(false);
    if !overwrite && body["version"].as_i64() != folder["version"].as_i64() {
        return err_status(412, "The folder has been changed by someone else", "version-mismatch");
    }
    if let Some(t) = body["title"].as_str().filter(|t| !t.trim().is_empty()) {
        folder["title"] = json!(t);
        folder["url"] = json!(format!("/dashboards/f/{uid}/{}", slug(t)));
    }
    folder["version"] = json!(folder["version"].as_i64().unwrap_or(0) + 1);
    folder["updated"] = json!(now());
    ok(folder.clone())
}

/// HTTP API > Folder API > Delete folder (with its dashboards; alert rules
/// only with `forceDeleteRules=true`).
pub async fn delete(State(db): State<Shared>, Path(uid): Path<String>, Query(q): Query<Pairs>) -> Response {
    let mut db = db.lock().expect("state");
    if !db.folders.contains_key(&uid) {
        return err_status(404, "Folder not found", "not-found");
    }
    let has_rules = db.rules.values().any(|r| r["folderUID"] == json!(uid));
    if has_rules && first(&q, "forceDeleteRules") != Some("true") {
        return err(400, "folder cannot be deleted: folder contains alert rules");
    }
    db.rules.retain(|_, r| r["folderUID"] != json!(uid));
    db.groups.retain(|(f, _), _| *f != uid);
    db.dashboards.retain(|_, d| d.folder_uid != uid);
    let folder = db.folders.remove(&uid).unwrap_or_default();
    ok(json!({ "message": "Folder deleted", "id": folder["id"], "title": folder["title"] }))
}
