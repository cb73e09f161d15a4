//! Status, health and receiver tools.

use crate::alerts::{self, AlertQuery};
use crate::common::{count_by, human, into_list, time_of};
use crate::silences::NoArgs;
use chrono::Utc;
use k8s_mcp_sdk::backend::Backend;
use k8s_mcp_sdk::prelude::*;
use std::collections::BTreeMap;

fn fetch_status(backend: &Backend) -> Result<Value, ToolError> {
    match backend.get_json("/api/v2/status", &[])? {
        v @ Value::Object(_) => Ok(v),
        other => Err(ToolError::upstream(format!("alertmanager returned an unexpected status document: {other}"))),
    }
}

pub fn get_status(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&fetch_status(&crate::backend(ctx)?)?)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthArgs {
    /// `basic` (default): version, uptime, cluster state. `detailed`: also alert counts by
    /// state and severity, silence counts by state and the number of receivers.
    level: Option<String>,
    /// List the cluster peers (name and address), not only their count.
    #[serde(alias = "includeCluster")]
    include_cluster: Option<bool>,
}

pub fn health_summary(args: HealthArgs, ctx: &Context) -> Result<Output, ToolError> {
    let level = args.level.as_deref().map(str::trim).unwrap_or("").to_ascii_lowercase();
    let detailed = match level.as_str() {
        "" | "basic" => false,
        "detailed" | "full" => true,
        other => return Err(ToolError::invalid(format!("`level` must be basic or detailed, got `{other}`"))),
    };
    let backend = crate::backend(ctx)?;
    let status = fetch_status(&backend)?;
    // v2 reports the process start time under `uptime`.
    let started = time_of(&status, "uptime");
    let peers = status.pointer("/cluster/peers").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut cluster = json!({
        "status": status.pointer("/cluster/status"),
        "name": status.pointer("/cluster/name"),
        "peerCount": peers.len(),
    });
    if args.include_cluster.unwrap_or(false) {
        cluster["peers"] = json!(peers);
    }
    let mut out = json!({
        "reachable": true,
        "address": backend.base(),
        "version": status.pointer("/versionInfo/version"),
        "startedAt": status.get("uptime"),
        "uptime": started.map(|s| human(Utc::now() - s)),
        "uptimeSeconds": started.map(|s| (Utc::now() - s).num_seconds()),
        "cluster": cluster,
        "level": if detailed { "detailed" } else { "basic" },
    });
    if detailed {
        let alerts = AlertQuery::default().fetch(&backend)?;
        let silences = into_list(backend.get_json("/api/v2/silences", &[])?, "silences")?;
        let receivers = into_list(backend.get_json("/api/v2/receivers", &[])?, "receivers")?;
        let silence_state =
            |s: &Value| s.pointer("/status/state").and_then(Value::as_str).unwrap_or("unknown").to_string();
        out["alerts"] = json!({ "total": alerts.len(), "counts": alerts::counts(&alerts) });
        out["silences"] = json!({ "total": silences.len(), "byState": count_by(silences.iter().map(silence_state)) });
        out["receivers"] = json!(receivers.len());
        out["versionInfo"] = status.get("versionInfo").cloned().unwrap_or(Value::Null);
    }
    Output::json(&out)
}

pub fn get_receivers(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let receivers = into_list(crate::backend(ctx)?.get_json("/api/v2/receivers", &[])?, "receivers")?;
    Output::json(&json!({ "count": receivers.len(), "receivers": receivers }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiversSummaryArgs {
    /// Also report each receiver's integration types (webhook, email, slack, ...) read from the
    /// loaded configuration, and whether it can be tested through the API (it cannot: v2 has no test endpoint).
    #[serde(alias = "testInfo")]
    test_info: Option<bool>,
}

pub fn receivers_summary(args: ReceiversSummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let backend = crate::backend(ctx)?;
    let receivers = into_list(backend.get_json("/api/v2/receivers", &[])?, "receivers")?;
    let alerts = AlertQuery::default().fetch(&backend)?;
    let per_receiver = count_by(alerts.iter().flat_map(alerts::receivers));
    let integrations = if args.test_info.unwrap_or(false) {
        let status = fetch_status(&backend)?;
        Some(receiver_integrations(status.pointer("/config/original").and_then(Value::as_str).unwrap_or("")))
    } else {
        None
    };
    let list: Vec<Value> = receivers
        .iter()
        .filter_map(|r| r.get("name").and_then(Value::as_str))
        .map(|name| {
            let mut r = json!({ "name": name, "alertCount": per_receiver.get(name).copied().unwrap_or(0) });
            if let Some(map) = &integrations {
                r["integrations"] = json!(map.get(name).cloned().unwrap_or_default());
                r["testable"] = json!(false);
            }
            r
        })
        .collect();
    let mut out = json!({ "count": list.len(), "receivers": list });
    if integrations.is_some() {
        out["note"] = json!(
            "Alertmanager's API v2 cannot send test notifications; to exercise a receiver, post an alert \
             whose labels route to it (POST /api/v2/alerts). Integration types come from the loaded configuration."
        );
    }
    Output::json(&out)
}

/// Receiver name → integration types (`webhook`, `email`, ...), read from the
/// configuration as Alertmanager re-serialises it: a top-level `receivers:`
/// list whose items hold `<type>_configs:` keys. A line scan, not a YAML
/// parser, so an unusual layout yields empty lists rather than an error.
fn receiver_integrations(config: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_receivers = false;
    let mut current: Option<(String, usize)> = None;
    for line in config.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 0 && !trimmed.starts_with('-') && !trimmed.is_empty() {
            in_receivers = trimmed == "receivers:";
            current = None;
            continue;
        }
        if !in_receivers {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("- name:") {
            let name = name.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
            out.entry(name.clone()).or_default();
            current = Some((name, indent + 2));
        } else if let Some((name, item_indent)) = &current
            && indent == *item_indent
            && let Some(kind) = trimmed.strip_suffix("_configs:")
        {
            out.entry(name.clone()).or_default().push(kind.to_string());
        }
    }
    out
}

#[derive(Deserialize, JsonSchema)]
pub struct TestReceiverArgs {
    /// The receiver to test (name or configuration).
    #[allow(dead_code)] // accepted for compatibility; the tool explains why it cannot act
    receiver: Option<Value>,
    /// Test alerts to send.
    #[allow(dead_code)]
    alerts: Option<Vec<Value>>,
}

/// Alertmanager has no receiver-test route; say so instead of pretending.
pub fn test_receiver(_: TestReceiverArgs, _ctx: &Context) -> Result<Output, ToolError> {
    Err(ToolError::upstream(
        "Alertmanager's API v2 has no receiver-test endpoint, so no test notification was sent. \
         To exercise a receiver, post a test alert whose labels route to it (POST /api/v2/alerts, e.g. \
         `amtool alert add alertname=Test team=x`), and check routing with get_alert_groups; use \
         create_silence to mute it afterwards.",
    ))
}
