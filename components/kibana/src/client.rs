//! The Kibana client: the configured URL and credentials (settings and
//! secrets, or the `MCP_KIBANA_*` variables the policy maps), the space
//! prefix (`/s/{space}/api/...`), the `kbn-xsrf` header on writes, and
//! Kibana's error bodies (`{statusCode, error, message}`) turned into
//! tool errors.

use k8s_mcp_sdk::backend::{Backend, encode, ensure_enabled};
use k8s_mcp_sdk::http::{HttpError, Request, Response};
use k8s_mcp_sdk::prelude::*;

pub use k8s_mcp_sdk::args::{optional, required};

/// A configured Kibana plus the space calls are made in.
pub struct Kibana {
    backend: Backend,
    space: Option<String>,
}

/// The configured Kibana; the `space` argument, when given, overrides the
/// configured space (`MCP_KIBANA_SPACE`) for this call.
pub fn kibana(ctx: &Context, space: Option<&str>) -> Result<Kibana, ToolError> {
    ensure_enabled(ctx, "kibana")?;
    let backend = Backend::from_context(
        ctx,
        "kibana",
        "url",
        "set MCP_KIBANA_URL (and MCP_KIBANA_API_KEY or MCP_KIBANA_USERNAME/MCP_KIBANA_PASSWORD) or components.kibana.settings.url",
    )?;
    let chosen = match space.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(valid_space(s, "space")?),
        None => match ctx.setting("space").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            Some(s) => Some(valid_space(&s, "MCP_KIBANA_SPACE")?),
            None => None,
        },
    };
    Ok(Kibana { backend, space: chosen.filter(|s| s != "default") })
}

// The `space` argument of every space-aware tool. (No doc comment: schemars
// would make it the description of the argument structs that flatten it.)
#[derive(Deserialize, JsonSchema)]
#[serde(remote = "Self")]
pub struct SpaceArg {
    /// Kibana space (default: the configured one).
    pub space: Option<String>,
}
k8s_mcp_sdk::flattened_args!(SpaceArg);

impl SpaceArg {
    /// The space the caller named, if any.
    pub fn name(&self) -> Option<&str> {
        self.space.as_deref()
    }

    /// The configured Kibana, working in this space (see [`kibana`]).
    pub fn kibana(&self, ctx: &Context) -> Result<Kibana, ToolError> {
        kibana(ctx, self.name())
    }
}

/// Space identifiers are lowercase letters, digits, `_` and `-`.
pub fn valid_space(id: &str, what: &str) -> Result<String, ToolError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(id.to_string())
    } else {
        Err(ToolError::invalid(format!(
            "`{what}` must be a space identifier (lowercase letters, digits, `_`, `-`), got `{id}`"
        )))
    }
}

/// A path segment, percent-encoded so an identifier can never change the route.
pub fn seg(s: &str) -> String {
    encode(s)
}

impl Kibana {
    /// The space this call works in (`default` when none is configured).
    pub fn space(&self) -> &str {
        self.space.as_deref().unwrap_or("default")
    }

    /// `path` (starting with `/api/`) under the space prefix, if any.
    pub fn scoped(&self, path: &str) -> String {
        match &self.space {
            Some(s) => format!("/s/{s}{path}"),
            None => path.to_string(),
        }
    }

    /// A request to an exact path (no space prefix); writes carry `kbn-xsrf`.
    pub fn request(&self, method: &str, path: &str, query: &[(&str, Option<String>)]) -> Request {
        let req = self.backend.request(method, path, query);
        if method == "GET" || method == "HEAD" { req } else { req.header("kbn-xsrf", "true") }
    }

    /// Send and parse JSON (an empty body is `null`), mapping errors.
    pub fn send(&self, req: Request) -> Result<Value, ToolError> {
        let resp = self.send_raw(req)?;
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        resp.json()
    }

    /// Send and return the successful response as it is.
    pub fn send_raw(&self, req: Request) -> Result<Response, ToolError> {
        let resp = req.send().map_err(|e| self.transport_error(e))?;
        self.check(&resp)?;
        Ok(resp)
    }

    /// GET a space-scoped API path.
    pub fn get(&self, path: &str, query: &[(&str, Option<String>)]) -> Result<Value, ToolError> {
        self.send(self.request("GET", &self.scoped(path), query))
    }

