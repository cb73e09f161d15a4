//! The `prometheus` service: the Prometheus HTTP API v1 through the
//! policy-checked backend client. Tool and parameter names follow the Go
//! k8s-mcp-server; routes are Prometheus' real ones.

mod summaries;
mod timefmt;

use k8s_mcp_sdk::args::required;
use k8s_mcp_sdk::backend::Backend;
use k8s_mcp_sdk::prelude::*;
use timefmt::{api_time, now, parse_duration, parse_time};

/// Prometheus refuses range queries above this many points per series.
const MAX_POINTS: f64 = 11_000.0;
/// Points per series an automatic step aims for.
const AUTO_POINTS: f64 = 500.0;
const DEFAULT_RANGE_S: f64 = 3600.0;

struct Prometheus;

fn backend(ctx: &Context) -> Result<Backend, ToolError> {
    Backend::from_context(
        ctx,
        "prometheus",
        "address",
        "set MCP_PROM_ADDRESS or components.prometheus.settings.address",
    )
}

/// GET an API route and unwrap Prometheus' `{status, data, warnings}` envelope.
pub(crate) fn api(
    ctx: &Context,
    path: &str,
    query: &[(&str, Option<String>)],
) -> Result<(Value, Vec<String>), ToolError> {
    let body = backend(ctx)?.get_json(path, query)?;
    unwrap_envelope(body)
}

fn unwrap_envelope(body: Value) -> Result<(Value, Vec<String>), ToolError> {
    if body.get("status").and_then(Value::as_str) == Some("error") {
        let kind = body.get("errorType").and_then(Value::as_str).unwrap_or("error");
        let msg = body.get("error").and_then(Value::as_str).unwrap_or("unknown error");
        return Err(ToolError::upstream(format!("prometheus {kind}: {msg}")));
    }
    let warnings = body
        .get("warnings")
        .and_then(Value::as_array)
        .map(|w| w.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    Ok((body.get("data").cloned().unwrap_or(Value::Null), warnings))
}

fn with_warnings(mut out: Value, warnings: Vec<String>) -> Value {
    if !warnings.is_empty() {
        out["warnings"] = json!(warnings);
    }
    out
}

fn opt_time(name: &str, value: &Option<String>) -> Result<Option<String>, ToolError> {
    value
        .as_deref()
        .map(|t| parse_time(t, now()).map(api_time).map_err(|e| ToolError::invalid(format!("`{name}`: {e}"))))
        .transpose()
}

#[derive(Deserialize, JsonSchema)]
struct QueryArgs {
    /// PromQL expression.
    query: String,
    /// Evaluation time: RFC 3339, Unix seconds, `now` or `now-5m` (default now).
    time: Option<String>,
}

fn query(a: QueryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let q = required("query", &a.query)?;
    let (data, warnings) =
        api(ctx, "/api/v1/query", &[("query", Some(q.into())), ("time", opt_time("time", &a.time)?)])?;
    Output::json(&with_warnings(data, warnings))
}

#[derive(Deserialize, JsonSchema)]
struct RangeArgs {
    /// PromQL expression.
    query: String,
    /// Start: RFC 3339, Unix seconds or `now-1h` (default: one hour before `end`).
    start: Option<String>,
    /// End (default now).
    end: Option<String>,
    /// Resolution, e.g. `15s`, `1m` (default: about 500 points, at least 15s).
    step: Option<String>,
}

fn query_range(a: RangeArgs, ctx: &Context) -> Result<Output, ToolError> {
    let q = required("query", &a.query)?;
    let now = now();
    let end = match &a.end {
        Some(e) => parse_time(e, now).map_err(|e| ToolError::invalid(format!("`end`: {e}")))?,
        None => now,
    };
    let start = match &a.start {
        Some(s) => parse_time(s, now).map_err(|e| ToolError::invalid(format!("`start`: {e}")))?,
        None => end - DEFAULT_RANGE_S,
    };
    if start > end {
        return Err(ToolError::invalid("`start` must not be after `end`"));
    }
    let step = match &a.step {
        Some(s) => parse_duration(s).map_err(|e| ToolError::invalid(format!("`step`: {e}")))?,
        None => ((end - start) / AUTO_POINTS).ceil().max(15.0),
    };
    if step <= 0.0 {
        return Err(ToolError::invalid("`step` must be positive"));
    }
    let points = (end - start) / step;
    if points > MAX_POINTS {
        return Err(ToolError::invalid(format!(
            "a step of {step} s over {} s gives {points:.0} points per series (Prometheus allows {MAX_POINTS}); use a larger step",
            end - start
        )));
    }
    let (mut data, warnings) = api(
        ctx,
        "/api/v1/query_range",
        &[
            ("query", Some(q.into())),
            ("start", Some(api_time(start))),
            ("end", Some(api_time(end))),
            ("step", Some(format!("{step}"))),
        ],
    )?;
    data["step_seconds"] = json!(step);
    Output::json(&with_warnings(data, warnings))
}

#[derive(Deserialize, JsonSchema)]
struct StateArgs {
    /// `active`, `dropped` or `any` (default any).
    state: Option<String>,
}

fn target_state(a: &StateArgs) -> Result<Option<String>, ToolError> {
    match a.state.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("any") => Ok(Some("any".into())),
        Some(s @ ("active" | "dropped")) => Ok(Some(s.to_string())),
        Some(other) => Err(ToolError::invalid(format!("`state` must be active, dropped or any, got `{other}`"))),
    }
}

