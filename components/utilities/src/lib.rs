//! The `utilities` service: clock, date, bounded cancellable sleeps and a
//! policy-checked web fetch.

mod layout;

use chrono::{DateTime, Datelike, Timelike, Utc};
use k8s_mcp_sdk::prelude::*;
use k8s_mcp_sdk::{html, http};
use std::time::{Duration, Instant};

const MAX_SLEEP: Duration = Duration::from_secs(300);
const DEFAULT_FETCH_TIMEOUT_S: f64 = 30.0;
const MAX_FETCH_TIMEOUT_S: f64 = 120.0;
const DEFAULT_MAX_CHARS: u64 = 10_000;
const MAX_MAX_CHARS: u64 = 1_000_000;

struct Utilities;

impl Service for Utilities {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new(
                "get_time",
                "Current time formatted with a Go layout string (default `2006-01-02 15:04:05 MST`), \
                 a named layout (RFC3339, RFC1123, Kitchen, ...) or a strftime pattern, plus Unix seconds. Times are UTC.",
                get_time,
            )
            .title("Current time")
            .read_only(),
            Tool::new(
                "get_timestamp",
                "Current Unix timestamp in seconds, milliseconds, nanoseconds, minutes, hours or days, plus RFC 3339.",
                get_timestamp,
            )
            .title("Current Unix timestamp")
            .read_only(),
            Tool::new(
                "get_date",
                "Current date (UTC) with year, month, day, weekday and day of year; optionally the time too.",
                get_date,
            )
            .title("Current date")
            .read_only(),
            Tool::new(
                "pause",
                "Wait for N seconds (1-300, default 5). Reports progress every second and stops early when cancelled.",
                pause,
            )
            .title("Pause")
            .read_only(),
            Tool::new(
                "sleep",
                "Wait for a duration in ms, s, min or h (at most 5 minutes, default 5 s). Reports progress and stops early when cancelled.",
                sleep,
            )
            .title("Sleep")
            .read_only(),
            Tool::new(
                "web_fetch",
                "HTTP GET an http/https URL allowed by this server's egress policy; returns status, content type \
                 and the body (HTML reduced to readable text) truncated to max_chars.",
                web_fetch,
            )
            .title("Fetch a web page")
            .read_only()
            .open_world(),
        ]
    }
}

k8s_mcp_sdk::export_service!(Utilities);

#[derive(Deserialize, JsonSchema)]
struct TimeArgs {
    /// Go layout (e.g. `2006-01-02 15:04:05 MST`), a named layout such as `RFC3339`, or a strftime pattern containing `%`.
    format: Option<String>,
}

fn get_time(args: TimeArgs, _ctx: &Context) -> Result<Output, ToolError> {
    let now = Utc::now();
    let format = args.format.unwrap_or_else(|| "2006-01-02 15:04:05 MST".into());
    let formatted = layout::format(&now, &format).map_err(ToolError::invalid)?;
    Output::json(&json!({
        "time": formatted,
        "format": format,
        "unix": now.timestamp(),
        "timezone": "UTC",
    }))
}

#[derive(Deserialize, JsonSchema)]
struct TimestampArgs {
    /// seconds (default), milliseconds/ms, nanoseconds/ns, microseconds/us, minutes, hours or days.
    unit: Option<String>,
    /// Also return the millisecond timestamp.
    include_millis: Option<bool>,
}

