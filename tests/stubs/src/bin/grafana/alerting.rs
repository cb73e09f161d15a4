//! Alert rules, rule groups and contact points (HTTP API > Alerting
//! provisioning HTTP API). Unknown rules and groups answer 404 with an
//! empty body, as the provisioning API does.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::state::{Db, Shared};
use crate::util::*;

const STATES: [&str; 4] = ["NoData", "Alerting", "OK", "KeepLast"];
const ERR_STATES: [&str; 4] = ["Error", "Alerting", "OK", "KeepLast"];

/// The provisioning API's validation of a ProvisionedAlertRule; the error
/// is the 400 message.
fn validate(db: &Db, r: &Value) -> Result<(), String> {
    let bad = |m: &str| Err(format!("invalid alert rule: {m}"));
    for k in ["title", "ruleGroup", "folderUID", "condition", "for", "noDataState", "execErrState"] {
        if r[k].as_str().is_none_or(str::is_empty) {
            return bad(&format!("{k} is required"));
        }
    }
    if r["orgID"].as_i64().is_none_or(|o| o < 1) {
        return bad("orgID is required");
    }
    if r["title"].as_str().is_some_and(|t| t.len() > 190) {
        return bad("title is too long");
    }
    if !STATES.contains(&r["noDataState"].as_str().unwrap_or("")) {
        return bad("invalid noDataState");
    }
    if !ERR_STATES.contains(&r["execErrState"].as_str().unwrap_or("")) {
        return bad("invalid execErrState");
    }
    let Some(data) = r["data"].as_array().filter(|d| !d.is_empty()) else {
        return bad("no queries or expressions are found");
    };
    let cond = r["condition"].as_str().unwrap_or("");
    if !data.iter().any(|q| q["refId"] == json!(cond)) {
        return bad(&format!("condition {cond} does not exist, must be one of the refIds of the data"));
    }
    if !db.folders.contains_key(r["folderUID"].as_str().unwrap_or("")) {
        return Err("folder does not exist".into());
    }
    Ok(())
}

/// HTTP API > Alerting provisioning > Get all the alert rules.
pub async fn list(State(db): State<Shared>) -> Response {
    let db = db.lock().expect("state");
    ok(Value::Array(db.rules.values().cloned().collect()))
}

/// HTTP API > Alerting provisioning > Get a specific alert rule by UID.
pub async fn get_one(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let db = db.lock().expect("state");
    db.rules.get(&uid).map_or_else(|| empty(404), |r| ok(r.clone()))
}

fn provenance(headers: &HeaderMap) -> &'static str {
    if headers.get("x-disable-provenance").is_some() { "" } else { "api" }
}

/// HTTP API > Alerting provisioning > Create a new alert rule (201).
pub async fn create(State(db): State<Shared>, headers: HeaderMap, Body(mut rule): Body) -> Response {
    let mut db = db.lock().expect("state");
    if let Err(m) = validate(&db, &rule) {
        return err(400, &m);
    }
    let id = db.id();
    let uid = rule["uid"].as_str().filter(|u| !u.is_empty()).map_or_else(|| new_uid(id), str::to_string);
    if db.rules.contains_key(&uid) {
        return err(409, "an alert rule with this UID already exists");
    }
    rule["uid"] = json!(uid);
    rule["id"] = json!(id);
    rule["updated"] = json!(now());
    rule["provenance"] = json!(provenance(&headers));
    let key =
        (rule["folderUID"].as_str().unwrap_or("").to_string(), rule["ruleGroup"].as_str().unwrap_or("").to_string());
    db.groups.entry(key).or_insert(60);
    db.rules.insert(uid, rule.clone());
    status(201, rule)
}

/// HTTP API > Alerting provisioning > Update an existing alert rule.
pub async fn update(
    State(db): State<Shared>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    Body(mut rule): Body,
) -> Response {
    let mut db = db.lock().expect("state");
    let Some(old) = db.rules.get(&uid).cloned() else { return empty(404) };
    if let Err(m) = validate(&db, &rule) {
        return err(400, &m);
    }
    // A stored provenance other than none cannot change (the API answers 500).
    let (stored, wanted) = (old["provenance"].as_str().unwrap_or(""), provenance(&headers));
    if stored != wanted && !stored.is_empty() {
        return err(500, &format!("cannot change provenance from '{stored}' to '{wanted}'"));
    }
    rule["uid"] = json!(uid);
    rule["id"] = old["id"].clone();
    rule["updated"] = json!(now());
    rule["provenance"] = json!(wanted);
    let key =
        (rule["folderUID"].as_str().unwrap_or("").to_string(), rule["ruleGroup"].as_str().unwrap_or("").to_string());
    db.groups.entry(key).or_insert(60);
    db.rules.insert(uid, rule.clone());
    ok(rule)
}

/// HTTP API > Alerting provisioning > Delete a specific alert rule by UID (204).
pub async fn delete(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    db.lock().expect("state").rules.remove(&uid);
    empty(204)
}

fn group_rules(db: &Db, folder: &str, group: &str) -> Vec<Value> {
    db.rules.values().filter(|r| r["folderUID"] == json!(folder) && r["ruleGroup"] == json!(group)).cloned().collect()
}

/// HTTP API > Alerting provisioning > Get a rule group.
pub async fn get_group(State(db): State<Shared>, Path((folder, group)): Path<(String, String)>) -> Response {
    let db = db.lock().expect("state");
    let rules = group_rules(&db, &folder, &group);
    match db.groups.get(&(folder.clone(), group.clone())) {
        Some(interval) if !rules.is_empty() => {
            ok(json!({ "title": group, "folderUid": folder, "interval": interval, "rules": rules }))
        }
        _ => empty(404),
    }
}

/// HTTP API > Alerting provisioning > Create or update a rule group (the
/// interval must be a positive multiple of the 10 s base interval).
pub async fn put_group(
    State(db): State<Shared>,
    Path((folder, group)): Path<(String, String)>,
    Body(body): Body,
) -> Response {
    let mut db = db.lock().expect("state");
    let interval = body["interval"].as_i64().unwrap_or(0);
    if interval <= 0 || interval % 10 != 0 {
        return err(400, "invalid rule group: interval must be a positive multiple of the base interval 10s");
    }
    if !db.folders.contains_key(&folder) {
        return err(400, "folder does not exist");
    }
    db.groups.insert((folder.clone(), group.clone()), interval);
    let rules = group_rules(&db, &folder, &group);
    ok(json!({ "title": group, "folderUid": folder, "interval": interval, "rules": rules }))
}

/// HTTP API > Alerting provisioning > Get all the contact points (`name` filter).
pub async fn contact_points(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let name = first(&q, "name");
    let rows: Vec<Value> =
        db.contact_points.iter().filter(|c| name.is_none_or(|n| c["name"] == json!(n))).cloned().collect();
    ok(Value::Array(rows))
}