fn get_targets(a: StateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/targets", &[("state", target_state(&a)?)])?;
    Output::json(&data)
}

fn targets_summary(a: StateArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/targets", &[("state", target_state(&a)?)])?;
    Output::json(&summaries::targets(&data))
}

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

fn get_alerts(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/alerts", &[])?;
    Output::json(&data)
}

fn alerts_summary(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/alerts", &[])?;
    Output::json(&summaries::alerts(&data))
}

#[derive(Deserialize, JsonSchema)]
struct RulesArgs {
    /// `alert` or `record` (default both).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Only the rule group of this name.
    group: Option<String>,
}

/// Rules answer, narrowed to one group when asked.
fn rules_data(a: &RulesArgs, ctx: &Context) -> Result<Value, ToolError> {
    let (mut data, _) = api(ctx, "/api/v1/rules", &[("type", rule_type(a)?)])?;
    if let Some(group) = a.group.as_deref().filter(|g| !g.is_empty())
        && let Some(groups) = data.get_mut("groups").and_then(Value::as_array_mut)
    {
        groups.retain(|g| g.get("name").and_then(Value::as_str) == Some(group));
        if groups.is_empty() {
            return Err(ToolError::not_found(format!("no rule group named `{group}`")));
        }
    }
    Ok(data)
}

fn rule_type(a: &RulesArgs) -> Result<Option<String>, ToolError> {
    match a.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(None),
        Some("alert" | "alerting") => Ok(Some("alert".into())),
        Some("record" | "recording") => Ok(Some("record".into())),
        Some(other) => Err(ToolError::invalid(format!("`type` must be alert or record, got `{other}`"))),
    }
}

fn get_rules(a: RulesArgs, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&rules_data(&a, ctx)?)
}

fn rules_summary(a: RulesArgs, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&summaries::rules(&rules_data(&a, ctx)?))
}

#[derive(Deserialize, JsonSchema)]
struct RangeOnly {
    /// Only series active after this time.
    start: Option<String>,
    /// Only series active before this time.
    end: Option<String>,
}

fn get_label_names(a: RangeOnly, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) =
        api(ctx, "/api/v1/labels", &[("start", opt_time("start", &a.start)?), ("end", opt_time("end", &a.end)?)])?;
    Output::json(&json!({ "labels": data }))
}

