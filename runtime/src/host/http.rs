//! Outbound HTTP for guests: wasmtime-wasi-http's `send_request` hook,
//! replaced by one that checks the component's egress policy first (URL,
//! then every resolved address), caps timeouts and body sizes, and records
//! each denial so the tool error can name it.

use crate::policy::egress::{Denial, EgressPolicy, Target};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// Per-call egress state.
pub struct EgressHooks {
    pub policy: Arc<EgressPolicy>,
    pub service: Arc<str>,
    /// Denials of this call, newest last (read by the invoke path).
    pub denials: Arc<Mutex<Vec<String>>>,
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
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
        let denials = self.denials.clone();
        Box::new(async move {
            let uri = request.uri().clone();
            if let Err(denial) = authorize(&policy, &uri).await {
                tracing::warn!(service = &*service, %uri, "egress denied: {denial}");
                if let Ok(mut d) = denials.lock() {
                    d.push(denial.to_string());
                }
                return Err(HttpError::HttpRequestDenied);
            }
            send(&policy, request, options).await
        })
    }
}

/// Check the URL against the rules, then every address the host resolves to.
pub async fn authorize(policy: &EgressPolicy, uri: &http::Uri) -> Result<(), Denial> {
    let scheme = uri.scheme_str().unwrap_or("").to_ascii_lowercase();
    let raw_host = uri.host().unwrap_or("");
    let host = raw_host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let target = Target {
        scheme: &scheme,
        host: &host,
        port,
        path,
    };
    let rule = policy.check(&target)?;
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let lookup =
                tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((host.clone(), port)))
                    .await;
            match lookup {
                Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
                Ok(Err(e)) => {
                    return Err(Denial::Unresolvable {
                        host,
                        reason: e.to_string(),
                    });
                }
                Err(_) => {
                    return Err(Denial::Unresolvable {
                        host,
                        reason: "DNS timed out".into(),
                    });
                }
            }
        }
    };
    EgressPolicy::check_addresses(rule, &host, &addrs)
}

async fn send(
    policy: &EgressPolicy,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
> {
    let max_req = policy.max_request_bytes;
    check_declared(request.headers(), max_req, HttpError::HttpRequestBodySize)?;
    let request = request.map(|b| limited(b, max_req, HttpError::HttpRequestBodySize));
    let cap = |t: Option<Duration>| Some(t.map_or(policy.timeout, |t| t.min(policy.timeout)));
    let options = options.unwrap_or_default();
    let options = RequestOptions {
        connect_timeout: cap(options.connect_timeout),
        first_byte_timeout: cap(options.first_byte_timeout),
        between_bytes_timeout: cap(options.between_bytes_timeout),
    };
    let (response, io) = wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
    let max_resp = policy.max_response_bytes;
    check_declared(
        response.headers(),
        max_resp,
        HttpError::HttpResponseBodySize,
    )?;
    let response = response.map(|b| limited(b, max_resp, HttpError::HttpResponseBodySize));
    Ok((response, Box::new(io)))
}

/// Refuse a declared length above `max`.
fn check_declared(
    headers: &http::HeaderMap,
    max: u64,
    too_large: fn(Option<u64>) -> HttpError,
) -> Result<(), HttpError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
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
