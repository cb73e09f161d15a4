//! Dashboards, search, versions and panel rendering.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Caller;
use crate::state::{Db, Shared};
use crate::util::*;

fn hit(db: &Db, uid: &str) -> Value {
    let d = &db.dashboards[uid];
    let title = d.title();
    let mut h = json!({
        "id": d.id, "uid": uid, "title": title, "uri": format!("db/{}", slug(title)),
        "url": format!("/d/{uid}/{}", slug(title)), "slug": "", "type": "dash-db",
        "tags": d.model().get("tags").cloned().unwrap_or(json!([])),
        "isStarred": db.starred.iter().any(|s| s == uid), "sortMeta": 0,
    });
    if let Some(ft) = db.folder_title(&d.folder_uid) {
        h["folderId"] = db.folders[&d.folder_uid]["id"].clone();
        h["folderUid"] = json!(d.folder_uid);
        h["folderTitle"] = json!(ft);
        h["folderUrl"] = db.folders[&d.folder_uid]["url"].clone();
    }
    h
}

/// HTTP API > Folder/Dashboard Search API > Search folders and dashboards
/// (`query`, `tag` (all must match), `type`, `dashboardUIDs`, `folderUIDs`,
/// `starred`, `limit` (default 1000, max 5000), `page`).
pub async fn search(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let text = first(&q, "query").map(str::to_lowercase);
    let tags = all(&q, "tag");
    let folders: Vec<&str> = all(&q, "folderUIDs").iter().flat_map(|f| f.split(',')).collect();
    let uids: Vec<&str> = all(&q, "dashboardUIDs").iter().flat_map(|f| f.split(',')).collect();
    let starred = first(&q, "starred") == Some("true");
    let kind = first(&q, "type");
    let limit = num(&q, "limit").unwrap_or(1000).clamp(1, 5000) as usize;
    let page = num(&q, "page").unwrap_or(1).max(1) as usize;
    let mut hits: Vec<Value> = Vec::new();
    if kind != Some("dash-db") {
        for f in db.folders.values() {
            let title = f["title"].as_str().unwrap_or("");
            if text.as_ref().is_none_or(|t| title.to_lowercase().contains(t)) && tags.is_empty() && !starred {
                hits.push(json!({ "id": f["id"], "uid": f["uid"], "title": title, "url": f["url"],
                                   "type": "dash-folder", "tags": [], "isStarred": false, "uri": format!("db/{}", slug(title)) }));
            }
        }
    }
    if kind != Some("dash-folder") {
        for (uid, d) in &db.dashboards {
            let model_tags = strings(d.model().get("tags"));
            let keep = text.as_ref().is_none_or(|t| d.title().to_lowercase().contains(t))
                && tags.iter().all(|t| model_tags.iter().any(|m| m == t))
                && (folders.is_empty() || folders.contains(&d.folder_uid.as_str()))
                && (uids.is_empty() || uids.contains(&uid.as_str()))
                && (!starred || db.starred.contains(uid));
            if keep {
                hits.push(hit(&db, uid));
            }
        }
    }
    hits.sort_by_key(|h| h["title"].as_str().unwrap_or("").to_lowercase());
    ok(Value::Array(hits.into_iter().skip((page - 1) * limit).take(limit).collect()))
}

/// HTTP API > Dashboard API > Get dashboard by uid.
pub async fn get_one(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let db = db.lock().expect("state");
    let Some(d) = db.dashboards.get(&uid) else { return err(404, "Dashboard not found") };
    let title = d.title();
    let folder_title = db.folder_title(&d.folder_uid);
    ok(json!({
        "dashboard": d.model(),
        "meta": {
            "type": "db", "canSave": true, "canEdit": true, "canAdmin": true, "canStar": true, "canDelete": true,
            "slug": slug(title), "url": format!("/d/{uid}/{}", slug(title)), "expires": "0001-01-01T00:00:00Z",
            "created": d.created, "updated": d.updated, "updatedBy": "admin", "createdBy": "admin",
            "version": d.version(), "hasAcl": false, "isFolder": false,
            "folderId": folder_title.as_ref().map_or(json!(0), |_| db.folders[&d.folder_uid]["id"].clone()),
            "folderUid": d.folder_uid, "folderTitle": folder_title.unwrap_or_else(|| "General".into()),
            "folderUrl": if d.folder_uid.is_empty() { json!("") } else { db.folders[&d.folder_uid]["url"].clone() },
            "provisioned": false, "provisionedExternalId": "",
        }
    }))
}

fn saved(db: &Db, uid: &str) -> Value {
    let d = &db.dashboards[uid];
    json!({ "id": d.id, "uid": uid, "url": format!("/d/{uid}/{}", slug(d.title())), "status": "success",
            "version": d.version(), "slug": slug(d.title()), "folderUid": d.folder_uid })
}

