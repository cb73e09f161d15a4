//! Alerting rules (Kibana docs: "Alerting" — rules/_find, rule/{id} CRUD,
//! _enable/_disable/_mute_all/_unmute_all, snooze_schedule, rule_types) and
//! the legacy "Find alerts" API (GET /api/alerts/_find).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post};
use serde_json::{Value, json};

use crate::state::{RULE_TYPES, Store};
use crate::time::{iso, now_ms, parse};
use crate::{Params, Shared, error, first, no_content, num, ok, query_pairs};

pub fn rule_routes() -> Vec<(&'static str, MethodRouter<Shared>)> {
    vec![
        ("/api/alerting/rules/_find", get(find_rules)),
        ("/api/alerting/rule", post(create_rule)),
        ("/api/alerting/rule/{id}", get(get_rule).post(create_rule).put(update_rule).delete(delete_rule)),
        ("/api/alerting/rule/{id}/_enable", post(|s, p| flag(s, p, "enabled", true))),
        ("/api/alerting/rule/{id}/_disable", post(|s, p| flag(s, p, "enabled", false))),
        ("/api/alerting/rule/{id}/_mute_all", post(|s, p| flag(s, p, "mute_all", true))),
        ("/api/alerting/rule/{id}/_unmute_all", post(|s, p| flag(s, p, "mute_all", false))),
        ("/api/alerting/rule/{id}/snooze_schedule", post(snooze)),
        ("/api/alerting/rule/{id}/snooze_schedule/{schedule_id}", delete(unsnooze)),
        ("/api/alerting/rule_types", get(rule_types)),
        ("/api/alerts/_find", get(legacy_find)),
    ]
}

pub fn bad(m: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, m)
}

fn rule_not_found(id: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Saved object [alert/{id}] not found"))
}

fn valid_interval(i: &str) -> bool {
    i.len() > 1 && i[..i.len() - 1].chars().all(|c| c.is_ascii_digit()) && i.ends_with(['s', 'm', 'h', 'd'])
}

fn new_rule(s: &mut Store, space: &str, id: &str, body: &Value) -> Result<Value, Response> {
    let name = body["name"].as_str().filter(|n| !n.is_empty());
    let Some(name) = name else {
        return Err(bad("[request body.name]: expected value of type [string] but got [undefined]"));
    };
    let Some(consumer) = body["consumer"].as_str() else {
        return Err(bad("[request body.consumer]: expected value of type [string] but got [undefined]"));
    };
    let type_id = body["rule_type_id"].as_str().unwrap_or("");
    if !RULE_TYPES.iter().any(|(t, _, _)| *t == type_id) {
        return Err(bad(format!("Rule type \"{type_id}\" is not registered.")));
    }
    let interval = body["schedule"]["interval"].as_str().unwrap_or("");
    if !valid_interval(interval) {
        return Err(bad(format!("[request body.schedule.interval]: string is not a valid duration: {interval}")));
    }
    // Alerting docs: without a rule-level notify_when, each action needs its own frequency.
    if body["notify_when"].is_null()
        && let Some(a) = body["actions"].as_array().into_iter().flatten().find(|a| a["frequency"].is_null())
    {
        let group = a["group"].as_str().unwrap_or("");
        return Err(bad(format!(
            "Failed to validate actions due to the following error: Actions missing frequency parameters: {group}"
        )));
    }
    let actions = resolve_actions(s, space, &body["actions"])?;
    let now = iso(now_ms());
    Ok(json!({
        "id": id, "name": name, "tags": body.get("tags").cloned().unwrap_or_else(|| json!([])),
        "enabled": body["enabled"].as_bool().unwrap_or(true), "rule_type_id": type_id, "consumer": consumer,
        "schedule": { "interval": interval }, "params": body.get("params").cloned().unwrap_or_else(|| json!({})),
        "actions": actions, "mute_all": false, "muted_alert_ids": [], "snooze_schedule": [], "is_snoozed_until": null,
        "notify_when": body.get("notify_when").cloned().unwrap_or(Value::Null), "throttle": null,
        "created_at": now, "updated_at": now, "created_by": "elastic", "updated_by": "elastic",
        "api_key_owner": "elastic", "revision": 0,
        "execution_status": { "status": "pending", "last_execution_date": now },
        "last_run": null,
        "monitoring": { "run": { "history": [], "calculated_metrics": { "success_ratio": 0 } } },
    }))
}

