//! Times and durations as users write them: RFC 3339, Unix seconds, `now`,
//! `now-1h`, and Prometheus durations (`90s`, `1h30m`, `500ms`, `2d`).

use chrono::{DateTime, Utc};

/// Seconds in a Prometheus duration like `1h30m` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return if secs.is_finite() && secs >= 0.0 { Ok(secs) } else { Err(format!("bad duration `{text}`")) };
    }
    let mut total = 0.0;
    let mut rest = t;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("bad duration `{text}` (expected e.g. 30s, 5m, 1h30m)"));
        }
        let n: f64 = rest[..digits].parse().map_err(|_| format!("bad duration `{text}`"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "y" => 31_536_000.0,
            u => return Err(format!("bad duration unit `{u}` in `{text}` (use ms, s, m, h, d, w, y)")),
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// Unix seconds for RFC 3339, a Unix timestamp, `now`, `now-<duration>` or `now+<duration>`.
pub fn parse_time(text: &str, now: f64) -> Result<f64, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(rest) = t.strip_prefix("now-") {
        return Ok(now - parse_duration(rest)?);
    }
    if let Some(rest) = t.strip_prefix("now+") {
        return Ok(now + parse_duration(rest)?);
    }
    if let Ok(secs) = t.parse::<f64>() {
        return if secs.is_finite() { Ok(secs) } else { Err(format!("bad time `{text}`")) };
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp() as f64 + f64::from(d.timestamp_subsec_millis()) / 1000.0)
        .map_err(|_| format!("bad time `{text}`: use RFC 3339 (2024-01-02T15:04:05Z), Unix seconds, `now` or `now-1h`"))
}

pub fn now() -> f64 {
    let n = Utc::now();
    n.timestamp() as f64 + f64::from(n.timestamp_subsec_millis()) / 1000.0
}

/// Format Unix seconds the way Prometheus accepts them (`1700000000.123`).
pub fn api_time(secs: f64) -> String {
    format!("{secs:.3}")
}
