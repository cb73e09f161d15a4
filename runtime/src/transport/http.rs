//! HTTP middleware of the main listener, in the documented order, and the
//! RFC 9728 protected resource metadata.

use crate::auth::FrontDoor;
use crate::auth::authenticate::AuthError;
use crate::error::api::{ApiError, ErrorKind};
use crate::telemetry as metrics;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// Paths that speak JSON-RPC: their front-door errors are JSON-RPC envelopes.
fn is_jsonrpc_path(path: &str) -> bool {
    path == "/mcp" || path.starts_with("/mcp/") || path == "/message"
}

/// A bounded route label for metrics and logs (never the query string).
fn route_label(path: &str) -> &'static str {
    match path {
        "/mcp" => "/mcp",
        "/sse" => "/sse",
        "/message" => "/message",
        "/healthz" => "/healthz",
        p if p.starts_with(METADATA_PATH) => METADATA_PATH,
        p if p.starts_with("/mcp/") => "/mcp",
        _ => "other",
    }
}

/// Wrap `protected` (the MCP routes) in authentication and the rate
/// buckets, add the public routes, then the outer layers.
pub fn assemble(protected: Router, public: Router, fd: Arc<FrontDoor>) -> Router {
    let protected =
        protected.layer(from_fn_with_state(fd.clone(), authenticate)).layer(from_fn_with_state(fd.clone(), check_host));
    let metadata = Router::new()
        .route(METADATA_PATH, axum::routing::get(resource_metadata))
        .route(&format!("{METADATA_PATH}/mcp"), axum::routing::get(resource_metadata))
        .with_state(fd.clone());
    public.merge(metadata).merge(protected).layer(
        ServiceBuilder::new()
            .layer(cors(&fd.allowed_origins))
            .layer(from_fn(log_and_measure))
            .layer(from_fn(security_headers))
            .layer(from_fn_with_state(fd, check_origin)),
    )
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            HeaderName::from_static("last-event-id"),
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("mcp-protocol-version"),
        ])
        .expose_headers([HeaderName::from_static("mcp-session-id"), header::WWW_AUTHENTICATE])
        .max_age(std::time::Duration::from_secs(86_400))
}

async fn log_and_measure(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = route_label(req.uri().path());
    let response = next.run(req).await;
    let status = response.status();
    let elapsed = started.elapsed();
    let m = metrics::get();
    m.http_requests.with_label_values(&[method.as_str(), route, status.as_str()]).inc();
    m.http_duration.with_label_values(&[route]).observe(elapsed.as_secs_f64());
    if status.is_server_error() {
        tracing::warn!(%method, route, status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64, "http request");
    } else {
        tracing::debug!(%method, route, status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64, "http request");
    }
    response
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'");
    set(h, HeaderName::from_static("cross-origin-resource-policy"), "same-origin");
    set(h, header::CACHE_CONTROL, "no-store");
    response
}

fn is_loopback_origin(origin: &str) -> bool {
    url::Url::parse(origin).is_ok_and(|u| match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    })
}

/// DNS-rebinding defence: a browser `Origin` must be allowed explicitly
/// (or be a loopback origin when none is configured).
async fn check_origin(State(fd): State<Arc<FrontDoor>>, req: Request, next: Next) -> Response {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let allowed = if fd.allowed_origins.is_empty() {
            is_loopback_origin(origin)
        } else {
            fd.allowed_origins.iter().any(|o| o == "*" || o.trim_end_matches('/') == origin)
        };
        if !allowed {
            let jsonrpc = is_jsonrpc_path(req.uri().path());
            return ApiError::new(ErrorKind::Forbidden, "origin not allowed").as_jsonrpc(jsonrpc).into_response();
        }
    }
    next.run(req).await
}

/// DNS-rebinding defence for every MCP route (rmcp checks `/mcp` too; the
/// legacy SSE routes rely on this): the `Host` header must be allowed,
/// as a name or as `name:port`. An empty list allows any host.
async fn check_host(State(fd): State<Arc<FrontDoor>>, req: Request, next: Next) -> Response {
    if !fd.allowed_hosts.is_empty() {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let name = match host.rsplit_once(':') {
            Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => host,
        };
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let allowed = fd.allowed_hosts.iter().any(|a| {
            let a = a.trim_start_matches('[').trim_end_matches(']');
            a.eq_ignore_ascii_case(name) || a.eq_ignore_ascii_case(host)
        });
        if !allowed {
            let jsonrpc = is_jsonrpc_path(req.uri().path());
            return ApiError::new(ErrorKind::Forbidden, "host not allowed").as_jsonrpc(jsonrpc).into_response();
        }
    }
    next.run(req).await
}

