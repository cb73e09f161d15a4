//! The configured Grafana (URL, credentials, org) and the argument helpers
//! every tool shares: flexible numbers, limits, path segments, time values
//! and bounded list output.

use k8s_mcp_sdk::backend::{Backend, encode, ensure_enabled};
use k8s_mcp_sdk::http::Request;
use k8s_mcp_sdk::prelude::*;

pub use k8s_mcp_sdk::args::{optional, required};

/// Default page size of list tools.
pub const DEFAULT_LIMIT: u64 = 20;
/// Largest page a list tool returns (larger requests are refused).
pub const MAX_LIMIT: u64 = 100;

const HINT: &str = "set MCP_GRAFANA_URL or components.grafana.settings.url";
const AUTH_HINT: &str =
    "check MCP_GRAFANA_API_KEY (service-account token or API key), or MCP_GRAFANA_USERNAME and MCP_GRAFANA_PASSWORD";

/// The Grafana HTTP API of the configured instance.
pub struct Grafana {
    backend: Backend,
    org_id: Option<String>,
}

impl Grafana {
    pub fn new(ctx: &Context) -> Result<Self, ToolError> {
        ensure_enabled(ctx, "grafana")?;
        let backend = Backend::from_context(ctx, "grafana", "url", HINT)?;
        let org_id = ctx.setting("org_id").map(|o| o.trim().to_string()).filter(|o| !o.is_empty());
        if let Some(org) = &org_id
            && org.parse::<u64>().is_err()
        {
            return Err(ToolError::internal(format!("grafana: setting `org_id` must be a number, got `{org}`")));
        }
        Ok(Self { backend, org_id })
    }

    /// The base URL users open in a browser (no trailing slash).
    pub fn base(&self) -> &str {
        self.backend.base()
    }

    /// A request to `path` carrying credentials and the org header.
    pub fn request(&self, method: &str, path: &str, query: &[(&str, Option<String>)]) -> Request {
        let req = self.backend.request(method, path, query);
        match &self.org_id {
            Some(org) => req.header("x-grafana-org-id", org.clone()),
            None => req,
        }
    }

    /// Send and parse JSON (an empty answer is `null`).
    pub fn send(&self, req: Request) -> Result<Value, ToolError> {
        self.backend.send_json(req).map_err(explain)
    }

    pub fn get(&self, path: &str, query: &[(&str, Option<String>)]) -> Result<Value, ToolError> {
        self.send(self.request("GET", path, query))
    }

    /// A request with a JSON body.
    pub fn with_body(&self, method: &str, path: &str, body: &Value) -> Result<Value, ToolError> {
        self.send(self.request(method, path, &[]).json_body(body)?)
    }

    pub fn delete(&self, path: &str, query: &[(&str, Option<String>)]) -> Result<Value, ToolError> {
        self.send(self.request("DELETE", path, query))
    }

    /// Raw bytes and content type (for rendered images).
    pub fn get_bytes(&self, req: Request) -> Result<(Vec<u8>, String), ToolError> {
        let resp = req.send().map_err(|e| match e {
            k8s_mcp_sdk::http::HttpError::Denied(_) => ToolError::denied(format!("grafana: {e}")),
            k8s_mcp_sdk::http::HttpError::TooLarge(_) => ToolError::upstream(format!("grafana: {e}")),
            other => ToolError::upstream(format!("grafana at {} unreachable: {other}", self.base())),
        })?;
        self.backend.check(&resp).map_err(explain)?;
        let ctype = resp.header("content-type").unwrap_or("application/octet-stream").to_string();
        Ok((resp.body, ctype))
    }
}

/// Add what to do about bad credentials, and say so when Grafana answered
/// an error with no message.
fn explain(e: ToolError) -> ToolError {
    let fill = |m: String| if m.trim_end().ends_with(':') { format!("{} (no message)", m.trim_end()) } else { m };
    match e {
        ToolError::Denied(m) if m.contains("HTTP 401") => ToolError::Denied(format!("{}; {AUTH_HINT}", fill(m))),
        ToolError::Denied(m) => ToolError::Denied(fill(m)),
        ToolError::NotFound(m) => ToolError::NotFound(fill(m)),
        ToolError::InvalidArguments(m) => ToolError::InvalidArguments(fill(m)),
        ToolError::Upstream(m) => ToolError::Upstream(fill(m)),
        other => other,
    }
}

