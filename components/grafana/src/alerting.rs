//! Grafana-managed alert rules and contact points through the alerting
//! provisioning API (HTTP API > Alerting provisioning HTTP API).

use crate::client::*;
use k8s_mcp_sdk::prelude::*;

const RULES: &str = "/api/v1/provisioning/alert-rules";
const NO_DATA_STATES: [&str; 4] = ["NoData", "Alerting", "OK", "KeepLast"];
const ERROR_STATES: [&str; 4] = ["Error", "Alerting", "OK", "KeepLast"];

fn rule_row(r: &Value) -> Value {
    let mut row = pick(
        r,
        &[
            "uid",
            "title",
            "folderUID",
            "ruleGroup",
            "condition",
            "for",
            "labels",
            "isPaused",
            "noDataState",
            "execErrState",
        ],
    );
    row["queries"] = json!(r.get("data").and_then(Value::as_array).map_or(0, Vec::len));
    row
}

#[derive(Deserialize, JsonSchema)]
pub struct AlertsArgs {
    /// Most rules: 1-100 (default 20).
    limit: Option<Num>,
    /// Only rules in this folder.
    #[serde(rename = "folderUID", alias = "folderUid")]
    folder_uid: Option<String>,
    /// Full rule objects (queries included) instead of compact rows.
    raw: Option<bool>,
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    debug: Option<Value>,
}

pub fn alerts(a: AlertsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let mut rules = as_list(Grafana::new(ctx)?.get(RULES, &[])?, "alert rules")?;
    if let Some(f) = optional(&a.folder_uid) {
        rules.retain(|r| s(r, "folderUID") == f);
    }
    let total = rules.len();
    let rules = if a.raw == Some(true) { rules } else { rules.iter().map(rule_row).collect() };
    Output::json(&listing("rules", rules, n, Some(total)))
}

#[derive(Deserialize, JsonSchema)]
pub struct RuleUid {
    /// UID of the alert rule.
    #[serde(rename = "ruleUID", alias = "ruleUid", alias = "uid")]
    rule_uid: String,
}

fn rule_path(uid: &str) -> Result<String, ToolError> {
    Ok(format!("{RULES}/{}", segment("ruleUID", uid)?))
}

fn get_rule(g: &Grafana, uid: &str) -> Result<Value, ToolError> {
    g.get(&rule_path(uid)?, &[]).map_err(missing(format!("alert rule `{}`", uid.trim())))
}

pub fn get_alert_rule_by_uid(a: RuleUid, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&get_rule(&Grafana::new(ctx)?, &a.rule_uid)?)
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// Rule title.
    title: String,
    /// refId of the query or expression whose result decides firing, e.g. `C`.
    condition: String,
    /// Folder the rule is stored in.
    #[serde(rename = "folderUID", alias = "folderUid")]
    folder_uid: String,
    /// Rule group (default `default`); evaluated together at the group's interval.
    #[serde(rename = "ruleGroup")]
    rule_group: Option<String>,
    /// Evaluation interval of the group in seconds (multiple of 10).
    #[serde(rename = "intervalSeconds")]
    interval_seconds: Option<Num>,
    /// Queries and expressions: a list of alert queries
    /// (`{refId, datasourceUid, relativeTimeRange, model}`); required.
    data: Option<Value>,
    /// Annotations, e.g. `{"summary": "..."}`.
    annotations: Option<serde_json::Map<String, Value>>,
    /// Labels used for routing notifications.
    labels: Option<serde_json::Map<String, Value>>,
    /// How long the condition must hold before firing (default `1m`).
    #[serde(rename = "for")]
    pending: Option<String>,
    /// State when queries return no data: NoData (default), Alerting, OK, KeepLast.
    #[serde(rename = "noDataState")]
    no_data_state: Option<String>,
    /// State on query errors: Error (default), Alerting, OK, KeepLast.
    #[serde(rename = "execErrState")]
    exec_err_state: Option<String>,
    /// Fixed UID (default: Grafana generates one).
    uid: Option<String>,
    /// Create the rule paused.
    #[serde(rename = "isPaused")]
    is_paused: Option<bool>,
}