fn rate_limited(message: &str, secs: u64, jsonrpc: bool) -> Response {
    ApiError::new(ErrorKind::RateLimited, message).retry_after(secs).as_jsonrpc(jsonrpc).into_response()
}

/// The peer's address (`unknown` when the server was built without connect info).
fn client_address(req: &Request) -> String {
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

/// The externally visible base URL: from `auth.resource`, else the request's Host.
fn base_url(fd: &FrontDoor, headers: &HeaderMap) -> String {
    if let Some(resource) = &fd.access().resource
        && let Ok(u) = url::Url::parse(resource)
    {
        return u.origin().ascii_serialization();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

fn resource_id(fd: &FrontDoor, headers: &HeaderMap) -> String {
    fd.access().resource.clone().unwrap_or_else(|| format!("{}/mcp", base_url(fd, headers)))
}

async fn resource_metadata(State(fd): State<Arc<FrontDoor>>, headers: HeaderMap) -> Response {
    let servers = fd.access().authorization_servers.clone();
    let mut doc = serde_json::json!({
        "resource": resource_id(&fd, &headers),
        "authorization_servers": servers,
        "bearer_methods_supported": ["header"],
        "resource_name": "k8s-mcp-runtime",
    });
    if servers.is_empty()
        && let Some(map) = doc.as_object_mut()
    {
        map.remove("authorization_servers");
    }
    axum::Json(doc).into_response()
}

async fn authenticate(State(fd): State<Arc<FrontDoor>>, mut req: Request, next: Next) -> Response {
    let jsonrpc = is_jsonrpc_path(req.uri().path());
    let access = fd.access();
    let identity = match &access.authenticator {
        None => fd.anonymous(),
        Some(a) => {
            let (address, user) = (client_address(&req), a.basic_user(req.headers()));
            if let Err(secs) = fd.failed_logins.check(&address, user.as_deref()) {
                metrics::get().auth.with_label_values(&["any", "locked"]).inc();
                return rate_limited("too many failed authentications", secs, jsonrpc);
            }
            match a.authenticate(req.headers(), req.uri().query()).await {
                Ok(id) => {
                    metrics::get().auth.with_label_values(&[id.method.name(), "ok"]).inc();
                    fd.failed_logins.succeeded(user.as_deref());
                    id
                }
                Err(e) => {
                    if matches!(e, AuthError::Invalid(_)) {
                        fd.failed_logins.failed(&address, user.as_deref());
                    }
                    if let Some(limits) = &access.ratelimits
                        && let Err(secs) = limits.check_unauthenticated()
                    {
                        return rate_limited("rate limit exceeded", secs, jsonrpc);
                    }
                    let (result, description) = match &e {
                        AuthError::Missing => ("missing", None),
                        AuthError::Invalid(reason) => ("invalid", Some(reason.as_str())),
                    };
                    metrics::get().auth.with_label_values(&["any", result]).inc();
                    tracing::info!(
                        route = route_label(req.uri().path()),
                        reason = description.unwrap_or("no credential"),
                        "authentication failed"
                    );
                    let metadata = format!("{}{METADATA_PATH}", base_url(&fd, req.headers()));
                    let mut challenge = format!("Bearer resource_metadata=\"{metadata}\"");
                    if let Some(d) = description {
                        let d = d.replace(['"', '\\'], "'");
                        challenge.push_str(&format!(", error=\"invalid_token\", error_description=\"{d}\""));
                    }
                    let message =
                        description.map_or("authentication required".to_string(), |d| format!("unauthorized: {d}"));
                    let mut err =
                        ApiError::new(ErrorKind::Unauthorized, message).challenge(challenge).as_jsonrpc(jsonrpc);
                    err.data.insert("resource_metadata".into(), metadata.into());
                    return err.into_response();
                }
            }
        }
    };
    if let Some(limits) = &access.ratelimits
        && let Err(secs) = limits.check_global().and_then(|()| limits.check_identity(&identity))
    {
        return rate_limited("rate limit exceeded", secs, jsonrpc);
    }
    req.extensions_mut().insert(identity);
    next.run(req).await
}
