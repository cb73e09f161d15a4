//! Annotations (HTTP API > Annotations API).

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::Caller;
use crate::state::Shared;
use crate::util::*;

/// HTTP API > Annotations API > Find annotations (`from`, `to`, `limit`
/// (default 100), `dashboardUID`, `panelId`, `type`, `tags` (all must match)),
/// newest first.
pub async fn list(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let from = num(&q, "from");
    let to = num(&q, "to");
    let tags = all(&q, "tags");
    let dash = first(&q, "dashboardUID");
    let panel = num(&q, "panelId");
    let kind = first(&q, "type");
    let limit = num(&q, "limit").unwrap_or(100).max(1) as usize;
    let mut rows: Vec<Value> = db
        .annotations
        .values()
        .filter(|a| {
            let (t, end) = (a["time"].as_i64().unwrap_or(0), a["timeEnd"].as_i64().unwrap_or(0));
            let atags = strings(a.get("tags"));
            from.is_none_or(|f| end.max(t) >= f)
                && to.is_none_or(|x| t <= x)
                && tags.iter().all(|w| atags.iter().any(|x| x == w))
                && dash.is_none_or(|d| a["dashboardUID"] == json!(d))
                && panel.is_none_or(|p| a["panelId"] == json!(p))
                && match kind {
                    Some("alert") => a["alertId"].as_i64().unwrap_or(0) > 0,
                    Some("annotation") => a["alertId"].as_i64().unwrap_or(0) == 0,
                    _ => true,
                }
        })
        .cloned()
        .collect();
    rows.sort_by_key(|a| std::cmp::Reverse(a["time"].as_i64().unwrap_or(0)));
    rows.truncate(limit);
    ok(Value::Array(rows))
}

/// HTTP API > Annotations API > Create annotation (`text` required).
pub async fn create(State(db): State<Shared>, Extension(caller): Extension<Caller>, Body(body): Body) -> Response {
    if body["text"].as_str().is_none_or(str::is_empty) {
        return err(400, "Failed to save annotation");
    }
    let mut db = db.lock().expect("state");
    let dash = body["dashboardUID"].as_str().unwrap_or("").to_string();
    let dashboard_id = match db.dashboards.get(&dash) {
        Some(d) => d.id,
        None if dash.is_empty() => 0,
        None => return err(404, "Dashboard not found"),
    };
    let id = db.id();
    let t = body["time"].as_i64().unwrap_or_else(now_ms);
    let a = json!({
        "id": id, "alertId": 0, "alertName": "", "dashboardId": dashboard_id, "dashboardUID": dash,
        "panelId": body["panelId"].as_i64().unwrap_or(0), "userId": 1, "newState": "", "prevState": "",
        "created": now_ms(), "updated": now_ms(), "time": t, "timeEnd": body["timeEnd"].as_i64().unwrap_or(t),
        "text": body["text"], "tags": strings(body.get("tags")), "login": caller.login,
        "email": format!("{}@example.com", caller.login), "avatarUrl": "/avatar/0", "data": {},
    });
    db.annotations.insert(id, a);
    ok(json!({ "message": "Annotation added", "id": id }))
}

/// HTTP API > Annotations API > Create Annotation in Graphite format
/// (`what` required, `when` in epoch seconds, `tags` list or space-separated).
pub async fn graphite(State(db): State<Shared>, Body(body): Body) -> Response {
    let Some(what) = body["what"].as_str().filter(|w| !w.is_empty()) else {
        return err(400, "Failed to save Graphite annotation");
    };
    let tags: Vec<String> = match &body["tags"] {
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        other => strings(Some(other)),
    };
    let mut text = what.to_string();
    if let Some(d) = body["data"].as_str().filter(|d| !d.is_empty()) {
        text = format!("{text}\n{d}");
    }
    let mut db = db.lock().expect("state");
    let id = db.id();
    let t = body["when"].as_i64().map_or_else(now_ms, |w| w * 1000);
    db.annotations.insert(
        id,
        json!({ "id": id, "alertId": 0, "dashboardId": 0, "dashboardUID": "", "panelId": 0, "userId": 1,
                "time": t, "timeEnd": t, "text": text, "tags": tags, "login": "admin", "data": {} }),
    );
    ok(json!({ "message": "Graphite annotation added", "id": id }))
}

fn id_of(raw: &str) -> Option<i64> {
    raw.parse().ok()
}

/// HTTP API > Annotations API > Update annotation (replaces text, times, tags).
pub async fn update(State(db): State<Shared>, Path(id): Path<String>, Body(body): Body) -> Response {
    change(db, id, body, true).await
}

/// HTTP API > Annotations API > Patch annotation (only the given fields).
pub async fn patch(State(db): State<Shared>, Path(id): Path<String>, Body(body): Body) -> Response {
    change(db, id, body, false).await
}

async fn change(db: Shared, id: String, body: Value, replace: bool) -> Response {
    let mut db = db.lock().expect("state");
    let Some(a) = id_of(&id).and_then(|id| db.annotations.get_mut(&id)) else {
        return err(404, "Annotation not found");
    };
    if replace && body["text"].as_str().is_none_or(str::is_empty) {
        return err(400, "Failed to update annotation");
    }
    for k in ["text", "time", "timeEnd"] {
        if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
            a[k] = v.clone();
        }
    }
    if body.get("tags").is_some() || replace {
        a["tags"] = json!(strings(body.get("tags")));
    }
    a["updated"] = json!(now_ms());
    ok(json!({ "message": if replace { "Annotation updated" } else { "Annotation patched" } }))
}

/// HTTP API > Annotations API > Delete annotation by id.
pub async fn delete(State(db): State<Shared>, Path(id): Path<String>) -> Response {
    let mut db = db.lock().expect("state");
    match id_of(&id).and_then(|id| db.annotations.remove(&id)) {
        Some(_) => ok(json!({ "message": "Annotation deleted" })),
        None => err(404, "Annotation not found"),
    }
}

/// HTTP API > Annotations API > Find annotation tags (`tag` prefix, `limit`).
pub async fn tags(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let prefix = first(&q, "tag").unwrap_or("");
    let limit = num(&q, "limit").unwrap_or(100).max(1) as usize;
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for a in db.annotations.values() {
        for t in strings(a.get("tags")).into_iter().filter(|t| t.starts_with(prefix)) {
            *counts.entry(t).or_default() += 1;
        }
    }
    let tags: Vec<Value> =
        counts.into_iter().take(limit).map(|(tag, count)| json!({ "tag": tag, "count": count })).collect();
    ok(json!({ "result": { "tags": tags } }))
}
