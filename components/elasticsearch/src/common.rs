//! Argument checks, paging with continue tokens, and reading the loosely
//! typed numbers of `_cat` answers (strings in every version).

use k8s_mcp_sdk::prelude::*;

/// A whole number from 1 to `max` (JSON numbers may arrive as `20.0`);
/// larger requests are refused, not clamped, so the caller knows.
pub fn limit(name: &str, value: Option<f64>, default: u64, max: u64) -> Result<usize, ToolError> {
    let Some(v) = value else { return Ok(default as usize) };
    if !v.is_finite() || v.fract() != 0.0 || v < 1.0 || v > max as f64 {
        return Err(ToolError::invalid(format!("`{name}` must be a whole number from 1 to {max}, got {v}")));
    }
    Ok(v as usize)
}

/// A whole number ≥ 0.
pub fn count_arg(name: &str, value: Option<f64>) -> Result<Option<u64>, ToolError> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v.fract() == 0.0 && v >= 0.0 => Ok(Some(v as u64)),
        Some(v) => Err(ToolError::invalid(format!("`{name}` must be a whole number ≥ 0, got {v}"))),
    }
}

/// The offset a continue token stands for (tokens are what a previous page
/// returned; an empty or absent token is the first page).
pub fn offset(token: Option<&str>) -> Result<usize, ToolError> {
    match token.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("offset:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ToolError::invalid(format!("`continueToken` `{t}` was not returned by a previous page"))),
    }
}

/// One page of `items` from `start`, with the token of the next page.
pub fn page(items: Vec<Value>, start: usize, size: usize) -> Value {
    let total = items.len();
    let shown: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let next = start + shown.len();
    json!({
        "total": total,
        "count": shown.len(),
        "offset": start,
        "hasMore": next < total,
        "continueToken": (next < total).then(|| format!("offset:{next}")),
        "items": shown,
    })
}

/// A `_cat` column as a number (`"12"`, `12` and `null` all occur).
pub fn num(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `logs-*`, `*prod*`, `a?c` style name matching (case-insensitive).
pub fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) => a == b && go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    if !pattern.contains(['*', '?']) {
        return name.to_lowercase().contains(&pattern.to_lowercase());
    }
    go(&p, &n)
}

/// `summary` (default) or `full`/`json`/`raw`.
pub fn full_output(value: Option<&str>) -> Result<bool, ToolError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("summary") | Some("compact") => Ok(false),
        Some("full" | "json" | "raw" | "detailed") => Ok(true),
        Some(other) => Err(ToolError::invalid(format!("`outputFormat` must be `summary` or `full`, got `{other}`"))),
    }
}

/// `asc` or `desc`.
pub fn descending(value: Option<&str>, default_desc: bool) -> Result<bool, ToolError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default_desc),
        Some("asc" | "ascending") => Ok(false),
        Some("desc" | "descending") => Ok(true),
        Some(other) => Err(ToolError::invalid(format!("`sortOrder` must be `asc` or `desc`, got `{other}`"))),
    }
}

/// Cut a long string for a table cell.
pub fn cell(v: &Value, max: usize) -> Value {
    let s = match v {
        Value::Null => return Value::Null,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > max {
        Value::String(format!("{}…", s.chars().take(max).collect::<String>()))
    } else {
        Value::String(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_substrings() {
        assert!(wildcard("logs-*", "logs-2026.11"));
        assert!(wildcard("*-web", "metrics-web"));
        assert!(wildcard("a?c", "ABC"));
        assert!(!wildcard("logs-*", "metrics-logs"));
        assert!(wildcard("prod", "app-prod-1"));
    }

    #[test]
    fn pages_chain_by_token() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let first = page(items.clone(), 0, 2);
        assert_eq!(first["continueToken"], "offset:2");
        let next = offset(first["continueToken"].as_str()).unwrap();
        let last = page(items.clone(), 4, 2);
        assert_eq!((next, last["hasMore"].clone(), last["count"].clone()), (2, json!(false), json!(1)));
        assert!(offset(Some("7")).is_err());
        assert!(limit("limit", Some(2.5), 20, 100).is_err());
        assert_eq!(limit("limit", Some(100.0), 20, 100).unwrap(), 100);
    }
}
