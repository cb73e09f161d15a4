//! Alert tools: raw listing, filtered and sorted queries, compact summaries.
//!
//! Server-side filters are the real `GET /api/v2/alerts` parameters:
//! `active`, `silenced`, `inhibited`, `unprocessed` (include flags, all true
//! by default), repeatable `filter` matchers and a `receiver` regex.

use crate::common::{
    OneOrMany, check_paging, count_by, descending, non_blank, page_size, paginate, parse_duration, parse_time,
    string_list, time_of, truncate,
};
use chrono::{DateTime, Utc};
use k8s_mcp_sdk::backend::Backend;
use k8s_mcp_sdk::prelude::*;
use std::cmp::Ordering;

/// The `GET /api/v2/alerts` query.
#[derive(Default, Debug)]
pub struct AlertQuery {
    pub active: Option<bool>,
    pub silenced: Option<bool>,
    pub inhibited: Option<bool>,
    pub unprocessed: Option<bool>,
    pub filter: Vec<String>,
    pub receiver: Option<String>,
}

impl AlertQuery {
    pub fn fetch(&self, backend: &Backend) -> Result<Vec<Value>, ToolError> {
        let flag = |b: Option<bool>| b.map(|b| b.to_string());
        let mut query = vec![
            ("active", flag(self.active)),
            ("silenced", flag(self.silenced)),
            ("inhibited", flag(self.inhibited)),
            ("unprocessed", flag(self.unprocessed)),
            ("receiver", self.receiver.clone()),
        ];
        query.extend(self.filter.iter().map(|f| ("filter", Some(f.clone()))));
        crate::common::into_list(backend.get_json("/api/v2/alerts", &query)?, "alerts")
    }

    /// From `get_alerts`' free-form `filters` object, refusing keys the API does not know.
    fn from_filters(filters: &serde_json::Map<String, Value>) -> Result<Self, ToolError> {
        let mut q = Self::default();
        for (key, value) in filters {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "active" => q.active = Some(flag(key, value)?),
                "silenced" => q.silenced = Some(flag(key, value)?),
                "inhibited" => q.inhibited = Some(flag(key, value)?),
                "unprocessed" => q.unprocessed = Some(flag(key, value)?),
                "filter" => q.filter = string_list("filters.filter", Some(value))?,
                "receiver" => {
                    let r = value.as_str().ok_or_else(|| ToolError::invalid("`filters.receiver` must be a string"))?;
                    q.receiver = non_blank(Some(r.to_string()));
                }
                other => {
                    return Err(ToolError::invalid(format!(
                        "unknown filter `{other}`; Alertmanager's /api/v2/alerts accepts: active, silenced, inhibited, \
                         unprocessed (booleans), filter (matchers like alertname=\"X\"), receiver (regex)"
                    )));
                }
            }
        }
        Ok(q)
    }
}

fn flag(key: &str, value: &Value) -> Result<bool, ToolError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ToolError::invalid(format!("`filters.{key}` must be true or false, got {value}"))),
    }
}

// Accessors over the v2 `gettableAlert` JSON.

pub fn label<'a>(alert: &'a Value, name: &str) -> Option<&'a str> {
    alert.get("labels").and_then(|l| l.get(name)).and_then(Value::as_str)
}

pub fn state(alert: &Value) -> &str {
    alert.pointer("/status/state").and_then(Value::as_str).unwrap_or("unknown")
}

fn strings_at<'a>(alert: &'a Value, pointer: &str) -> Vec<&'a str> {
    alert
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