fn get_timestamp(args: TimestampArgs, _ctx: &Context) -> Result<Output, ToolError> {
    let now = Utc::now();
    let unit = args.unit.as_deref().unwrap_or("seconds").to_ascii_lowercase();
    let nanos = i128::from(now.timestamp()) * 1_000_000_000 + i128::from(now.timestamp_subsec_nanos());
    let (unit, value): (&str, i128) = match unit.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => ("seconds", nanos / 1_000_000_000),
        "ms" | "millis" | "millisecond" | "milliseconds" => ("milliseconds", nanos / 1_000_000),
        "us" | "micros" | "microsecond" | "microseconds" => ("microseconds", nanos / 1_000),
        "ns" | "nanos" | "nanosecond" | "nanoseconds" => ("nanoseconds", nanos),
        "m" | "min" | "mins" | "minute" | "minutes" => ("minutes", nanos / 60_000_000_000),
        "h" | "hour" | "hours" => ("hours", nanos / 3_600_000_000_000),
        "d" | "day" | "days" => ("days", nanos / 86_400_000_000_000),
        other => {
            return Err(ToolError::invalid(format!(
                "unknown unit `{other}`; use seconds, milliseconds, microseconds, nanoseconds, minutes, hours or days"
            )));
        }
    };
    let mut out = json!({
        "timestamp": value as i64,
        "unit": unit,
        "rfc3339": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if args.include_millis.unwrap_or(false) {
        out["millis"] = json!(now.timestamp_millis());
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
struct DateArgs {
    /// Go layout for the `date` field (default `2006-01-02`).
    format: Option<String>,
    /// Also return the time of day.
    include_time: Option<bool>,
}

fn get_date(args: DateArgs, _ctx: &Context) -> Result<Output, ToolError> {
    let now: DateTime<Utc> = Utc::now();
    let format = args.format.unwrap_or_else(|| "2006-01-02".into());
    let date = layout::format(&now, &format).map_err(ToolError::invalid)?;
    let mut out = json!({
        "date": date,
        "year": now.year(),
        "month": now.month(),
        "month_name": now.format("%B").to_string(),
        "day": now.day(),
        "weekday": now.format("%A").to_string(),
        "day_of_year": now.ordinal(),
        "iso_week": now.iso_week().week(),
        "timezone": "UTC",
    });
    if args.include_time.unwrap_or(false) {
        out["time"] = json!(format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second()));
        out["rfc3339"] = json!(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
struct PauseArgs {
    /// Seconds to wait (1-300, default 5).
    seconds: Option<f64>,
}

fn pause(args: PauseArgs, ctx: &Context) -> Result<Output, ToolError> {
    let seconds = args.seconds.unwrap_or(5.0);
    let requested = checked_duration(seconds, 1.0, "seconds")?;
    let wanted = requested.clamp(Duration::from_secs(1), MAX_SLEEP);
    wait(wanted, requested, ctx)
}

#[derive(Deserialize, JsonSchema)]
struct SleepArgs {
    /// How long to wait, in `unit` (default 5 seconds; at most 5 minutes).
    duration: Option<f64>,
    /// ms, s (default), min or h.
    unit: Option<String>,
}

fn sleep(args: SleepArgs, ctx: &Context) -> Result<Output, ToolError> {
    let unit = args.unit.as_deref().unwrap_or("s").to_ascii_lowercase();
    let scale = match unit.as_str() {
        "ms" | "millisecond" | "milliseconds" => 0.001,
        "s" | "sec" | "second" | "seconds" => 1.0,
        "m" | "min" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        other => return Err(ToolError::invalid(format!("unknown unit `{other}`; use ms, s, min or h"))),
    };
    let requested = checked_duration(args.duration.unwrap_or(5.0), scale, "duration")?;
    wait(requested.min(MAX_SLEEP), requested, ctx)
}

fn checked_duration(value: f64, scale: f64, field: &str) -> Result<Duration, ToolError> {
    if !value.is_finite() || value < 0.0 {
        return Err(ToolError::invalid(format!("`{field}` must be a non-negative number, got {value}")));
    }
    Ok(Duration::from_secs_f64((value * scale).min(1e9)))
}

/// Sleep in short slices so progress is reported and cancellation noticed promptly.
fn wait(duration: Duration, requested: Duration, ctx: &Context) -> Result<Output, ToolError> {
    let start = Instant::now();
    let total = duration.as_secs_f64();
    let mut last_report = Duration::ZERO;
    loop {
        let elapsed = start.elapsed();
        if elapsed >= duration {
            break;
        }
        if ctx.cancelled() {
            return Err(ToolError::Cancelled(format!("cancelled after {:.1} s", elapsed.as_secs_f64())));
        }
        if elapsed - last_report >= Duration::from_secs(1) || last_report.is_zero() {
            ctx.progress(
                elapsed.as_secs_f64(),
                Some(total),
                Some(&format!("{:.0} of {total:.0} s", elapsed.as_secs_f64())),
            );
            last_report = elapsed.max(Duration::from_millis(1));
        }
        std::thread::sleep((duration - elapsed).min(Duration::from_millis(200)));
    }
    ctx.progress(total, Some(total), Some("done"));
    let mut out = json!({ "slept_ms": start.elapsed().as_millis() as u64 });
    if requested != duration {
        out["note"] =
            json!(format!("requested {:.3} s, clamped to {:.3} s", requested.as_secs_f64(), duration.as_secs_f64()));
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
struct FetchArgs {
    /// The http or https URL to fetch.
    url: String,
    /// Timeout in seconds (1-120, default 30).
    timeout: Option<f64>,
    /// Maximum characters of body to return (1-1000000, default 10000).
    max_chars: Option<u64>,
}

fn web_fetch(args: FetchArgs, _ctx: &Context) -> Result<Output, ToolError> {
    let timeout = args.timeout.unwrap_or(DEFAULT_FETCH_TIMEOUT_S);
    if !(1.0..=MAX_FETCH_TIMEOUT_S).contains(&timeout) {
        return Err(ToolError::invalid(format!(
            "`timeout` must be between 1 and {MAX_FETCH_TIMEOUT_S} seconds, got {timeout}"
        )));
    }
    let max_chars = args.max_chars.unwrap_or(DEFAULT_MAX_CHARS);
    if !(1..=MAX_MAX_CHARS).contains(&max_chars) {
        return Err(ToolError::invalid(format!("`max_chars` must be between 1 and {MAX_MAX_CHARS}, got {max_chars}")));
    }
    let url = args.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ToolError::invalid(format!("only http and https URLs can be fetched, got `{url}`")));
    }
    // HTML shrinks when reduced to text, so read a few times max_chars of raw bytes.
    let max_bytes = (max_chars as usize).saturating_mul(8).clamp(64 * 1024, 8 * 1024 * 1024);
    let resp = http::get(url)
        .header("accept", "text/html,application/xhtml+xml,text/plain,application/json;q=0.9,*/*;q=0.5")
        .header("user-agent", "k8s-mcp-runtime-web-fetch/0.1")
        .timeout_ms((timeout * 1000.0) as u64)
        .max_response_bytes(max_bytes)
        .truncate(true)
        .send()?;
    let content_type = resp.header("content-type").unwrap_or("").to_string();
    let raw = resp.text();
    let is_html = content_type.contains("html") || (content_type.is_empty() && raw.trim_start().starts_with('<'));
    let text = if is_html { html::to_text(&raw) } else { raw };
    let total_chars = text.chars().count();
    let body: String = text.chars().take(max_chars as usize).collect();
    Output::json(&json!({
        "url": resp.url,
        "status": resp.status,
        "content_type": content_type,
        "body": body,
        "truncated": resp.truncated || total_chars > max_chars as usize,
        "chars": total_chars.min(max_chars as usize),
    }))
}