fn resolve_actions(s: &mut Store, space: &str, actions: &Value) -> Result<Value, Response> {
    let mut out = Vec::new();
    for a in actions.as_array().into_iter().flatten() {
        let id = a["id"].as_str().unwrap_or("");
        let Some((c, _)) = s.connectors.entry(space.to_string()).or_default().get(id).cloned() else {
            return Err(bad(format!("Invalid connectors: {id}")));
        };
        let mut a = a.clone();
        a["connector_type_id"] = c["connector_type_id"].clone();
        if a.get("uuid").is_none() {
            a["uuid"] = json!(s.new_id());
        }
        out.push(a);
    }
    Ok(json!(out))
}

/// Keys the update API accepts; anything else is Kibana's 400.
fn check_update_keys(body: &Value) -> Result<(), Response> {
    const ROOT: &[&str] =
        &["name", "tags", "schedule", "params", "actions", "throttle", "notify_when", "alert_delay", "flapping"];
    const ACTION: &[&str] =
        &["group", "id", "params", "frequency", "uuid", "alerts_filter", "use_alert_data_for_template"];
    for k in body.as_object().into_iter().flatten().map(|(k, _)| k) {
        if !ROOT.contains(&k.as_str()) {
            return Err(bad(format!("[request body.{k}]: definition for this key is missing")));
        }
    }
    for (i, a) in body["actions"].as_array().into_iter().flatten().enumerate() {
        for k in a.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !ACTION.contains(&k.as_str()) {
                return Err(bad(format!("[request body.actions.{i}.{k}]: definition for this key is missing")));
            }
        }
    }
    Ok(())
}

/// The KQL filters the stub understands: `alert.attributes.<field>:<value>` joined by `and`.
fn filter_matches(rule: &Value, filter: &str) -> Result<bool, Response> {
    for part in filter.split(" and ").map(|p| p.trim().trim_matches(['(', ')']).trim()) {
        let Some((key, value)) = part.split_once(':') else { return Err(bad(format!("Invalid KQL filter: {part}"))) };
        let value = value.trim().trim_matches('"');
        let field = match key.trim() {
            "alert.attributes.enabled" => "enabled",
            "alert.attributes.tags" => "tags",
            "alert.attributes.name" => "name",
            "alert.attributes.alertTypeId" => "rule_type_id",
            other => {
                return Err(bad(format!(
                    "This key '{other}' does NOT exist in alert saved object index patterns: Bad Request"
                )));
            }
        };
        let ok = match &rule[field] {
            Value::Array(a) => a.iter().any(|t| t.as_str() == Some(value)),
            Value::Bool(b) => b.to_string() == value,
            v => v.as_str() == Some(value),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn rules_page(s: &mut Store, space: &str, q: Option<&str>) -> Result<(u64, u64, Vec<Value>, usize), Response> {
    let pairs = query_pairs(q);
    let page = num(&pairs, "page", 1)?.max(1);
    let per_page = num(&pairs, "per_page", 10)?;
    let search = first(&pairs, "search").map(|x| x.trim_end_matches('*').to_lowercase());
    let mut all: Vec<Value> = s.rules.entry(space.to_string()).or_default().values().cloned().collect();
    if let Some(f) = first(&pairs, "filter") {
        let mut kept = Vec::new();
        for r in all {
            if filter_matches(&r, f)? {
                kept.push(r);
            }
        }
        all = kept;
    }
    if let Some(q) = search {
        all.retain(|r| r["name"].as_str().unwrap_or("").to_lowercase().contains(&q));
    }
    if first(&pairs, "sort_field") == Some("name") {
        all.sort_by_key(|r| r["name"].as_str().unwrap_or("").to_lowercase());
    }
    let total = all.len();
    let data = all.into_iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).collect();
    Ok((page, per_page, data, total))
}

/// GET /api/alerting/rules/_find (Kibana docs: Alerting, "Get information about rules").
async fn find_rules(State(s): State<Shared>, Path(p): Path<Params>, RawQuery(q): RawQuery) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match rules_page(&mut s, &space, q.as_deref()) {
        Ok((page, per_page, data, total)) => {
            ok(json!({ "page": page, "per_page": per_page, "total": total, "data": data }))
        }
        Err(e) => e,
    }
}

/// GET /api/alerts/_find (Kibana 7.x/8.x legacy alerting docs: "Find alerts"; camelCase fields).
async fn legacy_find(State(s): State<Shared>, Path(p): Path<Params>, RawQuery(q): RawQuery) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let (page, per_page, data, total) = match rules_page(&mut s, &space, q.as_deref()) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let data: Vec<Value> = data
        .iter()
        .map(|r| {
            json!({ "id": r["id"], "name": r["name"], "tags": r["tags"], "enabled": r["enabled"],
                    "alertTypeId": r["rule_type_id"], "consumer": r["consumer"], "schedule": r["schedule"],
                    "params": r["params"], "muteAll": r["mute_all"], "mutedInstanceIds": r["muted_alert_ids"],
                    "executionStatus": { "status": r["execution_status"]["status"],
                                         "lastExecutionDate": r["execution_status"]["last_execution_date"] },
                    "createdAt": r["created_at"], "updatedAt": r["updated_at"] })
        })
        .collect();
    ok(json!({ "page": page, "perPage": per_page, "total": total, "data": data }))
}

