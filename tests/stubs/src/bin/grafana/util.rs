//! Response helpers, query parsing, clock and slugs shared by the stub's routes.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Query pairs as sent (repeated keys kept, e.g. `tags=a&tags=b`).
pub type Pairs = Vec<(String, String)>;

pub fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

pub fn status(code: u16, v: Value) -> Response {
    (StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), axum::Json(v)).into_response()
}

/// Grafana's error body: `{"message": "..."}`.
pub fn err(code: u16, message: &str) -> Response {
    status(code, json!({ "message": message }))
}

/// An error with Grafana's `status` code word (dashboards, folders).
pub fn err_status(code: u16, message: &str, word: &str) -> Response {
    status(code, json!({ "message": message, "status": word }))
}

/// A status with an empty body (the alerting provisioning API's 404 and 204).
pub fn empty(code: u16) -> Response {
    StatusCode::from_u16(code).unwrap_or(StatusCode::NO_CONTENT).into_response()
}

/// A handler's JSON request body; a body that does not parse is rejected
/// with Grafana's 400 `{"message": "bad request data"}` before the handler
/// runs.
pub struct Body(pub Value);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        serde_json::from_slice(&bytes).map(Body).map_err(|_| err(400, "bad request data"))
    }
}

pub fn first<'a>(q: &'a Pairs, key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

pub fn all<'a>(q: &'a Pairs, key: &str) -> Vec<&'a str> {
    q.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()).collect()
}

pub fn num(q: &Pairs, key: &str) -> Option<i64> {
    first(q, key).and_then(|v| v.parse().ok())
}

pub use k8s_mcp_stubs::now_ms;

/// Epoch milliseconds as RFC 3339 (UTC, second precision).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = k8s_mcp_stubs::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

pub fn now() -> String {
    rfc3339(now_ms())
}

/// `Production Overview` -> `production-overview`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// A Grafana time parameter: epoch ms, `now`, or `now-1h`.
pub fn time_param(v: &str, default: i64) -> i64 {
    if let Ok(n) = v.parse::<i64>() {
        return n;
    }
    let Some(rest) = v.strip_prefix("now") else { return default };
    let Some(d) = rest.strip_prefix('-') else { return now_ms() };
    let (n, unit) = d.split_at(d.find(|c: char| !c.is_ascii_digit()).unwrap_or(d.len()));
    let scale = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return default,
    };
    now_ms() - n.parse::<i64>().unwrap_or(0) * scale
}

/// A value as a string list (JSON list of strings, or missing).
pub fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

/// A new UID (Grafana generates 14 URL-safe characters).
pub fn new_uid(n: i64) -> String {
    format!("stub{n:010x}")
}
