//! Helpers shared by the tools: argument checks, paging, times, matcher
//! strings and counting.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use k8s_mcp_sdk::prelude::*;
use std::collections::BTreeMap;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;
/// Far beyond any real list; only guards the `(page - 1) * per_page` arithmetic.
const MAX_PAGE: u64 = 1_000_000;

// Schema of parameters that take one label matcher or a list of them. The
// value itself is read with `string_list`, so a wrong type gets a clear
// message instead of serde's "did not match any variant".
#[derive(JsonSchema)]
#[allow(dead_code)] // schema only
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Numbers arrive as JSON numbers (sometimes `20.0`): accept any whole number in range.
pub fn whole_number(name: &str, value: Option<f64>, default: u64, max: u64) -> Result<u64, ToolError> {
    let Some(v) = value else { return Ok(default) };
    if !v.is_finite() || v.fract() != 0.0 || v < 1.0 || v > max as f64 {
        return Err(ToolError::invalid(format!("`{name}` must be a whole number from 1 to {max}, got {v}")));
    }
    Ok(v as u64)
}

/// A page size: default 20, at most 100 (larger requests are refused, not clamped,
/// so the caller knows it did not get what it asked for).
pub fn page_size(name: &str, value: Option<f64>) -> Result<u64, ToolError> {
    whole_number(name, value, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
}

/// Check paging arguments before any request is made.
pub fn check_paging(page: Option<f64>, per_page: Option<f64>) -> Result<(), ToolError> {
    whole_number("page", page, 1, MAX_PAGE)?;
    page_size("per_page", per_page)?;
    Ok(())
}

/// Page `page` (1-based) of `per_page` items, plus pagination metadata.
pub fn paginate<T>(items: Vec<T>, page: Option<f64>, per_page: Option<f64>) -> Result<(Vec<T>, Value), ToolError> {
    let page = whole_number("page", page, 1, MAX_PAGE)?;
    let per_page = page_size("per_page", per_page)?;
    let total = items.len() as u64;
    let total_pages = total.div_ceil(per_page);
    if page > 1 && page > total_pages {
        return Err(ToolError::invalid(format!(
            "page {page} is past the last page ({total_pages}): {total} items at per_page {per_page}"
        )));
    }
    let start = ((page - 1) * per_page) as usize;
    let items: Vec<T> = items.into_iter().skip(start).take(per_page as usize).collect();
    let meta = json!({
        "page": page,
        "perPage": per_page,
        "total": total,
        "totalPages": total_pages,
        "hasNextPage": page < total_pages,
        "hasPreviousPage": page > 1,
    });
    Ok((items, meta))
}

/// Keep at most `limit` items; returns whether anything was cut.
pub fn truncate<T>(items: &mut Vec<T>, limit: u64) -> bool {
    let cut = items.len() as u64 > limit;
    items.truncate(limit as usize);
    cut
}

/// `asc` or `desc` (case-insensitive).
pub fn descending(name: &str, value: Option<&str>, default_desc: bool) -> Result<bool, ToolError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default_desc),
        Some("asc" | "ascending") => Ok(false),
        Some("desc" | "descending") => Ok(true),
        Some(other) => Err(ToolError::invalid(format!("`{name}` must be `asc` or `desc`, got `{other}`"))),
    }
}

/// A non-empty trimmed string, or `None` for absent/blank.
pub fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// A string or list of strings from a JSON value; each string may hold
/// several comma-separated matchers (`{a="x", b=~"y"}` included).
pub fn string_list(name: &str, value: Option<&Value>) -> Result<Vec<String>, ToolError> {
    let bad =
        || ToolError::invalid(format!("`{name}` must be a matcher string like `alertname=\"X\"` or a list of them"));
    let mut out = Vec::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => out.extend(split_matchers(s)),
        Some(Value::Array(items)) => {
            for item in items {
                out.extend(split_matchers(item.as_str().ok_or_else(bad)?));
            }
        }
        Some(_) => return Err(bad()),
    }
    Ok(out)
}

/// Split `{a="x", b=~"y,z"}` or `a="x",b="y"` into single matchers; commas
/// inside double quotes (with backslash escapes) do not split.
pub fn split_matchers(text: &str) -> Vec<String> {
    let text = text.trim();
    let text = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(text);
    let mut parts = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// `2h`, `1h30m`, `90s`, `1.5d`, `1w` (units ms, s, m, h, d, w) as a duration.
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total_ms = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let ms_per_unit = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            "w" => 604_800_000.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_ms += number * ms_per_unit;
    }
    // Ten years is far past any silence or lookback anyone means.
    if !(total_ms > 0.0 && total_ms < 10.0 * 365.0 * 86_400_000.0) {
        return None;
    }
    TimeDelta::try_milliseconds(total_ms as i64)
}

/// An RFC 3339 time, `now`, or a duration (`2h`, `+30m`) after `base`.
pub fn parse_time(name: &str, text: &str, base: DateTime<Utc>) -> Result<DateTime<Utc>, ToolError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(Utc::now());
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(t) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Some(d) = parse_duration(t.strip_prefix('+').unwrap_or(t)) {
        return Ok(base + d);
    }
    Err(ToolError::invalid(format!(
        "`{name}` must be an RFC 3339 time (e.g. 2030-01-02T15:04:05Z) or a duration such as 2h or 1h30m, got `{text}`"
    )))
}

/// The same instant format Alertmanager uses.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A timestamp field of an Alertmanager object.
pub fn time_of(v: &Value, field: &str) -> Option<DateTime<Utc>> {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// `1d2h`, `45m`, `30s`: a compact human duration (negative spans read as 0s).
pub fn human(d: TimeDelta) -> String {
    let mut secs = d.num_seconds().max(0);
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if secs > 0 || out.is_empty() {
        out.push_str(&format!("{secs}s"));
    }
    out
}

/// Occurrences of each key, sorted by key.
pub fn count_by<I, S>(keys: I) -> BTreeMap<String, u64>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut map = BTreeMap::new();
    for key in keys {
        *map.entry(key.into()).or_insert(0) += 1;
    }
    map
}

/// A JSON array that must be a list (Alertmanager answers lists for
/// alerts, groups, silences and receivers).
pub fn into_list(value: Value, what: &str) -> Result<Vec<Value>, ToolError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(ToolError::upstream(format!(
            "alertmanager returned {} where a list of {what} was expected",
            kind_of(&other)
        ))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