/// GET /api/alerting/rule/{id} (Alerting: "Get rule details"); 404 for unknown ids.
async fn get_rule(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match s.rules.entry(space).or_default().get(&p["id"]) {
        Some(r) => ok(r.clone()),
        None => rule_not_found(&p["id"]),
    }
}

/// POST /api/alerting/rule[/{id}] (Alerting: "Create a rule"); 409 when the id exists.
async fn create_rule(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let id = match p.get("id") {
        Some(id) => id.clone(),
        None => s.new_id(),
    };
    if s.rules.entry(space.clone()).or_default().contains_key(&id) {
        return error(StatusCode::CONFLICT, format!("Saved object [alert/{id}] conflict"));
    }
    match new_rule(&mut s, &space, &id, &body) {
        Ok(rule) => {
            s.rules.entry(space).or_default().insert(id, rule.clone());
            ok(rule)
        }
        Err(e) => e,
    }
}

/// PUT /api/alerting/rule/{id} (Alerting: "Update a rule"); name, schedule and params
/// are required and keys the API does not define are a 400.
async fn update_rule(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    if let Err(e) = check_update_keys(&body) {
        return e;
    }
    for key in ["name", "schedule", "params"] {
        if body.get(key).is_none() {
            return bad(format!("[request body.{key}]: expected a value but got [undefined]"));
        }
    }
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let Some(current) = s.rules.entry(space.clone()).or_default().get(&p["id"]).cloned() else {
        return rule_not_found(&p["id"]);
    };
    let mut merged = current.clone();
    for (k, v) in body.as_object().into_iter().flatten() {
        merged[k] = v.clone();
    }
    merged["rule_type_id"] = current["rule_type_id"].clone();
    merged["consumer"] = current["consumer"].clone();
    let mut checked = match new_rule(&mut s, &space, &p["id"], &merged) {
        Ok(r) => r,
        Err(e) => return e,
    };
    for key in [
        "enabled",
        "mute_all",
        "snooze_schedule",
        "is_snoozed_until",
        "created_at",
        "execution_status",
        "last_run",
        "monitoring",
    ] {
        checked[key] = current[key].clone();
    }
    checked["revision"] = json!(current["revision"].as_u64().unwrap_or(0) + 1);
    s.rules.entry(space).or_default().insert(p["id"].clone(), checked.clone());
    ok(checked)
}

/// DELETE /api/alerting/rule/{id} (Alerting: "Delete a rule"): 204.
async fn delete_rule(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match s.rules.entry(space).or_default().remove(&p["id"]) {
        Some(_) => no_content(),
        None => rule_not_found(&p["id"]),
    }
}

/// POST .../_enable, _disable, _mute_all, _unmute_all (Alerting: "Enable a rule",
/// "Disable a rule", "Mute all alerts", "Unmute all alerts"): 204.
async fn flag(State(s): State<Shared>, Path(p): Path<Params>, key: &'static str, value: bool) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    match s.rules.entry(space).or_default().get_mut(&p["id"]) {
        Some(r) => {
            r[key] = json!(value);
            r["updated_at"] = json!(iso(now_ms()));
            no_content()
        }
        None => rule_not_found(&p["id"]),
    }
}