pub fn receivers(alert: &Value) -> Vec<&str> {
    alert
        .get("receivers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|r| r.get("name").and_then(Value::as_str)).collect())
        .unwrap_or_default()
}

fn silenced_by(alert: &Value) -> Vec<&str> {
    strings_at(alert, "/status/silencedBy")
}

/// Rank for sorting by `severity` label: higher is more severe.
pub fn severity_rank(alert: &Value) -> u8 {
    match label(alert, "severity").map(str::to_ascii_lowercase).as_deref() {
        Some("critical" | "fatal" | "page" | "emergency") => 4,
        Some("error" | "high" | "major") => 3,
        Some("warning" | "warn" | "medium" | "minor") => 2,
        Some("info" | "low" | "notice") => 1,
        _ => 0,
    }
}

/// Alert counts by state, severity, alert name and receiver.
pub fn counts(alerts: &[Value]) -> Value {
    json!({
        "byState": count_by(alerts.iter().map(state)),
        "bySeverity": count_by(alerts.iter().map(|a| label(a, "severity").unwrap_or("none"))),
        "byAlertname": count_by(alerts.iter().map(|a| label(a, "alertname").unwrap_or("(none)"))),
        "byReceiver": count_by(alerts.iter().flat_map(receivers)),
    })
}

/// One line's worth of an alert.
pub fn compact(alert: &Value, include_labels: bool) -> Value {
    let mut out = json!({
        "name": label(alert, "alertname"),
        "state": state(alert),
        "severity": label(alert, "severity"),
        "receivers": receivers(alert),
        "startsAt": alert.get("startsAt"),
        "endsAt": alert.get("endsAt"),
        "fingerprint": alert.get("fingerprint"),
    });
    let silenced = silenced_by(alert);
    if !silenced.is_empty() {
        out["silencedBy"] = json!(silenced);
    }
    let inhibited = strings_at(alert, "/status/inhibitedBy");
    if !inhibited.is_empty() {
        out["inhibitedBy"] = json!(inhibited);
    }
    let annotation = |k: &str| alert.get("annotations").and_then(|a| a.get(k)).and_then(Value::as_str);
    if let Some(summary) = annotation("summary").or_else(|| annotation("description")) {
        out["summary"] = json!(summary);
    }
    if include_labels {
        out["labels"] = alert.get("labels").cloned().unwrap_or(Value::Null);
    }
    out
}

/// Fields alerts can be sorted by.
#[derive(Clone, Copy, Debug)]
enum SortKey {
    StartsAt,
    EndsAt,
    UpdatedAt,
    Severity,
    Alertname,
    Fingerprint,
    State,
}

impl SortKey {
    fn name(self) -> &'static str {
        match self {
            Self::StartsAt => "startsAt",
            Self::EndsAt => "endsAt",
            Self::UpdatedAt => "updatedAt",
            Self::Severity => "severity",
            Self::Alertname => "alertname",
            Self::Fingerprint => "fingerprint",
            Self::State => "state",
        }
    }
}

const SORT_KEYS: &str = "startsAt, endsAt, updatedAt, severity, alertname, fingerprint, state";

/// Parse a sort field; the reference's `<field>_desc` spelling implies descending.
fn sort_key(name: &str, text: &str) -> Result<(SortKey, Option<bool>), ToolError> {
    let t = text.trim();
    let (field, implied_desc) = match t.strip_suffix("_desc") {
        Some(f) => (f, Some(true)),
        None => (t.strip_suffix("_asc").unwrap_or(t), t.ends_with("_asc").then_some(false)),
    };
    let key = match field.replace(['_', '-'], "").to_ascii_lowercase().as_str() {
        "startsat" | "start" | "started" => SortKey::StartsAt,
        "endsat" | "end" => SortKey::EndsAt,
        "updatedat" | "updated" => SortKey::UpdatedAt,
        "severity" => SortKey::Severity,
        "alertname" | "name" => SortKey::Alertname,
        "fingerprint" => SortKey::Fingerprint,
        "state" | "status" => SortKey::State,
        _ => return Err(ToolError::invalid(format!("`{name}` must be one of {SORT_KEYS}; got `{text}`"))),
    };
    Ok((key, implied_desc))
}

fn compare(a: &Value, b: &Value, key: SortKey) -> Ordering {
    match key {
        SortKey::StartsAt => time_of(a, "startsAt").cmp(&time_of(b, "startsAt")),
        SortKey::EndsAt => time_of(a, "endsAt").cmp(&time_of(b, "endsAt")),
        SortKey::UpdatedAt => time_of(a, "updatedAt").cmp(&time_of(b, "updatedAt")),
        SortKey::Severity => severity_rank(a).cmp(&severity_rank(b)),
        SortKey::Alertname => label(a, "alertname").cmp(&label(b, "alertname")),
        SortKey::Fingerprint => fingerprint(a).cmp(&fingerprint(b)),
        SortKey::State => state(a).cmp(state(b)),
    }
}

fn fingerprint(a: &Value) -> Option<&str> {
    a.get("fingerprint").and_then(Value::as_str)
}

/// Sort by the requested field and order; returns the (field, order) applied.
fn sort_alerts(
    alerts: &mut [Value],
    sort_by: Option<&str>,
    order: Option<&str>,
    names: (&str, &str),
) -> Result<Value, ToolError> {
    let (key, implied) = match non_blank(sort_by.map(str::to_string)) {
        Some(s) => sort_key(names.0, &s)?,
        None => (SortKey::StartsAt, None),
    };
    let desc = descending(names.1, order, implied.unwrap_or(false))?;
    // Fingerprints make the order total, so pages do not shuffle between calls.
    alerts.sort_by(|a, b| {
        let (x, y) = if desc { (b, a) } else { (a, b) };
        compare(x, y, key).then_with(|| compare(x, y, SortKey::Fingerprint))
    });
    Ok(json!({ "by": key.name(), "order": if desc { "desc" } else { "asc" } }))
}

