//! Times and durations as users write them, turned into what the Jaeger
//! query API wants: unix microseconds for trace search, milliseconds for
//! dependencies, Go duration strings for min/max duration.

use chrono::{DateTime, Utc};
use k8s_mcp_sdk::prelude::*;

/// Default search window: the last 24 hours.
pub const DEFAULT_WINDOW_US: i64 = 24 * 3600 * 1_000_000;

pub fn now_us() -> i64 {
    Utc::now().timestamp_micros()
}

/// A duration such as `250ms`, `1.5s`, `2m`, `1h30m`, `100us` (units ns, us,
/// µs, ms, s, m, h, d) or a bare number of milliseconds, in microseconds.
pub fn duration_us(name: &str, text: &str) -> Result<i64, ToolError> {
    let t = text.trim();
    let bad = || {
        ToolError::invalid(format!(
            "`{name}` must be a duration such as 250ms, 1.5s or 2m (or a number of milliseconds), got `{text}`"
        ))
    };
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(ms) = t.parse::<f64>() {
        return if ms >= 0.0 && ms.is_finite() { Ok((ms * 1000.0) as i64) } else { Err(bad()) };
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let us_per = match &rest[..u] {
            "ns" => 0.001,
            "us" | "µs" => 1.0,
            "ms" => 1_000.0,
            "s" => 1_000_000.0,
            "m" => 60_000_000.0,
            "h" => 3_600_000_000.0,
            "d" => 86_400_000_000.0,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        total += number * us_per;
    }
    if !total.is_finite() || total > 1e15 {
        return Err(bad());
    }
    Ok(total as i64)
}

/// RFC 3339, unix seconds/milliseconds/microseconds/nanoseconds (told apart
/// by magnitude), `now` or `now-<duration>`, in unix microseconds.
pub fn time_us(name: &str, text: &str, now: i64) -> Result<i64, ToolError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(ago) = t.strip_prefix("now-") {
        return Ok(now - duration_us(name, ago)?);
    }
    if let Ok(n) = t.parse::<i64>() {
        if n < 0 {
            return Err(ToolError::invalid(format!("`{name}` must not be negative")));
        }
        return Ok(match n {
            0..=99_999_999_999 => n * 1_000_000,
            100_000_000_000..=99_999_999_999_999 => n * 1_000,
            100_000_000_000_000..=99_999_999_999_999_999 => n,
            _ => n / 1_000,
        });
    }
    DateTime::parse_from_rfc3339(t).map(|d| d.with_timezone(&Utc).timestamp_micros()).map_err(|_| {
        ToolError::invalid(format!(
            "`{name}` must be an RFC 3339 time (2030-01-02T15:04:05Z), unix seconds/ms/µs/ns, `now` or `now-1h`, got `{text}`"
        ))
    })
}

/// A `(start, end)` window in microseconds, defaulting to the last 24 h
/// before `end`.
pub fn window(start: Option<&str>, end: Option<&str>) -> Result<(i64, i64), ToolError> {
    let now = now_us();
    let end = match end.map(str::trim).filter(|s| !s.is_empty()) {
        Some(e) => time_us("end_time", e, now)?,
        None => now,
    };
    let start = match start.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => time_us("start_time", s, now)?,
        None => end - DEFAULT_WINDOW_US,
    };
    if start >= end {
        return Err(ToolError::invalid("`start_time` must be before `end_time`"));
    }
    Ok((start, end))
}

/// Microseconds as an RFC 3339 instant.
pub fn rfc3339(us: i64) -> Value {
    DateTime::<Utc>::from_timestamp_micros(us)
        .map(|d| json!(d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        .unwrap_or(Value::Null)
}

/// Microseconds as (fractional) milliseconds.
pub fn ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_go_and_plain_forms() {
        assert_eq!(duration_us("d", "250ms").unwrap(), 250_000);
        assert_eq!(duration_us("d", "1.5s").unwrap(), 1_500_000);
        assert_eq!(duration_us("d", "1h30m").unwrap(), 5_400_000_000);
        assert_eq!(duration_us("d", "100us").unwrap(), 100);
        assert_eq!(duration_us("d", "20").unwrap(), 20_000);
        for bad in ["", "soon", "5 parsecs", "-1", "1y"] {
            assert!(duration_us("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_by_magnitude_rfc3339_and_relative() {
        let now = 1_800_000_000_000_000;
        assert_eq!(time_us("t", "1700000000", now).unwrap(), 1_700_000_000_000_000);
        assert_eq!(time_us("t", "1700000000123", now).unwrap(), 1_700_000_000_123_000);
        assert_eq!(time_us("t", "1700000000123456", now).unwrap(), 1_700_000_000_123_456);
        assert_eq!(time_us("t", "1700000000123456789", now).unwrap(), 1_700_000_000_123_456);
        assert_eq!(time_us("t", "2023-11-14T22:13:20Z", now).unwrap(), 1_700_000_000_000_000);
        assert_eq!(time_us("t", "now-1h", now).unwrap(), now - 3_600_000_000);
        assert!(time_us("t", "yesterday", now).is_err());
        assert!(window(Some("now"), Some("now-1h")).is_err());
    }
}