/// POST /api/alerting/rule/{id}/snooze_schedule (Alerting: "Schedule a snooze for the rule", 8.19+).
async fn snooze(State(s): State<Shared>, Path(p): Path<Params>, body: Bytes) -> Response {
    let body = body_or_return!(body);
    let custom = &body["schedule"]["custom"];
    let duration = custom["duration"].as_str().unwrap_or("");
    if !valid_interval(duration) {
        return bad(format!("[request body.schedule.custom.duration]: Invalid schedule duration format: {duration}"));
    }
    let now = now_ms();
    let Some(start) = custom["start"].as_str().and_then(|t| parse(t, now)) else {
        return bad("[request body.schedule.custom.start]: Invalid snooze start date");
    };
    let ms = parse(&format!("now+{duration}"), 0).unwrap_or(0);
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let sid = s.new_id();
    match s.rules.entry(space).or_default().get_mut(&p["id"]) {
        Some(r) => {
            let entry = json!({ "id": sid, "duration": ms, "rRule": { "dtstart": iso(start), "tzid": "UTC" } });
            if let Some(list) = r["snooze_schedule"].as_array_mut() {
                list.push(entry);
            }
            r["is_snoozed_until"] = json!(iso(start + ms));
            ok(
                json!({ "body": { "schedule": { "id": sid, "custom": { "duration": duration, "start": iso(start) } } } }),
            )
        }
        None => rule_not_found(&p["id"]),
    }
}

/// DELETE /api/alerting/rule/{id}/snooze_schedule/{schedule_id} (Alerting: "Delete a snooze schedule for a rule"): 204.
async fn unsnooze(State(s): State<Shared>, Path(p): Path<Params>) -> Response {
    let mut s = s.lock().unwrap();
    let space = space_or_return!(s, p);
    let Some(r) = s.rules.entry(space).or_default().get_mut(&p["id"]) else { return rule_not_found(&p["id"]) };
    if let Some(list) = r["snooze_schedule"].as_array_mut() {
        list.retain(|x| x["id"].as_str() != Some(p["schedule_id"].as_str()));
        if list.is_empty() {
            r["is_snoozed_until"] = Value::Null;
        }
    }
    no_content()
}

/// GET /api/alerting/rule_types (Alerting: "Get the rule types").
async fn rule_types() -> Response {
    let types: Vec<Value> = RULE_TYPES
        .iter()
        .map(|(id, name, group)| {
            json!({ "id": id, "name": name, "producer": "stackAlerts", "enabled_in_license": true,
                    "minimum_license_required": "basic", "is_exportable": true, "rule_task_timeout": "5m",
                    "default_action_group_id": group, "recovery_action_group": { "id": "recovered", "name": "Recovered" },
                    "action_groups": [{ "id": group, "name": group }, { "id": "recovered", "name": "Recovered" }],
                    "authorized_consumers": { "alerts": { "read": true, "all": true } } })
        })
        .collect();
    ok(json!(types))
}

/// Seed one connector and two rules (one with run history) in the default space.
pub fn seed(s: &mut Store) {
    let c = json!({ "id": "log-connector", "name": "Server log", "connector_type_id": ".server-log", "config": {},
                    "is_preconfigured": false, "is_deprecated": false, "is_missing_secrets": false, "is_system_action": false });
    s.connectors.entry("default".into()).or_default().insert("log-connector".into(), (c, json!({})));
    let now = now_ms();
    for (id, name, tags, enabled) in [
        ("rule-cpu", "High CPU", json!(["infra", "prod"]), true),
        ("rule-errors", "Error spike", json!(["app"]), false),
    ] {
        let body = json!({ "name": name, "consumer": "alerts", "rule_type_id": ".index-threshold", "tags": tags,
                           "enabled": enabled, "schedule": { "interval": "1m" }, "params": { "index": ["logs-*"], "threshold": [10] },
                           "actions": [{ "group": "threshold met", "id": "log-connector", "params": { "message": "{{rule.name}} fired" },
                          "frequency": { "summary": false, "notify_when": "onActiveAlert", "throttle": null } }] });
        let mut rule = new_rule(s, "default", id, &body).unwrap_or_default();
        if id == "rule-cpu" {
            let history: Vec<Value> = (0..25)
                .map(|i| {
                    json!({ "success": i % 5 != 0, "timestamp": now - i * 60_000, "duration": 100 + i,
                                 "outcome": if i % 5 != 0 { "success" } else { "failure" } })
                })
                .collect();
            rule["monitoring"] =
                json!({ "run": { "history": history, "calculated_metrics": { "success_ratio": 0.8, "p50": 110 } } });
            rule["execution_status"] = json!({ "status": "active", "last_execution_date": iso(now) });
            rule["last_run"] =
                json!({ "outcome": "succeeded", "alerts_count": { "active": 1, "new": 0, "recovered": 0 } });
        }
        s.rules.entry("default".into()).or_default().insert(id.into(), rule);
    }
}
