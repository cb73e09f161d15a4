//! Outbound HTTP for guests: wasmtime-wasi-http's `send_request` hook,
//! replaced by one that checks the component's egress policy first (URL,
//! then every resolved address), caps timeouts and body sizes, retries
//! idempotent requests, trips per-origin circuit breakers, and records each
//! refusal so the tool error can name it.

mod connect;
pub mod resilience;
pub mod tls;

use crate::policy::egress::{Denial, EgressPolicy, Origin};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use resilience::Breakers;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpHooks};

const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// Per-call outbound HTTP: wasi:http's context and the policy-checking
/// hooks. wasi:http shares the store's resource table with WASI, so the
/// sandbox links it (`sandbox::store`) rather than the `capabilities!` list.
pub struct HttpState {
    pub ctx: WasiHttpCtx,
    pub hooks: EgressHooks,
}

impl HttpState {
    pub fn for_call(env: &super::CallEnv<'_>) -> Self {
        Self {
            ctx: WasiHttpCtx::new(),
            hooks: EgressHooks {
                policy: env.egress.clone(),
                service: env.service.clone(),
                breakers: env.breakers.clone(),
                tls: env.tls.clone(),
                notes: Arc::new(Mutex::new(Vec::new())),
                granted: env.grants.contains(crate::policy::Grant::Http),
            },
        }
    }

    /// The newest refusal of this call, for the tool error.
    pub fn last_denial(&self) -> Option<String> {
        self.hooks.notes.lock().ok().and_then(|n| n.last().cloned())
    }
}

/// Per-call egress state.
pub struct EgressHooks {
    pub policy: Arc<EgressPolicy>,
    pub service: Arc<str>,
    /// Shared by all calls of the component.
    pub breakers: Arc<Breakers>,
    pub tls: Arc<TlsRouting>,
    /// Why requests of this call were refused, newest last (read by the invoke path).
    pub notes: Arc<Mutex<Vec<String>>>,
    /// Without the `http` grant every request is refused before any check.
    pub granted: bool,
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let policy = self.policy.clone();
        let service = self.service.clone();
        let notes = self.notes.clone();
        let breakers = self.breakers.clone();
        let tls = self.tls.clone();
        let granted = self.granted;
        Box::new(async move {
            let note = |text: String| {
                if let Ok(mut n) = notes.lock() {
                    n.push(text);
                }
            };
            if !granted {
                note(super::denied(&service, crate::policy::Grant::Http));
                return Err(HttpError::HttpRequestDenied);
            }
            let uri = request.uri().clone();
            let vetted = match Origin::of_uri(&uri) {
                Ok(origin) => authorize_origin(&policy, &origin, &uri).await.map(|addrs| (origin, addrs)),
                Err(reason) => Err(Denial::InvalidHost { reason }),
            };
            let (origin, addrs) = match vetted {
                Ok(vetted) => vetted,
                Err(denial) => {
                    tracing::warn!(service = &*service, %uri, "egress denied: {denial}");
                    note(denial.to_string());
                    return Err(HttpError::HttpRequestDenied);
                }
            };
            // Breakers, TLS routing and metrics key on the normalised origin.
            let server_name = origin.host.clone();
            let origin = origin.to_string();
            if let Err(remaining) = breakers.admit(&origin) {
                note(format!(
                    "circuit breaker open for {origin} after repeated failures; retrying in {} s",
                    remaining.as_secs().max(1)
                ));
                return Err(HttpError::ConnectionRefused);
            }
            let tls_config = (uri.scheme() == Some(&http::uri::Scheme::HTTPS)).then(|| tls.config_for(&origin));
            let target = Vetted { origin: &origin, server_name: &server_name, addrs: &addrs, tls: tls_config };
            let result = send(&policy, &breakers, target, request, options).await;
            if let Err(e) = &result {
                let text = match e {
                    HttpError::HttpResponseBodySize(n) => format!(
                        "response body{} exceeds the policy limit of {} bytes",
                        n.map(|n| format!(" of {n} bytes")).unwrap_or_default(),
                        policy.max_response_bytes
                    ),
                    HttpError::HttpRequestBodySize(n) => format!(
                        "request body{} exceeds the policy limit of {} bytes",
                        n.map(|n| format!(" of {n} bytes")).unwrap_or_default(),
                        policy.max_request_bytes
                    ),
                    other => other.to_string(),
                };
                note(format!("{origin}: {text}"));
            }
            result
        })
    }
}

/// Check the URL against the rules, then every address the host resolves to.
/// Returns the vetted socket addresses: the only ones the request may use.
pub async fn authorize(policy: &EgressPolicy, uri: &http::Uri) -> Result<Vec<SocketAddr>, Denial> {
    let origin = Origin::of_uri(uri).map_err(|reason| Denial::InvalidHost { reason })?;
    authorize_origin(policy, &origin, uri).await
}

async fn authorize_origin(policy: &EgressPolicy, origin: &Origin, uri: &http::Uri) -> Result<Vec<SocketAddr>, Denial> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let rule = policy.check(&origin.target(path))?;
    let host = &origin.host;
    let addrs: Vec<IpAddr> = match origin.ip() {
        Some(ip) => vec![ip],
        None => {
            let lookup = tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((host.as_str(), origin.port))).await;
            match lookup {
                Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
                Ok(Err(e)) => {
                    return Err(Denial::Unresolvable { host: host.clone(), reason: e.to_string() });
                }
                Err(_) => {
                    return Err(Denial::Unresolvable { host: host.clone(), reason: "DNS timed out".into() });
                }
            }
        }
    };
    EgressPolicy::check_addresses(rule, host, &addrs)?;
    Ok(addrs.into_iter().map(|ip| SocketAddr::new(ip, origin.port)).collect())
}