/// HTTP API > Dashboard API > Create / Update dashboard: 400 for an empty
/// title or unknown folder, 412 `version-mismatch` / `name-exists` unless
/// `overwrite`.
pub async fn save(State(db): State<Shared>, Body(body): Body) -> Response {
    let mut db = db.lock().expect("state");
    let Some(mut model) = body.get("dashboard").filter(|d| d.is_object()).cloned() else {
        return err(400, "bad request data");
    };
    let title = model["title"].as_str().unwrap_or("").trim().to_string();
    if title.is_empty() {
        return err_status(400, "Dashboard title cannot be empty", "empty-name");
    }
    let folder = body["folderUid"].as_str().unwrap_or("").to_string();
    if !folder.is_empty() && !db.folders.contains_key(&folder) {
        return err_status(400, "folder not found", "not-found");
    }
    let overwrite = body["overwrite"].as_bool().unwrap_or(false);
    let uid = model["uid"].as_str().unwrap_or("").to_string();
    if uid.len() > 40 {
        return err_status(400, "uid too long, max 40 characters", "bad-request");
    }
    if let Some(existing) = db.dashboards.get(&uid)
        && !overwrite
        && model["version"].as_i64() != Some(existing.version())
    {
        return err_status(412, "The dashboard has been changed by someone else", "version-mismatch");
    }
    let clash = db.dashboards.iter().any(|(u, d)| *u != uid && d.folder_uid == folder && d.title() == title);
    if clash && !overwrite {
        return err_status(412, "A dashboard with the same name in the folder already exists", "name-exists");
    }
    if uid.is_empty() {
        let n = db.id();
        model["uid"] = json!(new_uid(n));
    }
    let message = body["message"].as_str().unwrap_or("").to_string();
    let uid = db.save_dashboard(model, &folder, &message, 0);
    ok(saved(&db, &uid))
}

/// HTTP API > Dashboard API > Delete dashboard by uid.
pub async fn delete(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let mut db = db.lock().expect("state");
    let Some(d) = db.dashboards.remove(&uid) else { return err(404, "Dashboard not found") };
    let title = d.title().to_string();
    ok(json!({ "title": title, "message": format!("Dashboard {title} deleted"), "id": d.id }))
}

fn version_row(id: i64, uid: &str, v: &crate::state::Version) -> Value {
    json!({ "id": v.version, "dashboardId": id, "uid": uid, "parentVersion": v.parent, "restoredFrom": v.restored_from,
            "version": v.version, "created": v.created, "createdBy": v.created_by, "message": v.message })
}

/// HTTP API > Dashboard Versions API > Get all dashboard versions by
/// dashboard UID (`limit`, `start`; newest first; Grafana 11 shape
/// `{continueToken, versions}`).
pub async fn versions(State(db): State<Shared>, Path(uid): Path<String>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let Some(d) = db.dashboards.get(&uid) else { return err(404, "Dashboard not found") };
    let start = num(&q, "start").unwrap_or(0).max(0) as usize;
    let limit = num(&q, "limit").filter(|l| *l > 0).unwrap_or(i64::MAX) as usize;
    let rows: Vec<Value> =
        d.versions.iter().rev().skip(start).take(limit).map(|v| version_row(d.id, &uid, v)).collect();
    ok(json!({ "continueToken": "", "versions": rows }))
}

/// HTTP API > Dashboard Versions API > Get dashboard version by dashboard UID.
pub async fn version(State(db): State<Shared>, Path((uid, n)): Path<(String, String)>) -> Response {
    let db = db.lock().expect("state");
    let Some(d) = db.dashboards.get(&uid) else { return err(404, "Dashboard not found") };
    let Some(v) = n.parse::<i64>().ok().and_then(|n| d.versions.iter().find(|v| v.version == n)) else {
        return err(404, "Dashboard version not found");
    };
    let mut row = version_row(d.id, &uid, v);
    row["data"] = v.data.clone();
    ok(row)
}

/// HTTP API > Dashboard Versions API > Restore dashboard by dashboard UID.
pub async fn restore(State(db): State<Shared>, Path(uid): Path<String>, Body(body): Body) -> Response {
    let mut db = db.lock().expect("state");
    let Some(d) = db.dashboards.get(&uid) else { return err(404, "Dashboard not found") };
    let want = body["version"].as_i64().unwrap_or(0);
    let Some(v) = d.versions.iter().find(|v| v.version == want) else {
        return err(404, "Dashboard version not found");
    };
    let (data, folder) = (v.data.clone(), d.folder_uid.clone());
    db.save_dashboard(data, &folder, &format!("Restored from version {want}"), want);
    ok(saved(&db, &uid))
}

/// A 1x1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// HTTP API > Image rendering (`/render/d-solo/:uid?panelId&width&height&from&to`):
/// the stub answers a fixed PNG for panels that exist.
pub async fn render(
    State(db): State<Shared>,
    Extension(_caller): Extension<Caller>,
    Path(uid): Path<String>,
    Query(q): Query<Pairs>,
) -> Response {
    let db = db.lock().expect("state");
    let Some(d) = db.dashboards.get(&uid) else { return err(404, "Dashboard not found") };
    let panel = num(&q, "panelId").unwrap_or(0);
    let mut ids = Vec::new();
    for p in d.model()["panels"].as_array().into_iter().flatten() {
        ids.push(p["id"].as_i64());
        ids.extend(p["panels"].as_array().into_iter().flatten().map(|i| i["id"].as_i64()));
    }
    if !ids.contains(&Some(panel)) {
        return err(404, "Panel not found");
    }
    ([("content-type", "image/png")], PNG).into_response()
}