    /// A write (POST/PUT/DELETE) to a space-scoped API path with an optional JSON body.
    pub fn write(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, Option<String>)],
        body: Option<&Value>,
    ) -> Result<Value, ToolError> {
        let mut req = self.request(method, &self.scoped(path), query);
        if let Some(body) = body {
            req = req.json_body(body)?;
        }
        self.send(req)
    }

    /// The same, on a path that is not space-scoped (spaces, status).
    pub fn global(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, ToolError> {
        let mut req = self.request(method, path, &[]);
        if let Some(body) = body {
            req = req.json_body(body)?;
        }
        self.send(req)
    }

    fn transport_error(&self, e: HttpError) -> ToolError {
        match e {
            HttpError::Denied(_) => ToolError::denied(format!("kibana: {e}")),
            HttpError::InvalidUrl(_) => ToolError::invalid(format!("kibana: {e}")),
            HttpError::TooLarge(n) => ToolError::upstream(format!(
                "kibana's answer is larger than {n} bytes; ask for less (fewer objects, a smaller per_page or size)"
            )),
            other => ToolError::upstream(format!("kibana at {} unreachable: {other}", self.backend.base())),
        }
    }

    /// Kibana answers errors as `{statusCode, error, message}`; Elasticsearch
    /// answers through the console proxy as `{error: {type, reason}, status}`.
    fn check(&self, resp: &Response) -> Result<(), ToolError> {
        if resp.is_success() {
            return Ok(());
        }
        let text = resp.text();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                let err = body.get("error")?;
                match err.as_str() {
                    Some(s) => Some(s.to_string()),
                    None => {
                        let kind = err.get("type").and_then(Value::as_str).unwrap_or("error");
                        let reason = err.get("reason").and_then(Value::as_str).unwrap_or("");
                        Some(format!("{kind}: {reason}"))
                    }
                }
            })
            .unwrap_or_else(|| text.chars().take(300).collect());
        let message = message.trim();
        Err(match resp.status {
            400 | 422 => ToolError::invalid(format!("kibana rejected the request (HTTP {}): {message}", resp.status)),
            401 => ToolError::denied(format!(
                "kibana rejected the credentials (HTTP 401): {message}; check MCP_KIBANA_API_KEY or \
                 MCP_KIBANA_USERNAME/MCP_KIBANA_PASSWORD"
            )),
            403 => ToolError::denied(format!("kibana denied the request (HTTP 403): {message}")),
            404 => ToolError::not_found(format!("kibana (space `{}`): {message}", self.space())),
            409 => ToolError::invalid(format!("kibana reported a conflict (HTTP 409): {message}")),
            s => ToolError::upstream(format!("kibana answered HTTP {s}: {message}")),
        })
    }
}

/// Largest page any list returns; larger requests are cut to this.
pub const MAX_PER_PAGE: u32 = 100;
pub const DEFAULT_PER_PAGE: u32 = 20;

/// Validated `(page, per_page)`: page from 1, per_page from 1 up to [`MAX_PER_PAGE`].
pub fn paging(page: Option<u32>, per_page: Option<u32>) -> Result<(u32, u32), ToolError> {
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(ToolError::invalid("`page` starts at 1"));
    }
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 {
        return Err(ToolError::invalid("`per_page` must be at least 1"));
    }
    Ok((page, per_page.min(MAX_PER_PAGE)))
}

/// One page of an array the API returns whole (connectors, data views, spaces).
pub fn page_of(items: &[Value], page: u32, per_page: u32) -> Vec<Value> {
    let start = ((page - 1) as usize).saturating_mul(per_page as usize);
    items.iter().skip(start).take(per_page as usize).cloned().collect()
}

/// Parse an object-or-JSON-string argument (the Go server accepted both).
pub fn object_arg(name: &str, value: Option<Value>) -> Result<Option<Value>, ToolError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(v @ Value::Object(_)) => Ok(Some(v)),
            _ => Err(ToolError::invalid(format!("`{name}` must be a JSON object"))),
        },
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(ToolError::invalid(format!("`{name}` must be an object"))),
    }
}

/// Parse an array-or-JSON-string argument.
pub fn array_arg(name: &str, value: Option<Value>) -> Result<Option<Vec<Value>>, ToolError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Array(a)) => Ok(Some(a)),
            _ => Err(ToolError::invalid(format!("`{name}` must be a JSON array"))),
        },
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(ToolError::invalid(format!("`{name}` must be an array"))),
    }
}

/// Cut long text for compact views.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}