/// Most important first: severity, then the newest.
fn sort_by_importance(alerts: &mut [Value]) {
    alerts.sort_by(|a, b| {
        compare(b, a, SortKey::Severity)
            .then_with(|| compare(b, a, SortKey::StartsAt))
            .then_with(|| compare(a, b, SortKey::Fingerprint))
    });
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAlertsArgs {
    /// Query filters of GET /api/v2/alerts: `active`, `silenced`, `inhibited`, `unprocessed`
    /// (booleans: include such alerts, default true), `filter` (a matcher such as `alertname="X"`
    /// or a list of them) and `receiver` (regex on the receiver name). Other keys are refused.
    filters: Option<serde_json::Map<String, Value>>,
}

pub fn get_alerts(args: GetAlertsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let query = AlertQuery::from_filters(&args.filters.unwrap_or_default())?;
    let alerts = query.fetch(&crate::backend(ctx)?)?;
    Output::json(&json!({ "count": alerts.len(), "alerts": alerts }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryAlertsArgs {
    /// Only alerts routed to receivers whose name matches this regex (anchored).
    receiver: Option<String>,
    /// Include silenced alerts (default true); false hides them.
    silenced: Option<bool>,
    /// Include active alerts (default true); false hides them.
    active: Option<bool>,
    /// Include unprocessed alerts (default true); false hides them.
    unprocessed: Option<bool>,
    /// Include inhibited alerts (default true); false hides them.
    inhibited: Option<bool>,
    /// Label matcher(s), e.g. `alertname="HighCPU"`, `severity=~"critical|warning"`,
    /// `{team="x", env!="dev"}` or a list of such strings; all must match.
    #[schemars(with = "Option<OneOrMany>")]
    filter: Option<Value>,
    /// Sort field: startsAt (default), endsAt, updatedAt, severity, alertname, fingerprint or state.
    #[serde(rename = "sortBy", alias = "sort_by")]
    sort_by: Option<String>,
    /// `asc` (default) or `desc`.
    #[serde(rename = "sortOrder", alias = "sort_order")]
    sort_order: Option<String>,
}

pub fn query_alerts(args: QueryAlertsArgs, ctx: &Context) -> Result<Output, ToolError> {
    let query = AlertQuery {
        active: args.active,
        silenced: args.silenced,
        inhibited: args.inhibited,
        unprocessed: args.unprocessed,
        filter: string_list("filter", args.filter.as_ref())?,
        receiver: non_blank(args.receiver),
    };
    // Validate sorting before the request, so bad input costs no round trip.
    sort_alerts(&mut [], args.sort_by.as_deref(), args.sort_order.as_deref(), ("sortBy", "sortOrder"))?;
    let mut alerts = query.fetch(&crate::backend(ctx)?)?;
    let sort = sort_alerts(&mut alerts, args.sort_by.as_deref(), args.sort_order.as_deref(), ("sortBy", "sortOrder"))?;
    Output::json(&json!({ "count": alerts.len(), "sort": sort, "alerts": alerts }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsSummaryArgs {
    /// Label matcher(s), e.g. `alertname="HighCPU"` or `{team="x"}`; all must match.
    #[schemars(with = "Option<OneOrMany>")]
    filter: Option<Value>,
    /// Only alerts routed to receivers whose name matches this regex (anchored).
    receiver: Option<String>,
    /// true: only silenced alerts; false: no silenced alerts; absent: both.
    silenced: Option<bool>,
    /// Only alerts in state `active` (not silenced, inhibited or unprocessed).
    #[serde(alias = "activeOnly")]
    active_only: Option<bool>,
    /// Most alerts to list (1-100, default 20); counts always cover all matching alerts.
    #[schemars(with = "Option<u32>", range(min = 1, max = 100))]
    limit: Option<f64>,
}

pub fn alerts_summary(args: AlertsSummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let limit = page_size("limit", args.limit)?;
    let query = AlertQuery {
        filter: string_list("filter", args.filter.as_ref())?,
        receiver: non_blank(args.receiver),
        ..AlertQuery::default()
    };
    let mut alerts = query.fetch(&crate::backend(ctx)?)?;
    alerts.retain(|a| {
        let silenced = !silenced_by(a).is_empty();
        args.silenced.is_none_or(|want| want == silenced)
            && (!args.active_only.unwrap_or(false) || state(a) == "active")
    });
    let total = alerts.len();
    let counts = counts(&alerts);
    sort_by_importance(&mut alerts);
    let truncated = truncate(&mut alerts, limit);
    let list: Vec<Value> = alerts.iter().map(|a| compact(a, false)).collect();
    Output::json(&json!({
        "total": total,
        "returned": list.len(),
        "limit": limit,
        "truncated": truncated,
        "counts": counts,
        "alerts": list,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryAlertsAdvancedArgs {
    /// Label matcher(s), e.g. `alertname="HighCPU"` or `{team="x"}`; all must match.
    #[schemars(with = "Option<OneOrMany>")]
    filter: Option<Value>,
    /// Only alerts routed to receivers whose name matches this regex (anchored).
    receiver: Option<String>,
    /// Include silenced alerts (default true); false hides them.
    silenced: Option<bool>,
    /// Include active alerts (default true); false hides them.
    active: Option<bool>,
    /// Include inhibited alerts (default true); false hides them.
    inhibited: Option<bool>,
    /// Only alerts that started within this window: a duration back from now (`30m`, `6h`, `7d`)
    /// or `START/END` with RFC 3339 times (END may be `now`).
    #[serde(alias = "timeRange")]
    time_range: Option<String>,
    /// Page number, from 1.
    #[schemars(with = "Option<u32>", range(min = 1))]
    page: Option<f64>,
    /// Alerts per page (1-100, default 20).
    #[serde(alias = "perPage")]
    #[schemars(with = "Option<u32>", range(min = 1, max = 100))]
    per_page: Option<f64>,
    /// Sort field: startsAt, endsAt, updatedAt, severity, alertname, fingerprint or state.
    /// Default: most severe first, then newest.
    #[serde(alias = "sortBy")]
    sort_by: Option<String>,
    /// `asc` (default when sort_by is given) or `desc`.
    #[serde(alias = "sortOrder")]
    sort_order: Option<String>,
    /// Include every label of each alert (default: only name and severity).
    #[serde(alias = "includeLabels")]
    include_labels: Option<bool>,
}

pub fn query_alerts_advanced(args: QueryAlertsAdvancedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let window = match non_blank(args.time_range.clone()) {
        Some(t) => Some(time_window(&t)?),
        None => None,
    };
    let query = AlertQuery {
        active: args.active,
        silenced: args.silenced,
        inhibited: args.inhibited,
        unprocessed: None,
        filter: string_list("filter", args.filter.as_ref())?,
        receiver: non_blank(args.receiver),
    };
    let sorted_explicitly = args.sort_by.is_some() || args.sort_order.is_some();
    if sorted_explicitly {
        sort_alerts(&mut [], args.sort_by.as_deref(), args.sort_order.as_deref(), ("sort_by", "sort_order"))?;
    }
    check_paging(args.page, args.per_page)?;

    let mut alerts = query.fetch(&crate::backend(ctx)?)?;
    if let Some((from, to)) = window {
        alerts.retain(|a| time_of(a, "startsAt").is_some_and(|t| t >= from && t <= to));
    }
    let sort = if sorted_explicitly {
        sort_alerts(&mut alerts, args.sort_by.as_deref(), args.sort_order.as_deref(), ("sort_by", "sort_order"))?
    } else {
        sort_by_importance(&mut alerts);
        json!({ "by": "severity, then startsAt", "order": "desc" })
    };
    let counts = counts(&alerts);
    let (page, pagination) = paginate(alerts, args.page, args.per_page)?;
    let include_labels = args.include_labels.unwrap_or(false);
    let list: Vec<Value> = page.iter().map(|a| compact(a, include_labels)).collect();
    Output::json(&json!({
        "count": list.len(),
        "counts": counts,
        "sort": sort,
        "timeRange": window.map(|(f, t)| json!({ "from": crate::common::rfc3339(f), "to": crate::common::rfc3339(t) })),
        "pagination": pagination,
        "alerts": list,
    }))
}

/// `6h` (back from now) or `START/END`.
fn time_window(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), ToolError> {
    let now = Utc::now();
    if let Some((start, end)) = text.split_once('/') {
        let from = parse_time("time_range start", start, now)?;
        let to = parse_time("time_range end", end, now)?;
        if to < from {
            return Err(ToolError::invalid(format!("`time_range` ends before it starts: `{text}`")));
        }
        return Ok((from, to));
    }
    let d = parse_duration(text).ok_or_else(|| {
        ToolError::invalid(format!(
            "`time_range` must be a duration such as 30m, 6h or 7d, or START/END in RFC 3339; got `{text}`"
        ))
    })?;
    Ok((now - d, now))
}