fn check_data(data: &Value, condition: &str) -> Result<(), ToolError> {
    let items = data.as_array().filter(|d| !d.is_empty()).ok_or_else(|| {
        ToolError::invalid("`data` must be a non-empty list of alert queries ({refId, datasourceUid, model, ...})")
    })?;
    let refs: Vec<&str> = items.iter().map(|q| s(q, "refId")).collect();
    if refs.iter().any(|r| r.is_empty()) {
        return Err(ToolError::invalid("every entry of `data` needs a `refId`"));
    }
    if !refs.contains(&condition) {
        return Err(ToolError::invalid(format!(
            "`condition` `{condition}` names no query in `data` (refIds: {})",
            refs.join(", ")
        )));
    }
    Ok(())
}

fn state(name: &str, v: Option<String>, allowed: &[&str], default: &str) -> Result<String, ToolError> {
    match optional(&v) {
        None => Ok(default.into()),
        Some(x) if allowed.contains(&x.as_str()) => Ok(x),
        Some(x) => Err(ToolError::invalid(format!("`{name}` must be one of {}, got `{x}`", allowed.join(", ")))),
    }
}

fn duration(name: &str, v: &str) -> Result<String, ToolError> {
    duration_ms(v)
        .map(|_| v.trim().to_string())
        .ok_or_else(|| ToolError::invalid(format!("`{name}` must be a duration such as 30s, 5m or 1h, got `{v}`")))
}

/// The org a rule belongs to: the configured one, else the caller's current org.
fn org_id(g: &Grafana) -> Result<i64, ToolError> {
    let org = g.get("/api/org", &[])?;
    org.get("id").and_then(Value::as_i64).ok_or_else(|| ToolError::upstream("grafana: /api/org answered no `id`"))
}

pub fn create_alert_rule(a: CreateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let title = required("title", &a.title)?;
    let condition = required("condition", &a.condition)?;
    let folder = required("folderUID", &a.folder_uid)?;
    let group = optional(&a.rule_group).unwrap_or_else(|| "default".into());
    let data = a.data.unwrap_or(Value::Null);
    check_data(&data, condition)?;
    let interval = opt_whole("intervalSeconds", &a.interval_seconds, 10, 86_400)?;
    if interval.is_some_and(|i| i % 10 != 0) {
        return Err(ToolError::invalid("`intervalSeconds` must be a multiple of 10"));
    }
    let pending = duration("for", &optional(&a.pending).unwrap_or_else(|| "1m".into()))?;
    let g = Grafana::new(ctx)?;
    let mut body = json!({
        "orgID": org_id(&g)?,
        "title": title, "condition": condition, "folderUID": folder, "ruleGroup": group, "data": data,
        "for": pending,
        "noDataState": state("noDataState", a.no_data_state, &NO_DATA_STATES, "NoData")?,
        "execErrState": state("execErrState", a.exec_err_state, &ERROR_STATES, "Error")?,
        "annotations": a.annotations.unwrap_or_default(),
        "labels": a.labels.unwrap_or_default(),
        "isPaused": a.is_paused.unwrap_or(false),
    });
    if let Some(uid) = optional(&a.uid) {
        body["uid"] = json!(uid);
    }
    let created = g.with_body("POST", RULES, &body)?;
    let mut out = json!({ "rule": created });
    if let Some(secs) = interval {
        out["group"] = set_interval(&g, folder, &group, secs)?;
    }
    Output::json(&out)
}

