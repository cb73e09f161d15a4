//! Alert group tools: raw groups and a filtered, sorted, paged summary.

use crate::alerts::{self, label, severity_rank, state};
use crate::common::{check_paging, count_by, into_list, non_blank, paginate, time_of};
use crate::silences::NoArgs;
use k8s_mcp_sdk::backend::Backend;
use k8s_mcp_sdk::prelude::*;
use std::cmp::Ordering;

fn fetch_groups(backend: &Backend) -> Result<Vec<Value>, ToolError> {
    into_list(backend.get_json("/api/v2/alerts/groups", &[])?, "alert groups")
}

fn group_alerts(g: &Value) -> &[Value] {
    g.get("alerts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn group_receiver(g: &Value) -> &str {
    g.pointer("/receiver/name").and_then(Value::as_str).unwrap_or("")
}

fn active_count(g: &Value) -> usize {
    group_alerts(g).iter().filter(|a| state(a) == "active").count()
}

pub fn get_alert_groups(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let groups = fetch_groups(&crate::backend(ctx)?)?;
    Output::json(&json!({ "count": groups.len(), "groups": groups }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupsPaginatedArgs {
    /// Page number, from 1.
    #[schemars(with = "Option<u32>", range(min = 1))]
    page: Option<f64>,
    /// Groups per page (1-100, default 20).
    #[serde(alias = "perPage")]
    #[schemars(with = "Option<u32>", range(min = 1, max = 100))]
    per_page: Option<f64>,
    /// Only groups routed to this receiver (exact name).
    receiver: Option<String>,
    /// Only groups with at least one alert in state `active`.
    #[serde(alias = "activeOnly")]
    active_only: Option<bool>,
    /// alerts (default: most alerts first), active (most active alerts first), severity
    /// (most severe first), newest (latest alert start first), receiver or labels (alphabetical).
    #[serde(alias = "sortBy")]
    sort_by: Option<String>,
}

pub fn alert_groups_paginated(args: GroupsPaginatedArgs, ctx: &Context) -> Result<Output, ToolError> {
    check_paging(args.page, args.per_page)?;
    let sort = non_blank(args.sort_by).unwrap_or_else(|| "alerts".into()).to_ascii_lowercase();
    let order = group_order(&sort)?;
    let receiver = non_blank(args.receiver);
    let mut groups: Vec<Value> = fetch_groups(&crate::backend(ctx)?)?
        .into_iter()
        .filter(|g| {
            receiver.as_deref().is_none_or(|r| group_receiver(g) == r)
                && (!args.active_only.unwrap_or(false) || active_count(g) > 0)
        })
        .collect();
    groups.sort_by(|a, b| order(a, b).then_with(|| labels_text(a).cmp(&labels_text(b))));
    let total_alerts: usize = groups.iter().map(|g| group_alerts(g).len()).sum();
    let (page, pagination) = paginate(groups, args.page, args.per_page)?;
    let list: Vec<Value> = page.iter().map(group_summary).collect();
    Output::json(&json!({
        "count": list.len(),
        "totalAlerts": total_alerts,
        "sortBy": sort,
        "pagination": pagination,
        "groups": list,
    }))
}

type GroupOrder = fn(&Value, &Value) -> Ordering;

fn group_order(sort: &str) -> Result<GroupOrder, ToolError> {
    Ok(match sort {
        "alerts" | "alert_count" | "count" | "size" => |a, b| group_alerts(b).len().cmp(&group_alerts(a).len()),
        "active" | "active_count" => |a, b| active_count(b).cmp(&active_count(a)),
        "severity" => |a, b| max_severity(b).cmp(&max_severity(a)),
        "newest" | "startsat" | "latest" => |a, b| latest_start(b).cmp(&latest_start(a)),
        "receiver" => |a, b| group_receiver(a).cmp(group_receiver(b)),
        "labels" | "name" => |a, b| labels_text(a).cmp(&labels_text(b)),
        other => {
            return Err(ToolError::invalid(format!(
                "`sort_by` must be alerts, active, severity, newest, receiver or labels; got `{other}`"
            )));
        }
    })
}

fn max_severity(g: &Value) -> u8 {
    group_alerts(g).iter().map(severity_rank).max().unwrap_or(0)
}

fn latest_start(g: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    group_alerts(g).iter().filter_map(|a| time_of(a, "startsAt")).max()
}

/// `{alertname="X", team="x"}`: the group's routing labels as one string.
fn labels_text(g: &Value) -> String {
    let pairs: Vec<String> = g
        .get("labels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v)).collect())
        .unwrap_or_default();
    format!("{{{}}}", pairs.join(", "))
}

fn group_summary(g: &Value) -> Value {
    let alerts = group_alerts(g);
    let mut names: Vec<&str> = alerts.iter().filter_map(|a| label(a, "alertname")).collect();
    names.sort_unstable();
    names.dedup();
    json!({
        "labels": g.get("labels"),
        "receiver": group_receiver(g),
        "alertCount": alerts.len(),
        "byState": count_by(alerts.iter().map(state)),
        "bySeverity": count_by(alerts.iter().map(|a| label(a, "severity").unwrap_or("none"))),
        "alertnames": names,
        "earliestStartsAt": alerts.iter().filter_map(|a| time_of(a, "startsAt")).min().map(crate::common::rfc3339),
        "latestStartsAt": latest_start(g).map(crate::common::rfc3339),
        "alerts": alerts.iter().take(5).map(|a| alerts::compact(a, false)).collect::<Vec<_>>(),
    })
}
