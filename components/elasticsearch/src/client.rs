//! The Elasticsearch REST client: every configured address in turn (the
//! next one is tried only when one cannot be reached), credentials from
//! secrets (API key, then bearer token, then basic), and Elasticsearch's
//! error bodies (`{"error": {"root_cause": [...], "type", "reason"}, "status"}`
//! in 2.x to 8.x) turned into clear tool errors.

use base64::Engine as _;
use k8s_mcp_sdk::backend::{
    basic_auth, encode, ensure_enabled, extra_headers, parse_timeout_ms, status_error, with_query,
};
use k8s_mcp_sdk::http::{HttpError, Request, Response};
use k8s_mcp_sdk::prelude::*;

const DEFAULT_TIMEOUT_MS: u64 = 30_000;
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
const HINT: &str = "set MCP_ELASTICSEARCH_ADDRESSES or components.elasticsearch.settings.addresses";

/// A configured cluster.
pub struct Es {
    addresses: Vec<String>,
    auth: Option<String>,
    headers: Vec<(String, String)>,
    timeout_ms: u64,
}

pub type Query<'a> = [(&'a str, Option<String>)];

impl Es {
    pub fn from_context(ctx: &Context) -> Result<Self, ToolError> {
        ensure_enabled(ctx, "elasticsearch")?;
        let addresses: Vec<String> = ctx
            .setting("addresses")
            .unwrap_or_default()
            .split(',')
            .map(|a| a.trim().trim_end_matches('/'))
            .filter(|a| !a.is_empty())
            .map(|a| if a.contains("://") { a.to_string() } else { format!("http://{a}") })
            .collect();
        if addresses.is_empty() {
            return Err(ToolError::denied(format!("elasticsearch is not configured: {HINT}")));
        }
        let timeout_ms = match ctx.setting("timeout") {
            Some(t) => parse_timeout_ms(&t).ok_or_else(|| {
                ToolError::internal(format!("elasticsearch: setting `timeout` must be seconds (e.g. 30), got `{t}`"))
            })?,
            None => DEFAULT_TIMEOUT_MS,
        };
        let secret = |k: &str| ctx.secret(k).filter(|s| !s.is_empty());
        let auth = if let Some(key) = secret("api_key") {
            // Elasticsearch wants base64(id:key); accept the `id:key` pair too.
            let key = if key.contains(':') { base64::engine::general_purpose::STANDARD.encode(&key) } else { key };
            Some(format!("ApiKey {key}"))
        } else if let Some(token) = secret("bearer_token") {
            Some(format!("Bearer {token}"))
        } else {
            ctx.setting("username")
                .filter(|u| !u.is_empty())
                .map(|user| basic_auth(&user, &secret("password").unwrap_or_default()))
        };
        let headers = extra_headers(ctx, "elasticsearch")?;
        Ok(Self { addresses, auth, headers, timeout_ms })
    }

    fn request(&self, base: &str, method: &str, path: &str, query: &Query) -> Request {
        let mut req = Request::new(method, with_query(format!("{base}{path}"), query))
            .timeout_ms(self.timeout_ms)
            .max_response_bytes(MAX_RESPONSE_BYTES)
            .header("accept", "application/json");
        if let Some(auth) = &self.auth {
            req = req.header("authorization", auth.clone());
        }
        for (k, v) in &self.headers {
            req = req.header(k.clone(), v.clone());
        }
        req
    }

    /// Send to the first address that answers; other HTTP errors are not
    /// retried elsewhere (another node would say the same).
    fn send(&self, method: &str, path: &str, query: &Query, body: Option<&Value>) -> Result<Response, ToolError> {
        let mut failures = Vec::new();
        for (i, base) in self.addresses.iter().enumerate() {
            let mut req = self.request(base, method, path, query);
            if let Some(body) = body {
                req = req.json_body(body)?;
            }
            match req.send() {
                // A node that is up but cannot serve (a proxy's 502, an
                // overloaded or starting node's 503) is skipped too.
                Ok(resp) if matches!(resp.status, 502..=504) && i + 1 < self.addresses.len() => {
                    failures.push(format!("{base}: HTTP {}", resp.status));
                }
                Ok(resp) => return Ok(resp),
                Err(HttpError::Denied(url)) => {
                    return Err(ToolError::denied(format!(
                        "elasticsearch: request to {url} denied by the egress policy"
                    )));
                }
                Err(e) => failures.push(format!("{base}: {e}")),
            }
        }
        Err(ToolError::upstream(format!("elasticsearch unreachable ({})", failures.join("; "))))
    }

    /// A JSON answer, or the cluster's error as a tool error.
    pub fn call(&self, method: &str, path: &str, query: &Query, body: Option<&Value>) -> Result<Value, ToolError> {
        let resp = self.send(method, path, query, body)?;
        if !resp.is_success() {
            return Err(error_of(&resp));
        }
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        resp.json()
    }

    pub fn get(&self, path: &str, query: &Query) -> Result<Value, ToolError> {
        self.call("GET", path, query, None)
    }

    /// GET with a body is what Elasticsearch documents for `_search`; POST is
    /// accepted by every version and passes every proxy, so it is used here.
    pub fn post(&self, path: &str, query: &Query, body: &Value) -> Result<Value, ToolError> {
        self.call("POST", path, query, Some(body))
    }
}

/// `{"error": {"root_cause": [{"type", "reason"}], "type", "reason"}, "status"}`
/// (or a plain string `error` in very old versions) → a tool error.
fn error_of(resp: &Response) -> ToolError {
    let text = resp.text();
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let detail = parsed.as_ref().and_then(|v| v.get("error")).map(|e| match e {
        Value::String(s) => s.clone(),
        e => {
            let root = e.get("root_cause").and_then(|r| r.get(0)).unwrap_or(e);
            let kind = root.get("type").and_then(Value::as_str).unwrap_or("error");
            let reason = root.get("reason").and_then(Value::as_str).unwrap_or("no reason given");
            let mut msg = format!("{kind}: {reason}");
            if let Some(caused) = e.get("caused_by").and_then(|c| c.get("reason")).and_then(Value::as_str)
                && caused != reason
            {
                msg.push_str(&format!(" (caused by: {caused})"));
            }
            msg
        }
    });
    let detail = detail.unwrap_or_else(|| text.chars().take(300).collect::<String>().trim().to_string());
    let message = format!("elasticsearch answered HTTP {}: {detail}", resp.status);
    // 405: a method the node does not allow on that route, the caller's mistake.
    if resp.status == 405 { ToolError::InvalidArguments(message) } else { status_error(resp.status, message) }
}

/// An index name or pattern (comma lists and wildcards allowed) safe to put
/// in a path: no slashes, spaces or query characters.
pub fn index_path(name: &str, value: &str) -> Result<String, ToolError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ToolError::invalid(format!("`{name}` must not be empty")));
    }
    if v.chars().any(|c| matches!(c, '/' | '\\' | '?' | '#' | '"' | '<' | '>' | '|' | ' ') || c.is_control()) {
        return Err(ToolError::invalid(format!(
            "`{name}` `{v}` is not a valid index name or pattern (no /, \\, ?, #, \", <, >, | or spaces)"
        )));
    }
    Ok(encode(v).replace("%2C", ",").replace("%2A", "*"))
}
