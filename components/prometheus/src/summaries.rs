//! Compact views of Prometheus answers: what a model needs to reason about,
//! without the bulk of the raw API objects.

use crate::{api, timefmt};
use k8s_mcp_sdk::prelude::*;
use std::collections::BTreeMap;

const DEFAULT_TOP: usize = 10;
const MAX_TOP: usize = 500;
const TSDB_TOP: usize = 5;

fn text(v: &Value, key: &str) -> Value {
    v.get(key).cloned().unwrap_or(Value::Null)
}

fn label(v: &Value, key: &str) -> Value {
    v.get("labels").and_then(|l| l.get(key)).cloned().unwrap_or(Value::Null)
}

fn count_by(items: &[Value], key: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        let k = item.get(key).and_then(Value::as_str).unwrap_or("unknown").to_string();
        *counts.entry(k).or_insert(0) += 1;
    }
    counts
}

pub fn targets(data: &Value) -> Value {
    let compact = |t: &Value| {
        json!({
            "job": text(t, "scrapePool"),
            "instance": label(t, "instance"),
            "url": text(t, "scrapeUrl"),
            "health": text(t, "health"),
            "last_error": t.get("lastError").filter(|e| e.as_str() != Some("")),
            "last_scrape": text(t, "lastScrape"),
            "scrape_duration_s": text(t, "lastScrapeDuration"),
        })
    };
    let active: Vec<Value> =
        data.get("activeTargets").and_then(Value::as_array).map_or(vec![], |a| a.iter().map(compact).collect());
    let dropped = data.get("droppedTargets").and_then(Value::as_array).map_or(0, Vec::len);
    json!({
        "active": active.len(),
        "dropped": dropped,
        "by_health": count_by(&active, "health"),
        "targets": active,
    })
}

pub fn alerts(data: &Value) -> Value {
    let list: Vec<Value> = data.get("alerts").and_then(Value::as_array).map_or(vec![], |a| {
        a.iter()
            .map(|al| {
                json!({
                    "alertname": label(al, "alertname"),
                    "state": text(al, "state"),
                    "severity": label(al, "severity"),
                    "active_at": text(al, "activeAt"),
                    "value": text(al, "value"),
                    "summary": al.get("annotations").and_then(|a| a.get("summary")).cloned().unwrap_or(Value::Null),
                })
            })
            .collect()
    });
    json!({
        "total": list.len(),
        "by_state": count_by(&list, "state"),
        "by_severity": count_by(&list, "severity"),
        "alerts": list,
    })
}

pub fn rules(data: &Value) -> Value {
    let mut list = Vec::new();
    for group in data.get("groups").and_then(Value::as_array).into_iter().flatten() {
        for rule in group.get("rules").and_then(Value::as_array).into_iter().flatten() {
            list.push(json!({
                "group": text(group, "name"),
                "name": text(rule, "name"),
                "type": text(rule, "type"),
                "health": text(rule, "health"),
                "state": rule.get("state"),
                "active_alerts": rule.get("alerts").and_then(Value::as_array).map(Vec::len),
                "last_error": rule.get("lastError").filter(|e| e.as_str() != Some("")),
            }));
        }
    }
    json!({
        "total": list.len(),
        "by_type": count_by(&list, "type"),
        "by_health": count_by(&list, "health"),
        "rules": list,
    })
}

pub fn tsdb(data: &Value) -> Value {
    let top = |key: &str| -> Value {
        data.get(key)
            .and_then(Value::as_array)
            .map_or(Value::Null, |a| json!(a.iter().take(TSDB_TOP).collect::<Vec<_>>()))
    };
    json!({
        "head": data.get("headStats"),
        "top_series_by_metric": top("seriesCountByMetricName"),
        "top_series_by_label_pair": top("seriesCountByLabelValuePair"),
        "top_label_value_counts": top("labelValueCountByLabelName"),
        "top_memory_by_label": top("memoryInBytesByLabelName"),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct QuerySummaryArgs {
    /// PromQL expression.
    query: String,
    /// Evaluation time (default now).
    time: Option<String>,
    /// How many series to return (default 10, at most 500).
    limit: Option<usize>,
    /// `desc` (default: largest first) or `asc`.
    order: Option<String>,
}

/// `{__name__="x", a="b"}` as Prometheus prints series.
fn series_name(metric: &Value) -> String {
    let Some(map) = metric.as_object() else { return String::new() };
    let name = map.get("__name__").and_then(Value::as_str).unwrap_or("");
    let labels: Vec<String> = map
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}={}", Value::String(v.as_str().unwrap_or("").to_string())))
        .collect();
    format!("{name}{{{}}}", labels.join(", "))
}

pub fn query_summary(a: QuerySummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let limit = a.limit.unwrap_or(DEFAULT_TOP);
    if limit == 0 || limit > MAX_TOP {
        return Err(ToolError::invalid(format!("`limit` must be between 1 and {MAX_TOP}")));
    }
    let descending = match a.order.as_deref().unwrap_or("desc") {
        "desc" => true,
        "asc" => false,
        other => return Err(ToolError::invalid(format!("`order` must be asc or desc, got `{other}`"))),
    };
    if a.query.trim().is_empty() {
        return Err(ToolError::invalid("`query` must not be empty"));
    }
    let time = match &a.time {
        Some(t) => Some(
            timefmt::parse_time(t, timefmt::now())
                .map(timefmt::api_time)
                .map_err(|e| ToolError::invalid(format!("`time`: {e}")))?,
        ),
        None => None,
    };
    let (data, _) = api(ctx, "/api/v1/query", &[("query", Some(a.query.clone())), ("time", time)])?;
    let kind = data.get("resultType").and_then(Value::as_str).unwrap_or("");
    let mut rows: Vec<(String, f64)> = match kind {
        "vector" => data
            .get("result")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| {
                let v = s.get("value").and_then(|v| v.get(1)).and_then(Value::as_str).and_then(|v| v.parse().ok());
                (series_name(s.get("metric").unwrap_or(&Value::Null)), v.unwrap_or(f64::NAN))
            })
            .collect(),
        "scalar" => {
            let v = data.get("result").and_then(|r| r.get(1)).and_then(Value::as_str).and_then(|v| v.parse().ok());
            vec![("scalar".into(), v.unwrap_or(f64::NAN))]
        }
        other => {
            return Err(ToolError::invalid(format!(
                "query_summary needs an instant vector or scalar, the query returned `{other}` (use query_range for ranges)"
            )));
        }
    };
    let total = rows.len();
    rows.sort_by(|x, y| {
        let ord = x.1.partial_cmp(&y.1).unwrap_or(std::cmp::Ordering::Equal);
        if descending { ord.reverse() } else { ord }
    });
    rows.truncate(limit);
    let series: Vec<Value> = rows.into_iter().map(|(name, value)| json!({ "series": name, "value": value })).collect();
    Output::json(&json!({ "query": a.query, "total_series": total, "shown": series.len(), "series": series }))
}