#[derive(Deserialize, JsonSchema)]
struct LabelArgs {
    /// Label name, e.g. `job`.
    label: String,
    start: Option<String>,
    end: Option<String>,
}

fn get_label_values(a: LabelArgs, ctx: &Context) -> Result<Output, ToolError> {
    let label = required("label", &a.label)?;
    let valid = label.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(ToolError::invalid(format!("`{label}` is not a valid label name")));
    }
    let path = format!("/api/v1/label/{label}/values");
    let (data, _) = api(ctx, &path, &[("start", opt_time("start", &a.start)?), ("end", opt_time("end", &a.end)?)])?;
    Output::json(&json!({ "label": label, "values": data }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, JsonSchema)]
struct SeriesArgs {
    /// Series selectors, e.g. `["up", "process_cpu_seconds_total{job=\"prometheus\"}"]`.
    #[serde(rename = "match")]
    matchers: OneOrMany,
    start: Option<String>,
    end: Option<String>,
}

fn get_series(a: SeriesArgs, ctx: &Context) -> Result<Output, ToolError> {
    let matchers = match a.matchers {
        OneOrMany::One(m) => vec![m],
        OneOrMany::Many(m) => m,
    };
    let matchers: Vec<String> = matchers.into_iter().filter(|m| !m.trim().is_empty()).collect();
    if matchers.is_empty() {
        return Err(ToolError::invalid("`match` needs at least one series selector"));
    }
    let mut query: Vec<(&str, Option<String>)> = matchers.into_iter().map(|m| ("match[]", Some(m))).collect();
    query.push(("start", opt_time("start", &a.start)?));
    query.push(("end", opt_time("end", &a.end)?));
    let (data, _) = api(ctx, "/api/v1/series", &query)?;
    let count = data.as_array().map_or(0, Vec::len);
    Output::json(&json!({ "count": count, "series": data }))
}

#[derive(Deserialize, JsonSchema)]
struct MetricArgs {
    /// Only this metric (default all).
    metric: Option<String>,
}

fn get_metrics_metadata(a: MetricArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/metadata", &[("metric", a.metric.filter(|m| !m.is_empty()))])?;
    Output::json(&json!({ "metadata": data }))
}

fn get_target_metadata(a: MetricArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/targets/metadata", &[("metric", a.metric.filter(|m| !m.is_empty()))])?;
    Output::json(&json!({ "metadata": data }))
}

fn get_tsdb_status(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/status/tsdb", &[])?;
    Output::json(&data)
}

fn get_tsdb_stats(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/status/tsdb", &[])?;
    Output::json(&summaries::tsdb(&data))
}

#[derive(Deserialize, JsonSchema)]
struct SnapshotArgs {
    /// Skip data in the head block (not yet compacted to disk).
    #[serde(rename = "skipHead", alias = "skip_head")]
    skip_head: Option<bool>,
}

fn create_snapshot(a: SnapshotArgs, ctx: &Context) -> Result<Output, ToolError> {
    let b = backend(ctx)?;
    let skip = a.skip_head.map(|s| s.to_string());
    let body = b.send_json(b.request("POST", "/api/v1/admin/tsdb/snapshot", &[("skip_head", skip)]))?;
    let (data, _) = unwrap_envelope(body)?;
    Output::json(&data)
}

fn get_wal_replay_status(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/status/walreplay", &[])?;
    Output::json(&data)
}

fn test_connection(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let b = backend(ctx)?;
    let (build, _) = api(ctx, "/api/v1/status/buildinfo", &[])?;
    let (up, _) = api(ctx, "/api/v1/query", &[("query", Some("up".into()))])?;
    let targets = up.get("result").and_then(Value::as_array).map_or(0, Vec::len);
    Output::json(&json!({
        "connected": true,
        "address": b.base(),
        "version": build.get("version"),
        "up_series": targets,
    }))
}