/// Name the missing thing in a not-found error.
pub fn missing(what: String) -> impl FnOnce(ToolError) -> ToolError {
    move |e| match e {
        ToolError::NotFound(m) => ToolError::NotFound(format!("{what} does not exist ({m})")),
        other => other,
    }
}

/// A number given as a JSON number or as a string (the reference server
/// declares several numeric parameters as strings).
#[derive(Deserialize, JsonSchema, Clone, Debug)]
#[serde(untagged)]
pub enum Num {
    Number(f64),
    Text(String),
}

impl Num {
    pub fn value(&self, name: &str) -> Result<f64, ToolError> {
        let v = match self {
            Num::Number(n) => *n,
            Num::Text(t) => t
                .trim()
                .parse::<f64>()
                .map_err(|_| ToolError::invalid(format!("`{name}` must be a number, got `{t}`")))?,
        };
        if v.is_finite() { Ok(v) } else { Err(ToolError::invalid(format!("`{name}` must be a finite number"))) }
    }

    /// A whole number from `min` to `max`.
    pub fn whole(&self, name: &str, min: i64, max: i64) -> Result<i64, ToolError> {
        let v = self.value(name)?;
        if v.fract() != 0.0 || v < min as f64 || v > max as f64 {
            return Err(ToolError::invalid(format!("`{name}` must be a whole number from {min} to {max}, got {v}")));
        }
        Ok(v as i64)
    }
}

/// An optional whole number.
pub fn opt_whole(name: &str, v: &Option<Num>, min: i64, max: i64) -> Result<Option<i64>, ToolError> {
    v.as_ref().map(|n| n.whole(name, min, max)).transpose()
}

/// A page size: default 20, 1 to 100.
pub fn limit(v: &Option<Num>) -> Result<usize, ToolError> {
    Ok(opt_whole("limit", v, 1, MAX_LIMIT as i64)?.map_or(DEFAULT_LIMIT as usize, |n| n as usize))
}

/// A required identifier, percent-encoded for use as one path segment.
pub fn segment(name: &str, v: &str) -> Result<String, ToolError> {
    Ok(encode(required(name, v)?))
}

/// A numeric ID (users, teams, annotations) given as string or number.
pub fn numeric_id(name: &str, v: &Num) -> Result<i64, ToolError> {
    v.whole(name, 1, i64::MAX >> 11)
}

/// A list answer as a list (a wrong shape is an upstream error, not a panic).
pub fn as_list(v: Value, what: &str) -> Result<Vec<Value>, ToolError> {
    match v {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        _ => Err(ToolError::upstream(format!("grafana returned something other than a list of {what}"))),
    }
}

/// `{count, limit, truncated, [total], <key>: items}` with at most `limit`
/// items; `total` when the API reports one (or the whole list was fetched).
pub fn listing(key: &str, mut items: Vec<Value>, limit: usize, total: Option<usize>) -> Value {
    let more = items.len() > limit;
    items.truncate(limit);
    let truncated = more || total.is_some_and(|t| t > items.len());
    let mut out = json!({ "count": items.len(), "limit": limit, "truncated": truncated, key: items });
    if let Some(t) = total {
        out["total"] = json!(t);
    }
    out
}

/// Copy `fields` of `v` that are present into a new object.
pub fn pick(v: &Value, fields: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for f in fields {
        if let Some(x) = v.get(*f).filter(|x| !x.is_null()) {
            out.insert((*f).to_string(), x.clone());
        }
    }
    Value::Object(out)
}

/// A string field, or "".
pub fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or("")
}

/// Milliseconds since the Unix epoch now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// A time as epoch milliseconds: a number (ms, or seconds when below 1e11),
/// RFC 3339, `now`, or `now-6h` / `now+30m`.
pub fn time_ms(name: &str, text: &str) -> Result<i64, ToolError> {
    let t = text.trim();
    let bad = || {
        ToolError::invalid(format!(
            "`{name}` must be epoch milliseconds, an RFC 3339 time, `now` or `now-6h`-style relative time, got `{text}`"
        ))
    };
    if let Ok(n) = t.parse::<f64>() {
        if !n.is_finite() || n < 0.0 {
            return Err(bad());
        }
        return Ok(if n < 1e11 { (n * 1000.0) as i64 } else { n as i64 });
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_millis());
    }
    let rest = t.strip_prefix("now").ok_or_else(bad)?;
    if rest.is_empty() {
        return Ok(now_ms());
    }
    let (sign, dur) = match rest.split_at(1) {
        ("-", d) => (-1, d),
        ("+", d) => (1, d),
        _ => return Err(bad()),
    };
    Ok(now_ms() + sign * duration_ms(dur).ok_or_else(bad)?)
}

