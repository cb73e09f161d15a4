//! Alerting rules (`/api/alerting/...`, Kibana docs: "Alerting") and the
//! legacy alerts API (`/api/alerts/_find`, Kibana 7.x/8.x).

use crate::client::{Kibana, SpaceArg, array_arg, object_arg, optional, page_of, paging, required, seg};
use k8s_mcp_sdk::prelude::*;

fn rule_path(id: &str, suffix: &str) -> String {
    format!("/api/alerting/rule/{}{suffix}", seg(id))
}

/// A compact rule row.
fn row(r: &Value) -> Value {
    json!({
        "id": r["id"], "name": r["name"], "rule_type_id": r["rule_type_id"], "enabled": r["enabled"],
        "muted": r["mute_all"], "interval": r["schedule"]["interval"], "tags": r["tags"],
        "status": r["execution_status"]["status"], "last_outcome": r["last_run"]["outcome"],
        "snoozed_until": r["is_snoozed_until"],
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Rules per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    /// KQL filter on rule attributes, e.g. `alert.attributes.tags:"prod"`.
    filter: Option<String>,
    /// Only enabled (true) or disabled (false) rules.
    enabled: Option<bool>,
    /// Search text over rule names.
    search: Option<String>,
    /// Return full rule objects instead of compact rows.
    raw: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET /api/alerting/rules/_find ("Get information about rules").
pub fn get_alert_rules(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let mut filters: Vec<String> = optional(&a.filter).into_iter().collect();
    if let Some(e) = a.enabled {
        filters.push(format!("alert.attributes.enabled:{e}"));
    }
    let filter =
        (!filters.is_empty()).then(|| filters.iter().map(|f| format!("({f})")).collect::<Vec<_>>().join(" and "));
    let search = optional(&a.search);
    let query = [
        ("page", Some(page.to_string())),
        ("per_page", Some(per_page.to_string())),
        ("filter", filter),
        ("search_fields", search.as_ref().map(|_| "name".to_string())),
        ("search", search),
        ("sort_field", Some("name".to_string())),
    ];
    let resp = k.get("/api/alerting/rules/_find", &query)?;
    let data = resp["data"].as_array().cloned().unwrap_or_default();
    let items: Vec<Value> = if a.raw.unwrap_or(false) { data } else { data.iter().map(row).collect() };
    Output::json(&json!({
        "space": k.space(), "total": resp["total"], "page": resp["page"], "per_page": resp["per_page"],
        "count": items.len(), "rules": items,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct IdArgs {
    /// Rule ID.
    #[serde(alias = "ruleId")]
    rule_id: String,
    #[serde(flatten)]
    space: SpaceArg,
}

fn get_rule(k: &Kibana, id: &str) -> Result<Value, ToolError> {
    k.get(&rule_path(id, ""), &[])
}

pub fn get_alert_rule(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    Output::json(&get_rule(&k, required("rule_id", &a.rule_id)?)?)
}

/// `{"interval": "1m"}` from an object or a bare interval string.
fn schedule(v: Value) -> Result<Value, ToolError> {
    let s = match v {
        Value::String(s) if s.trim().starts_with('{') => {
            serde_json::from_str(&s).map_err(|_| ToolError::invalid("`schedule` is not valid JSON"))?
        }
        Value::String(s) => json!({ "interval": s.trim() }),
        other => other,
    };
    let interval = s.get("interval").and_then(Value::as_str).unwrap_or("");
    let ok = interval.len() > 1
        && interval[..interval.len() - 1].chars().all(|c| c.is_ascii_digit())
        && matches!(interval.chars().last(), Some('s' | 'm' | 'h' | 'd'));
    if !ok {
        return Err(ToolError::invalid(
            "`schedule` must be {\"interval\": \"<n>s|m|h|d\"}, e.g. {\"interval\": \"1m\"}",
        ));
    }
    Ok(json!({ "interval": interval }))
}

fn tags(v: Option<Value>) -> Result<Option<Vec<Value>>, ToolError> {
    let t = array_arg("tags", v)?;
    if let Some(t) = &t
        && t.iter().any(|x| !x.is_string())
    {
        return Err(ToolError::invalid("`tags` must be strings"));
    }
    Ok(t)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Rule name.
    name: String,
    /// Rule type, e.g. `.index-threshold`, `.es-query`.
    #[serde(rename = "alertTypeId", alias = "rule_type_id", alias = "ruleTypeId")]
    alert_type_id: String,
    /// How often the rule runs: `{"interval": "1m"}`.
    schedule: Value,
    /// Rule-type specific parameters.
    params: Option<Value>,
    /// Actions: `[{"group": "threshold met", "id": "<connector id>", "params": {...}}]`.
    actions: Option<Value>,
    tags: Option<Value>,
    /// Application owning the rule (default `alerts`, the Stack Management rules).
    consumer: Option<String>,
    /// Start the rule enabled (default true).
    enabled: Option<bool>,
    /// Identifier for the new rule (default: generated).
    id: Option<String>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// POST /api/alerting/rule[/{id}] ("Create a rule").
pub fn create_alert_rule(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let body = json!({
        "name": required("name", &a.name)?,
        "rule_type_id": required("alertTypeId", &a.alert_type_id)?,
        "consumer": optional(&a.consumer).unwrap_or_else(|| "alerts".into()),
        "schedule": schedule(a.schedule)?,
        "params": object_arg("params", a.params)?.unwrap_or_else(|| json!({})),
        "actions": with_frequency(array_arg("actions", a.actions)?.unwrap_or_default())?,
        "tags": tags(a.tags)?.unwrap_or_default(),
        "enabled": a.enabled.unwrap_or(true),
    });
    let path = match optional(&a.id) {
        Some(id) => rule_path(&id, ""),
        None => "/api/alerting/rule".to_string(),
    };
    let rule = k.write("POST", &path, &[], Some(&body))?;
    Output::json(&json!({ "space": k.space(), "rule": row(&rule) }))
}

/// Actions with a `frequency` each: Kibana refuses actions without one when
/// the rule has no rule-level `notify_when` (the deprecated form).
fn with_frequency(actions: Vec<Value>) -> Result<Vec<Value>, ToolError> {
    actions
        .into_iter()
        .map(|mut a| {
            if !a.is_object() || a.get("id").and_then(Value::as_str).is_none() {
                return Err(ToolError::invalid("each action needs at least `group`, `id` (a connector) and `params`"));
            }
            if a.get("frequency").is_none_or(Value::is_null) {
                a["frequency"] = json!({ "summary": false, "notify_when": "onActionGroupChange", "throttle": null });
            }
            Ok(a)
        })
        .collect()
}

/// Action fields the update API accepts (reads return more).
fn action_for_update(a: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in ["group", "id", "params", "frequency", "uuid", "alerts_filter", "use_alert_data_for_template"] {
        if let Some(v) = a.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    Value::Object(out)
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// Rule ID.
    #[serde(alias = "ruleId")]
    rule_id: String,
    name: Option<String>,
    /// `{"interval": "5m"}`.
    schedule: Option<Value>,
    params: Option<Value>,
    actions: Option<Value>,
    tags: Option<Value>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET the rule, merge the changes, PUT /api/alerting/rule/{id} ("Update a rule").
pub fn update_alert_rule(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("rule_id", &a.rule_id)?;
    if a.name.is_none() && a.schedule.is_none() && a.params.is_none() && a.actions.is_none() && a.tags.is_none() {
        return Err(ToolError::invalid("nothing to update: give name, schedule, params, actions or tags"));
    }
    let current = get_rule(&k, id)?;
    let actions: Vec<Value> = match array_arg("actions", a.actions)? {
        Some(list) => with_frequency(list)?,
        None => current["actions"].as_array().cloned().unwrap_or_default(),
    };
    let mut body = json!({
        "name": optional(&a.name).map_or_else(|| current["name"].clone(), Value::from),
        "schedule": match a.schedule { Some(s) => schedule(s)?, None => current["schedule"].clone() },
        "params": object_arg("params", a.params)?.unwrap_or_else(|| current["params"].clone()),
        "actions": actions.iter().map(action_for_update).collect::<Vec<_>>(),
        "tags": tags(a.tags)?.map_or_else(|| current["tags"].clone(), Value::from),
    });
    for key in ["notify_when", "throttle"] {
        if let Some(v) = current.get(key).filter(|v| !v.is_null()) {
            body[key] = v.clone();
        }
    }
    let rule = k.write("PUT", &rule_path(id, ""), &[], Some(&body))?;
    Output::json(&json!({ "space": k.space(), "rule": row(&rule) }))
}

/// DELETE /api/alerting/rule/{id} ("Delete a rule").
pub fn delete_alert_rule(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("rule_id", &a.rule_id)?;
    k.write("DELETE", &rule_path(id, ""), &[], None)?;
    Output::json(&json!({ "deleted": true, "rule_id": id, "space": k.space() }))
}

fn action(a: IdArgs, ctx: &Context, suffix: &str, state: Value) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("rule_id", &a.rule_id)?;
    k.write("POST", &rule_path(id, suffix), &[], None)?;
    let mut out = json!({ "rule_id": id, "space": k.space() });
    for (key, v) in state.as_object().into_iter().flatten() {
        out[key] = v.clone();
    }
    Output::json(&out)
}

/// POST /api/alerting/rule/{id}/_enable ("Enable a rule").
pub fn enable_alert_rule(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    action(a, ctx, "/_enable", json!({ "enabled": true }))
}

/// POST /api/alerting/rule/{id}/_disable ("Disable a rule").
pub fn disable_alert_rule(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    action(a, ctx, "/_disable", json!({ "enabled": false }))
}

#[derive(Deserialize, JsonSchema)]
pub struct MuteArgs {
    /// Rule ID.
    #[serde(alias = "ruleId")]
    rule_id: String,
    /// How long: `<n>s|m|h|d` (e.g. `2h`) snoozes the rule's actions for that long;
    /// `indefinite` mutes all its alerts until unmuted.
    duration: String,
    #[serde(flatten)]
    space: SpaceArg,
}

/// Now as an ISO 8601 UTC timestamp.
fn now_iso() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// POST .../snooze_schedule (8.19+, "Schedule a snooze for the rule") for a
/// duration, or .../_mute_all ("Mute all alerts") when indefinite.
pub fn mute_alert_rule(a: MuteArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("rule_id", &a.rule_id)?;
    let duration = required("duration", &a.duration)?;
    if matches!(duration, "indefinite" | "forever" | "-1") {
        k.write("POST", &rule_path(id, "/_mute_all"), &[], None)?;
        return Output::json(&json!({ "rule_id": id, "muted": true, "until": "unmuted", "space": k.space() }));
    }
    let ok = duration.len() > 1
        && duration[..duration.len() - 1].chars().all(|c| c.is_ascii_digit())
        && matches!(duration.chars().last(), Some('s' | 'm' | 'h' | 'd'));
    if !ok {
        return Err(ToolError::invalid(format!(
            "`duration` must be <n>s, <n>m, <n>h or <n>d (e.g. 2h) or `indefinite`, got `{duration}`"
        )));
    }
    let body = json!({ "schedule": { "custom": { "duration": duration, "start": now_iso() } } });
    let resp = k.write("POST", &rule_path(id, "/snooze_schedule"), &[], Some(&body))?;
    let schedule = resp.pointer("/body/schedule").cloned().unwrap_or(resp);
    Output::json(
        &json!({ "rule_id": id, "snoozed": true, "duration": duration, "schedule": schedule, "space": k.space() }),
    )
}

/// POST .../_unmute_all, and DELETE each snooze schedule of the rule.
pub fn unmute_alert_rule(a: IdArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let id = required("rule_id", &a.rule_id)?;
    let rule = get_rule(&k, id)?;
    k.write("POST", &rule_path(id, "/_unmute_all"), &[], None)?;
    let mut removed = Vec::new();
    for s in rule["snooze_schedule"].as_array().into_iter().flatten() {
        if let Some(sid) = s.get("id").and_then(Value::as_str) {
            k.write("DELETE", &rule_path(id, &format!("/snooze_schedule/{}", seg(sid))), &[], None)?;
            removed.push(sid.to_string());
        }
    }
    Output::json(&json!({ "rule_id": id, "muted": false, "snooze_schedules_removed": removed, "space": k.space() }))
}

#[derive(Deserialize, JsonSchema)]
pub struct TypesArgs {
    /// Return the full rule type objects instead of compact rows.
    raw: Option<bool>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET /api/alerting/rule_types ("Get the rule types").
pub fn get_alert_rule_types(a: TypesArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let types = k.get("/api/alerting/rule_types", &[])?;
    let list = types.as_array().cloned().unwrap_or_default();
    let items: Vec<Value> = if a.raw.unwrap_or(false) {
        list
    } else {
        list.iter()
            .map(|t| {
                let groups: Vec<Value> =
                    t["action_groups"].as_array().into_iter().flatten().map(|g| g["id"].clone()).collect();
                json!({ "id": t["id"], "name": t["name"], "producer": t["producer"],
                        "enabled_in_license": t["enabled_in_license"], "action_groups": groups })
            })
            .collect()
    };
    Output::json(&json!({ "count": items.len(), "rule_types": items }))
}

#[derive(Deserialize, JsonSchema)]
pub struct HistoryArgs {
    /// Rule ID.
    #[serde(alias = "ruleId")]
    rule_id: String,
    /// Page number from 1 (newest runs first).
    page: Option<u32>,
    /// Runs per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// The rule's run history from its `monitoring.run` block (GET /api/alerting/rule/{id}).
pub fn get_alert_rule_history(a: HistoryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let rule = get_rule(&k, required("rule_id", &a.rule_id)?)?;
    let mut runs = rule.pointer("/monitoring/run/history").and_then(Value::as_array).cloned().unwrap_or_default();
    runs.sort_by(|x, y| {
        y["timestamp"].as_f64().partial_cmp(&x["timestamp"].as_f64()).unwrap_or(std::cmp::Ordering::Equal)
    });
    let items = page_of(&runs, page, per_page);
    Output::json(&json!({
        "rule_id": rule["id"], "name": rule["name"], "space": k.space(),
        "execution_status": rule["execution_status"], "last_run": rule["last_run"],
        "metrics": rule.pointer("/monitoring/run/calculated_metrics"),
        "total": runs.len(), "page": page, "per_page": per_page, "count": items.len(), "runs": items,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct AlertsArgs {
    /// Page number from 1.
    page: Option<u32>,
    /// Alerts per page (default 20, at most 100).
    #[serde(alias = "perPage")]
    per_page: Option<u32>,
    #[serde(flatten)]
    space: SpaceArg,
}

/// GET /api/alerts/_find (legacy alerting API, Kibana 7.x/8.x "Find alerts").
pub fn get_alerts(a: AlertsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = a.space.kibana(ctx)?;
    let (page, per_page) = paging(a.page, a.per_page)?;
    let query = [("page", Some(page.to_string())), ("per_page", Some(per_page.to_string()))];
    let resp = k.get("/api/alerts/_find", &query).map_err(|e| match e {
        ToolError::NotFound(m) => {
            ToolError::not_found(format!("{m} (the legacy alerts API was removed in Kibana 9; use get_alert_rules)"))
        }
        other => other,
    })?;
    let items: Vec<Value> = resp["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            json!({ "id": r["id"], "name": r["name"], "alertTypeId": r["alertTypeId"], "enabled": r["enabled"],
                    "muteAll": r["muteAll"], "interval": r["schedule"]["interval"],
                    "status": r["executionStatus"]["status"], "tags": r["tags"] })
        })
        .collect();
    Output::json(&json!({
        "space": k.space(), "total": resp["total"], "page": resp["page"], "per_page": resp["perPage"],
        "count": items.len(), "alerts": items,
    }))
}