/// Which TLS configuration each origin of a component gets.
#[derive(Debug, Default)]
pub struct TlsRouting {
    /// Origins (`https://host:port`) of the component's configured backend.
    pub backend_origins: Vec<String>,
    pub backend: Option<Arc<rustls::ClientConfig>>,
}

impl TlsRouting {
    fn config_for(&self, origin: &str) -> Arc<rustls::ClientConfig> {
        match &self.backend {
            Some(c) if self.backend_origins.iter().any(|o| o == origin) => c.clone(),
            _ => tls::default_config(),
        }
    }
}

/// Where an authorized request goes.
struct Vetted<'a> {
    origin: &'a str,
    /// The normalised host, for TLS server name indication.
    server_name: &'a str,
    addrs: &'a [SocketAddr],
    tls: Option<Arc<rustls::ClientConfig>>,
}

type SendResult = Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>), HttpError>;

async fn send(
    policy: &EgressPolicy,
    breakers: &Breakers,
    target: Vetted<'_>,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> SendResult {
    let origin = target.origin;
    let max_req = policy.max_request_bytes;
    check_declared(request.headers(), max_req, HttpError::HttpRequestBodySize)?;
    let cap = |t: Option<Duration>| Some(t.map_or(policy.timeout, |t| t.min(policy.timeout)));
    let options = options.unwrap_or_default();
    let options = RequestOptions {
        connect_timeout: cap(options.connect_timeout),
        first_byte_timeout: cap(options.first_byte_timeout),
        between_bytes_timeout: cap(options.between_bytes_timeout),
    };
    let no_body = request.headers().get(http::header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0");
    let idempotent = matches!(*request.method(), http::Method::GET | http::Method::HEAD) && no_body;
    let retries = if idempotent { policy.retries } else { 0 };
    let (parts, body) = request.into_parts();
    let mut body = Some(body);
    let mut attempt = 0;
    loop {
        let mut builder =
            http::Request::builder().method(parts.method.clone()).uri(parts.uri.clone()).version(parts.version);
        if let Some(headers) = builder.headers_mut() {
            headers.extend(parts.headers.clone());
        }
        // The first attempt streams the guest's body; retries are bodiless GET/HEAD.
        let attempt_body = body.take().unwrap_or_else(empty_body);
        let request = builder
            .body(limited(attempt_body, max_req, HttpError::HttpRequestBodySize))
            .map_err(|_| HttpError::HttpRequestUriInvalid)?;
        let connect = connect::Connect {
            addrs: target.addrs,
            server_name: target.server_name,
            tls: target.tls.clone(),
            connect_timeout: options.connect_timeout.unwrap_or(policy.timeout),
            first_byte_timeout: options.first_byte_timeout.unwrap_or(policy.timeout),
            between_bytes_timeout: options.between_bytes_timeout.unwrap_or(policy.timeout),
        };
        let outcome = connect::send(request, connect).await;
        let transient = match &outcome {
            Ok((response, _)) => resilience::is_transient_status(response.status()),
            Err(e) => resilience::is_transient(e),
        };
        let server_error = matches!(&outcome, Ok((r, _)) if r.status().is_server_error());
        breakers.record(origin, !transient && !server_error, policy.breaker_failures, policy.breaker_cooldown);
        if transient && attempt < retries && breakers.admit(origin).is_ok() {
            attempt += 1;
            tracing::debug!(origin, attempt, "retrying after a transient failure");
            tokio::time::sleep(resilience::backoff(attempt)).await;
            continue;
        }
        let (response, io) = outcome?;
        let max_resp = policy.max_response_bytes;
        check_declared(response.headers(), max_resp, HttpError::HttpResponseBodySize)?;
        let response = response.map(|b| limited(b, max_resp, HttpError::HttpResponseBodySize));
        return Ok((response, io));
    }
}

fn empty_body() -> WasiBody {
    http_body_util::Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// Refuse a declared length above `max`.
fn check_declared(
    headers: &http::HeaderMap,
    max: u64,
    too_large: fn(Option<u64>) -> HttpError,
) -> Result<(), HttpError> {
    let declared =
        headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max => Err(too_large(declared)),
        _ => Ok(()),
    }
}

/// Cap a streaming body at `max` bytes.
fn limited<B>(body: B, max: u64, too_large: fn(Option<u64>) -> HttpError) -> WasiBody
where
    B: http_body::Body<Data = bytes::Bytes, Error = HttpError> + Send + 'static,
{
    Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX))
        .map_err(move |e| limit_error(e, too_large(Some(max))))
        .boxed_unsync()
}

/// `Limited` boxes errors: give back the inner HTTP error, or `over_limit`.
fn limit_error(e: Box<dyn std::error::Error + Send + Sync>, over_limit: HttpError) -> HttpError {
    if e.is::<LengthLimitError>() {
        return over_limit;
    }
    match e.downcast::<HttpError>() {
        Ok(inner) => *inner,
        Err(_) => HttpError::HttpProtocolError,
    }
}