/// Set a rule group's evaluation interval (GET the group, PUT it back).
fn set_interval(g: &Grafana, folder: &str, group: &str, secs: i64) -> Result<Value, ToolError> {
    let path = format!(
        "/api/v1/provisioning/folder/{}/rule-groups/{}",
        segment("folderUID", folder)?,
        segment("ruleGroup", group)?
    );
    let mut current = g.get(&path, &[]).map_err(missing(format!("rule group `{group}` in folder `{folder}`")))?;
    current["interval"] = json!(secs);
    let saved = g.with_body("PUT", &path, &current)?;
    Ok(json!({ "title": saved.get("title"), "folderUid": saved.get("folderUid"), "interval": saved.get("interval") }))
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateArgs {
    /// UID of the alert rule.
    #[serde(rename = "ruleUID", alias = "ruleUid", alias = "uid")]
    rule_uid: String,
    /// New title.
    title: Option<String>,
    /// New condition refId.
    condition: Option<String>,
    /// Move to this folder.
    #[serde(rename = "folderUID", alias = "folderUid")]
    folder_uid: Option<String>,
    /// Move to this rule group.
    #[serde(rename = "ruleGroup")]
    rule_group: Option<String>,
    /// Replace the queries and expressions.
    data: Option<Value>,
    /// Replace the annotations.
    annotations: Option<serde_json::Map<String, Value>>,
    /// Replace the labels.
    labels: Option<serde_json::Map<String, Value>>,
    /// New pending period, e.g. `5m`.
    #[serde(rename = "for")]
    pending: Option<String>,
    /// Pause or resume evaluation.
    #[serde(rename = "isPaused")]
    is_paused: Option<bool>,
}

pub fn update_alert_rule(a: UpdateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let g = Grafana::new(ctx)?;
    let mut rule = get_rule(&g, &a.rule_uid)?;
    for (k, v) in
        [("title", &a.title), ("condition", &a.condition), ("folderUID", &a.folder_uid), ("ruleGroup", &a.rule_group)]
    {
        if let Some(v) = optional(v) {
            rule[k] = json!(v);
        }
    }
    if let Some(p) = optional(&a.pending) {
        rule["for"] = json!(duration("for", &p)?);
    }
    if let Some(d) = a.data {
        rule["data"] = d;
    }
    if let Some(x) = a.annotations {
        rule["annotations"] = Value::Object(x);
    }
    if let Some(x) = a.labels {
        rule["labels"] = Value::Object(x);
    }
    if let Some(p) = a.is_paused {
        rule["isPaused"] = json!(p);
    }
    check_data(&rule["data"], s(&rule, "condition"))?;
    // Grafana refuses to change a rule's provenance: keep UI-made rules
    // editable in the UI, and say where file-provisioned ones are changed.
    let provenance = s(&rule, "provenance").to_string();
    let mut req = g.request("PUT", &rule_path(&a.rule_uid)?, &[]);
    match provenance.as_str() {
        "" => req = req.header("x-disable-provenance", "true"),
        "api" => {}
        other => {
            return Err(ToolError::denied(format!(
                "alert rule `{}` is provisioned by `{other}` (e.g. provisioning files); change it there",
                a.rule_uid.trim()
            )));
        }
    }
    let saved = g.send(req.json_body(&rule)?).map_err(missing(format!("alert rule `{}`", a.rule_uid.trim())))?;
    Output::json(&saved)
}

pub fn delete_alert_rule(a: RuleUid, ctx: &Context) -> Result<Output, ToolError> {
    let g = Grafana::new(ctx)?;
    // The API answers 204 for unknown UIDs too: look first so a typo is reported.
    get_rule(&g, &a.rule_uid)?;
    g.delete(&rule_path(&a.rule_uid)?, &[])?;
    Output::json(&json!({ "deleted": true, "ruleUID": a.rule_uid.trim() }))
}

#[derive(Deserialize, JsonSchema)]
pub struct ContactArgs {
    /// Only contact points of this name.
    name: Option<String>,
    /// Most contact points: 1-100 (default 20).
    limit: Option<Num>,
    /// Compact rows (uid, name, type) instead of full objects with settings.
    summary: Option<bool>,
}

pub fn list_contact_points(a: ContactArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let items = as_list(
        Grafana::new(ctx)?.get("/api/v1/provisioning/contact-points", &[("name", optional(&a.name))])?,
        "contact points",
    )?;
    let total = items.len();
    let items = if a.summary == Some(true) {
        items.iter().map(|c| pick(c, &["uid", "name", "type", "disableResolveMessage"])).collect()
    } else {
        items
    };
    Output::json(&listing("contactPoints", items, n, Some(total)))
}
