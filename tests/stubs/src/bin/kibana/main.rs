//! Kibana **stub** server for the `kibana` component's tests. No real
//! Kibana can be installed in the test environment, so this serves the
//! routes of Kibana's published REST API (https://www.elastic.co/docs/api/doc/kibana)
//! with in-memory state: spaces, data views, saved objects of several types,
//! alerting rules, connectors, status, and a few log documents searchable
//! through the Console proxy. It is a stub, not Kibana.
//!
//! Like Kibana it checks credentials on every route (API key or basic),
//! answers 401/400/404/409 with Kibana's `{statusCode, error, message}`
//! body, requires `kbn-xsrf` on writes, and serves the space-aware routes
//! under `/s/{space}` as well.

// Helpers return a finished error `Response` early; its size is irrelevant in a stub.
#![allow(clippy::result_large_err)]

/// The JSON body of a request (`json_body`), or return its 400 from the handler.
macro_rules! body_or_return {
    ($b:expr) => {
        match $crate::json_body(&$b) {
            Ok(b) => b,
            Err(e) => return e,
        }
    };
}

/// The checked space of a request (`space_of`), or return its 404 from the handler.
macro_rules! space_or_return {
    ($s:expr, $p:expr) => {
        match $crate::space_of(&$s, &$p) {
            Ok(sp) => sp,
            Err(e) => return e,
        }
    };
}

mod alerting;
mod connectors;
mod data_views;
mod logs;
mod saved_objects;
mod spaces;
mod state;
mod time;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
pub use k8s_mcp_stubs::{first, query_pairs};
use serde_json::{Value, json};

/// Credentials the stub accepts (the tests configure the component with them).
pub const API_KEY: &str = "c3R1Yi1raWJhbmEta2V5OnN0dWItc2VjcmV0";
pub const USERNAME: &str = "elastic";
pub const PASSWORD: &str = "stub-kibana-password";

pub type Shared = Arc<Mutex<state::Store>>;
pub type Params = HashMap<String, String>;

/// A Kibana error response: `{"statusCode", "error", "message"}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message.into(),
    });
    (status, axum::Json(body)).into_response()
}

pub fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The space of a request (`/s/{space}/...`), checked to exist.
pub fn space_of(store: &state::Store, p: &Params) -> Result<String, Response> {
    let space = p.get("space").cloned().unwrap_or_else(|| "default".into());
    if store.spaces.contains_key(&space) {
        Ok(space)
    } else {
        Err(error(StatusCode::NOT_FOUND, format!("Saved object [space/{space}] not found")))
    }
}

/// Register `route` at `path` and, for space-aware APIs, at `/s/{space}{path}`.
fn both(router: Router<Shared>, path: &str, route: MethodRouter<Shared>) -> Router<Shared> {
    router.route(path, route.clone()).route(&format!("/s/{{space}}{path}"), route)
}

fn decode_basic(value: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in value.trim().bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Authentication (Kibana docs: "Authentication": `Authorization: ApiKey ...`
/// or basic) and the XSRF check (docs: "kbn-xsrf header ... required on all
/// API calls except GET").
async fn guard(headers: HeaderMap, req: Request, next: Next) -> Response {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    let authorized = match auth.split_once(' ') {
        Some(("ApiKey", key)) => key == API_KEY,
        Some(("Basic", b64)) => decode_basic(b64).is_some_and(|up| up == format!("{USERNAME}:{PASSWORD}")),
        _ => false,
    };
    if !authorized {
        let message = if auth.is_empty() {
            "[security_exception]: missing authentication credentials for REST request [/_security/_authenticate]"
        } else {
            "[security_exception]: unable to authenticate with provided credentials for REST request [/_security/_authenticate]"
        };
        return error(StatusCode::UNAUTHORIZED, message);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD && !headers.contains_key("kbn-xsrf") {
        return error(StatusCode::BAD_REQUEST, "Request must contain a kbn-xsrf header.");
    }
    next.run(req).await
}

fn app(store: Shared) -> Router {
    let mut r: Router<Shared> = Router::new();
    r = spaces::routes(r);
    r = r.route("/api/status", axum::routing::get(logs::status));
    r = r.route("/api/console/proxy", axum::routing::post(logs::console_proxy));
    for (path, route) in saved_objects::routes()
        .into_iter()
        .chain(data_views::routes())
        .chain(alerting::rule_routes())
        .chain(connectors::routes())
    {
        r = both(r, path, route);
    }
    r.fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found") })
        .layer(middleware::from_fn(guard))
        .with_state(store)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let store = Arc::new(Mutex::new(state::Store::seeded()));
    k8s_mcp_stubs::serve(app(store)).await;
}

/// The JSON body of a request, or Kibana's 400 for a malformed one.
pub fn json_body(body: &[u8]) -> Result<Value, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| error(StatusCode::BAD_REQUEST, format!("Invalid JSON payload: {e}")))
}

/// A numeric query parameter with Kibana's 400 when it is not a number.
pub fn num(pairs: &[(String, String)], key: &str, default: u64) -> Result<u64, Response> {
    match first(pairs, key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                format!("[request query.{key}]: expected value of type [number] but got [string]"),
            )
        }),
    }
}
