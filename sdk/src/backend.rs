//! A configured HTTP backend (Prometheus, Alertmanager, ...): base URL,
//! credentials and timeout come from the component's settings and secrets
//! (runtime configuration or the `MCP_*` environment variables its policy
//! maps), never from tool arguments.
//!
//! Settings read: `<url key>` (base URL; the first of a comma-separated list),
//! `timeout` (seconds), `username`, `headers` (JSON object of extra headers).
//! Secrets read: `password` (HTTP basic with `username`), `bearer_token`,
//! `api_key` (sent as `Authorization: ApiKey <key>` unless `api_key_header`
//! names another header).

use crate::http::{self, Request, Response};
use crate::{Context, ToolError};
use base64::Engine as _;
use serde_json::Value;

const DEFAULT_TIMEOUT_MS: u64 = 30_000;
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A backend ready to receive requests.
#[derive(Debug, Clone)]
pub struct Backend {
    name: String,
    base: String,
    headers: Vec<(String, String)>,
    timeout_ms: u64,
}

impl Backend {
    /// Build from settings. `name` is used in messages ("prometheus");
    /// `url_key` is the setting holding the base URL; `hint` tells the user
    /// how to configure it when it is missing.
    pub fn from_context(ctx: &Context, name: &str, url_key: &str, hint: &str) -> Result<Self, ToolError> {
        let urls = ctx
            .setting(url_key)
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| ToolError::denied(format!("{name} is not configured: {hint}")))?;
        let base = urls.split(',').next().unwrap_or_default().trim().trim_end_matches('/').to_string();
        let timeout_ms = match ctx.setting("timeout") {
            Some(t) => parse_timeout_ms(&t).ok_or_else(|| {
                ToolError::internal(format!("{name}: setting `timeout` must be seconds (e.g. 30 or 30s), got `{t}`"))
            })?,
            None => DEFAULT_TIMEOUT_MS,
        };
        let mut headers = Vec::new();
        if let Some(token) = ctx.secret("bearer_token").filter(|t| !t.is_empty()) {
            headers.push(("authorization".to_string(), format!("Bearer {token}")));
        } else if let Some(key) = ctx.secret("api_key").filter(|t| !t.is_empty()) {
            match ctx.setting("api_key_header") {
                Some(h) => headers.push((h, key)),
                None => headers.push(("authorization".to_string(), format!("ApiKey {key}"))),
            }
        } else if let Some(user) = ctx.setting("username").filter(|u| !u.is_empty()) {
            headers.push(("authorization".to_string(), basic_auth(&user, &ctx.secret("password").unwrap_or_default())));
        }
        headers.extend(extra_headers(ctx, name)?);
        Ok(Self { name: name.to_string(), base, headers, timeout_ms })
    }

    /// The base URL (for messages).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request to `path` (starting with `/`) with `query` parameters;
    /// parameters whose value is `None` are left out.
    pub fn request(&self, method: &str, path: &str, query: &[(&str, Option<String>)]) -> Request {
        let url = with_query(format!("{}{}", self.base, path), query);
        let mut req = Request::new(method, url)
            .timeout_ms(self.timeout_ms)
            .max_response_bytes(MAX_RESPONSE_BYTES)
            .header("accept", "application/json");
        for (k, v) in &self.headers {
            req = req.header(k.clone(), v.clone());
        }
        req
    }

    /// GET and parse JSON, mapping HTTP errors to tool errors.
    pub fn get_json(&self, path: &str, query: &[(&str, Option<String>)]) -> Result<Value, ToolError> {
        self.send_json(self.request("GET", path, query))
    }

    /// Send a prepared request and parse a JSON answer (an empty body is `null`).
    pub fn send_json(&self, req: Request) -> Result<Value, ToolError> {
        let resp = self.send(req)?;
        self.check(&resp)?;
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        resp.json()
    }

    /// Turn a non-2xx answer into a tool error carrying the backend's message.
    pub fn check(&self, resp: &Response) -> Result<(), ToolError> {
        if resp.is_success() {
            return Ok(());
        }
        let text = resp.text();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| {
                ["error", "message", "msg"].iter().find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
            })
            .unwrap_or_else(|| text.chars().take(500).collect());
        Err(status_error(resp.status, format!("{} answered HTTP {}: {}", self.name, resp.status, message.trim())))
    }

    /// Send a prepared request and return the answer whatever its status; a
    /// refused or failed request is a tool error naming the backend.
    pub fn send(&self, req: Request) -> Result<Response, ToolError> {
        req.send().map_err(|e| match e {
            http::HttpError::Denied(_) => ToolError::Denied(format!("{}: {e}", self.name)),
            other => ToolError::Upstream(format!("{} at {} unreachable: {other}", self.name, self.base)),
        })
    }
}

/// The tool error for a backend's non-2xx answer with `status`: 400 and 422
/// are the caller's mistake, 401 and 403 a refusal, 404 a missing object,
/// anything else the backend's own trouble.
pub fn status_error(status: u16, message: String) -> ToolError {
    match status {
        400 | 422 => ToolError::InvalidArguments(message),
        401 | 403 => ToolError::Denied(message),
        404 => ToolError::NotFound(message),
        _ => ToolError::Upstream(message),
    }
}

/// Refuse the call when the operator turned the component off (setting
/// `enabled` false, 0, no or off; `MCP_<SERVICE>_ENABLED` in the environment).
pub fn ensure_enabled(ctx: &Context, service: &str) -> Result<(), ToolError> {
    match ctx.setting("enabled") {
        Some(v) if matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no" | "off") => {
            Err(ToolError::denied(format!(
                "{service} is disabled (MCP_{}_ENABLED or components.{service}.settings.enabled)",
                service.to_ascii_uppercase()
            )))
        }
        _ => Ok(()),
    }
}

/// `Authorization: Basic` value for `user` and `password`.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// The `headers` setting (a JSON object of extra request headers).
/// It is a secret when it comes from the environment (it often carries
/// tokens), a plain setting when the config file gives it.
pub fn extra_headers(ctx: &Context, name: &str) -> Result<Vec<(String, String)>, ToolError> {
    let Some(extra) = ctx.secret("headers").or_else(|| ctx.setting("headers")) else { return Ok(Vec::new()) };
    let map: serde_json::Map<String, Value> = serde_json::from_str(&extra)
        .map_err(|e| ToolError::internal(format!("{name}: setting `headers` must be a JSON object: {e}")))?;
    Ok(map.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect())
}

/// `url` with `query` appended (percent-encoded); parameters whose value
/// is `None` are left out.
pub fn with_query(mut url: String, query: &[(&str, Option<String>)]) -> String {
    let pairs: Vec<String> =
        query.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{}={}", encode(k), encode(v)))).collect();
    if !pairs.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&pairs.join("&"));
    }
    url
}

/// A `timeout` setting in seconds (`30`, `2.5`, `30s`) as milliseconds.
pub fn parse_timeout_ms(text: &str) -> Option<u64> {
    let t = text.trim().trim_end_matches('s');
    let secs: f64 = t.parse().ok()?;
    (secs > 0.0 && secs.is_finite()).then_some((secs * 1000.0) as u64)
}

/// Percent-encode a query component (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