fn get_server_info(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (build, _) = api(ctx, "/api/v1/status/buildinfo", &[])?;
    let (runtime, _) = api(ctx, "/api/v1/status/runtimeinfo", &[])?;
    let (config, _) = api(ctx, "/api/v1/status/config", &[])?;
    Output::json(&json!({ "build": build, "runtime": runtime, "config": config.get("yaml") }))
}

fn get_runtime_info(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/status/runtimeinfo", &[])?;
    Output::json(&data)
}

fn get_build_info(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/status/buildinfo", &[])?;
    Output::json(&data)
}

fn get_config(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/status/config", &[])?;
    Output::json(&data)
}

fn get_flags(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (data, _) = api(ctx, "/api/v1/status/flags", &[])?;
    Output::json(&data)
}

impl Service for Prometheus {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new("query", "Evaluate a PromQL expression at one instant (default now).", query).read_only(),
            Tool::new(
                "query_range",
                "Evaluate a PromQL expression over a time window (default the last hour; step chosen for ~500 points unless given; at most 11000 points per series).",
                query_range,
            )
            .read_only(),
            Tool::new(
                "query_summary",
                "Top-N series of an instant PromQL query as a compact table of labels and values (default 10, by value, descending).",
                summaries::query_summary,
            )
            .read_only(),
            Tool::new("targets_summary", "Compact scrape-target list (job, instance, health, last error) with health counts.", targets_summary).read_only(),
            Tool::new("get_targets", "Full scrape-target details, optionally by state (active, dropped, any).", get_targets).read_only(),
            Tool::new("alerts_summary", "Compact list of active alerts (name, state, severity, since, summary) with counts.", alerts_summary).read_only(),
            Tool::new("get_alerts", "Full active-alert objects.", get_alerts).read_only(),
            Tool::new("rules_summary", "Compact rule list (group, name, type, health, state) with counts.", rules_summary).read_only(),
            Tool::new("get_rules", "Alerting and recording rule groups, optionally one type (alert or record) or one group.", get_rules).read_only(),
            Tool::new("get_label_names", "All label names, optionally within a time range.", get_label_names).read_only(),
            Tool::new("get_label_values", "Values of one label, optionally within a time range.", get_label_values).read_only(),
            Tool::new("get_series", "Series matching one or more selectors, optionally within a time range.", get_series).read_only(),
            Tool::new("get_metrics_metadata", "Type, help and unit of metrics (one or all).", get_metrics_metadata).read_only(),
            Tool::new("get_target_metadata", "Metric metadata as reported by scrape targets.", get_target_metadata).read_only(),
            Tool::new("get_tsdb_stats", "TSDB head statistics and the top cardinality contributors, condensed.", get_tsdb_stats).read_only(),
            Tool::new("get_tsdb_status", "Full TSDB status (head stats, cardinality by metric, label and pair).", get_tsdb_status).read_only(),
            Tool::new(
                "create_snapshot",
                "Create a TSDB snapshot on the Prometheus server (admin API; needs --web.enable-admin-api). Optionally skip the head block.",
                create_snapshot,
            )
            .destructive(),
            Tool::new("get_wal_replay_status", "Write-ahead-log replay progress.", get_wal_replay_status).read_only(),
            Tool::new("test_connection", "Check that Prometheus is reachable and answers queries.", test_connection).read_only(),
            Tool::new("get_server_info", "Build information, runtime information and the loaded configuration.", get_server_info).read_only(),
            Tool::new("get_runtime_info", "Runtime information (start time, storage retention, goroutines, ...).", get_runtime_info).read_only(),
            Tool::new("get_build_info", "Version, revision and Go version of the Prometheus server.", get_build_info).read_only(),
            Tool::new("get_config", "The loaded Prometheus configuration (YAML).", get_config).read_only(),
            Tool::new("get_flags", "Command-line flags Prometheus runs with.", get_flags).read_only(),
        ]
    }
}

k8s_mcp_sdk::export_service!(Prometheus);