/// `90s`, `5m`, `1h30m`, `2d`, `1w` in milliseconds.
pub fn duration_ms(text: &str) -> Option<i64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0i64;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale = match &rest[..unit] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "y" => 31_536_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(scale)?)?;
        rest = &rest[unit..];
    }
    Some(total)
}

/// Tags given as a list or one comma-separated string.
#[derive(Deserialize, JsonSchema, Clone, Debug)]
#[serde(untagged)]
pub enum Tags {
    List(Vec<String>),
    Text(String),
}

impl Tags {
    pub fn list(&self) -> Vec<String> {
        let raw: Vec<String> = match self {
            Tags::List(l) => l.clone(),
            Tags::Text(t) => t.split(',').map(str::to_string).collect(),
        };
        raw.into_iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()
    }
}

pub fn tags_of(t: &Option<Tags>) -> Vec<String> {
    t.as_ref().map(Tags::list).unwrap_or_default()
}

/// Arguments of tools that take none (besides the reference's no-op `debug`).
#[derive(Deserialize, JsonSchema)]
pub struct DebugOnly {
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    pub debug: Option<Value>,
}

/// A `limit` (1-100, default 20) and the compatibility `debug` flag.
#[derive(Deserialize, JsonSchema)]
pub struct LimitArgs {
    /// Most items to return: 1-100 (default 20).
    pub limit: Option<Num>,
    /// Return a compact table instead of full objects.
    pub summary: Option<bool>,
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    pub debug: Option<Value>,
}

/// One UID.
#[derive(Deserialize, JsonSchema)]
pub struct UidArgs {
    /// The object's UID.
    pub uid: String,
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    pub debug: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_form() {
        assert_eq!(time_ms("t", "1700000000000").unwrap(), 1_700_000_000_000);
        assert_eq!(time_ms("t", "1700000000").unwrap(), 1_700_000_000_000);
        assert_eq!(time_ms("t", "2023-11-14T22:13:20Z").unwrap(), 1_700_000_000_000);
        let now = now_ms();
        let hour_ago = time_ms("t", "now-1h").unwrap();
        assert!((now - 3_600_000 - hour_ago).abs() < 5_000);
        assert!(time_ms("t", "now+30m").unwrap() > now);
        for bad in ["yesterday", "now-1x", "now*2", "-5", ""] {
            assert!(time_ms("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms("1h30m"), Some(5_400_000));
        assert_eq!(duration_ms("90s"), Some(90_000));
        assert_eq!(duration_ms("2d"), Some(172_800_000));
        assert_eq!(duration_ms("5"), None);
        assert_eq!(duration_ms("m"), None);
        assert_eq!(duration_ms("99999999999999999y"), None);
    }

    #[test]
    fn numbers_and_limits() {
        assert_eq!(Num::Text(" 42 ".into()).whole("n", 1, 100).unwrap(), 42);
        assert!(Num::Number(4.5).whole("n", 1, 100).is_err());
        assert!(Num::Text("x".into()).value("n").unwrap_err().to_string().contains("`n` must be a number"));
        assert_eq!(limit(&None).unwrap(), 20);
        assert!(limit(&Some(Num::Number(101.0))).is_err());
        assert!(limit(&Some(Num::Number(0.0))).is_err());
    }

    #[test]
    fn listing_reports_truncation() {
        let items = |n: usize| (0..n).map(|i| json!(i)).collect::<Vec<_>>();
        let out = listing("x", items(21), 20, None);
        assert_eq!((out["count"].clone(), out["truncated"].clone()), (json!(20), json!(true)));
        assert!(out.get("total").is_none());
        let out = listing("x", items(5), 20, Some(5));
        assert_eq!((out["truncated"].clone(), out["total"].clone()), (json!(false), json!(5)));
        let out = listing("x", items(3), 20, Some(9));
        assert_eq!(out["truncated"], json!(true));
    }

    #[test]
    fn tags_from_list_or_text() {
        assert_eq!(Tags::Text("a, b,,c".into()).list(), ["a", "b", "c"]);
        assert_eq!(Tags::List(vec![" x ".into(), "".into()]).list(), ["x"]);
    }
}
