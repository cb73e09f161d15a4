//! A small blocking HTTP client over `wasi:http/outgoing-handler`.
//!
//! Every request, including each redirect hop, goes through the runtime's
//! egress policy; a refused request surfaces as [`HttpError::Denied`].

use crate::ToolError;
use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use crate::bindings::wasi::io::streams::StreamError;
use std::fmt;

const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS: u64 = 30_000;
const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// Why an HTTP request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The URL could not be parsed or used.
    InvalidUrl(String),
    /// The runtime's egress policy refused the request.
    Denied(String),
    /// The response body exceeded the caller's limit.
    TooLarge(usize),
    /// Too many redirects.
    Redirects(u32),
    /// Transport failure (DNS, connect, TLS, timeout, protocol).
    Transport(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(m) => write!(f, "invalid URL: {m}"),
            Self::Denied(url) => write!(f, "request to {url} denied by the egress policy"),
            Self::TooLarge(n) => write!(f, "response body larger than {n} bytes"),
            Self::Redirects(n) => write!(f, "more than {n} redirects"),
            Self::Transport(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for ToolError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::InvalidUrl(_) => ToolError::InvalidArguments(e.to_string()),
            HttpError::Denied(_) => ToolError::Denied(e.to_string()),
            _ => ToolError::Upstream(e.to_string()),
        }
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The URL that produced this response (after redirects).
    pub url: String,
    /// True when the body was cut at `max_response_bytes` (see [`Request::truncate`]).
    pub truncated: bool,
}

impl Response {
    /// First header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Parse the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ToolError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ToolError::upstream(format!("invalid JSON from {}: {e}", self.url)))
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// An HTTP request builder.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout_ms: u64,
    max_response_bytes: usize,
    truncate: bool,
    max_redirects: u32,
}

/// Start a GET request.
pub fn get(url: impl Into<String>) -> Request {
    Request::new("GET", url)
}

/// Start a POST request.
pub fn post(url: impl Into<String>) -> Request {
    Request::new("POST", url)
}

impl Request {
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            truncate: false,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn json_body<T: serde::Serialize>(self, value: &T) -> Result<Self, ToolError> {
        let body = serde_json::to_vec(value)?;
        Ok(self.header("content-type", "application/json").body(body))
    }

    /// Overall per-hop timeout (connect, first byte, between bytes).
    pub fn timeout_ms(mut self, ms: u64) -> Self {
        self.timeout_ms = ms.max(1);
        self
    }

    /// Largest body to read. Larger bodies fail with [`HttpError::TooLarge`]
    /// unless [`Request::truncate`] is set.
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// Cut oversized bodies at the limit instead of failing.
    pub fn truncate(mut self, yes: bool) -> Self {
        self.truncate = yes;
        self
    }

    /// Follow at most `n` redirects (0 disables following).
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = n;
        self
    }

    /// Send the request, following redirects; each hop is policy-checked.
    pub fn send(self) -> Result<Response, HttpError> {
        let mut url = url::Url::parse(&self.url).map_err(|e| HttpError::InvalidUrl(format!("{}: {e}", self.url)))?;
        let mut method = self.method.clone();
        let mut body = self.body.clone();
        for _ in 0..=self.max_redirects {
            let resp = self.send_once(&method, &url, &body)?;
            let location = match resp.status {
                301 | 302 | 303 | 307 | 308 => resp.header("location").map(str::to_string),
                _ => None,
            };
            let Some(location) = location else { return Ok(resp) };
            url = url
                .join(&location)
                .map_err(|e| HttpError::Transport(format!("bad redirect location {location:?}: {e}")))?;
            if resp.status == 303 || ((resp.status == 301 || resp.status == 302) && method == "POST") {
                method = "GET".into();
                body.clear();
            }
        }
        Err(HttpError::Redirects(self.max_redirects))
    }

    fn send_once(&self, method: &str, url: &url::Url, body: &[u8]) -> Result<Response, HttpError> {
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(HttpError::InvalidUrl(format!("unsupported scheme `{other}` (use http or https)"))),
        };
        let host = url.host_str().ok_or_else(|| HttpError::InvalidUrl(format!("{url}: no host")))?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        let entries: Vec<(String, Vec<u8>)> =
            self.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone().into_bytes())).collect();
        let fields = Fields::from_list(&entries).map_err(|e| HttpError::InvalidUrl(format!("bad header: {e:?}")))?;
        let request = OutgoingRequest::new(fields);
        let wasi_method = match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.to_string()),
        };
        let bad = |what: &str| HttpError::InvalidUrl(format!("{url}: bad {what}"));
        request.set_method(&wasi_method).map_err(|_| bad("method"))?;
        request.set_scheme(Some(&scheme)).map_err(|_| bad("scheme"))?;
        request.set_authority(Some(&authority)).map_err(|_| bad("authority"))?;
        request.set_path_with_query(Some(&path)).map_err(|_| bad("path"))?;

        let timeout_ns = self.timeout_ms.saturating_mul(1_000_000);
        let options = RequestOptions::new();
        let _ = options.set_connect_timeout(Some(timeout_ns));
        let _ = options.set_first_byte_timeout(Some(timeout_ns));
        let _ = options.set_between_bytes_timeout(Some(timeout_ns));

        let outgoing_body = request.body().map_err(|_| HttpError::Transport("request body unavailable".into()))?;
        let future = outgoing_handler::handle(request, Some(options)).map_err(|e| map_error(e, url))?;
        // A body the host refuses (e.g. over the policy's size limit) closes
        // the stream; the request's own error then says why, so it wins over
        // the bare write failure.
        let mut write_failed = None;
        {
            let stream =
                outgoing_body.write().map_err(|_| HttpError::Transport("request body stream unavailable".into()))?;
            for chunk in body.chunks(4096) {
                if let Err(e) = stream.blocking_write_and_flush(chunk) {
                    write_failed = Some(HttpError::Transport(format!("{url}: writing request body: {e:?}")));
                    break;
                }
            }
        }
        if write_failed.is_none() {
            OutgoingBody::finish(outgoing_body, None).map_err(|e| map_error(e, url))?;
        } else {
            drop(outgoing_body);
        }

        let incoming = loop {
            match future.get() {
                Some(result) => break result,
                None => future.subscribe().block(),
            }
        };
        let incoming = incoming
            .map_err(|()| HttpError::Transport("response already taken".into()))?
            .map_err(|e| map_error(e, url))?;
        if let Some(e) = write_failed {
            return Err(e);
        }

        let status = incoming.status();
        let headers = incoming
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let body_resource =
            incoming.consume().map_err(|()| HttpError::Transport("response body unavailable".into()))?;
        let mut data = Vec::new();
        let mut truncated = false;
        {
            let stream =
                body_resource.stream().map_err(|()| HttpError::Transport("response stream unavailable".into()))?;
            loop {
                match stream.blocking_read(64 * 1024) {
                    Ok(chunk) => {
                        if data.len() + chunk.len() > self.max_response_bytes {
                            if !self.truncate {
                                return Err(HttpError::TooLarge(self.max_response_bytes));
                            }
                            let room = self.max_response_bytes - data.len();
                            data.extend_from_slice(&chunk[..room]);
                            truncated = true;
                            break;
                        }
                        data.extend_from_slice(&chunk);
                    }
                    Err(StreamError::Closed) => break,
                    Err(StreamError::LastOperationFailed(e)) => {
                        return Err(HttpError::Transport(format!("reading response: {}", e.to_debug_string())));
                    }
                }
            }
        }
        if !truncated {
            let _ = IncomingBody::finish(body_resource);
        }
        Ok(Response { status, headers, body: data, url: url.to_string(), truncated })
    }
}

fn map_error(e: ErrorCode, url: &url::Url) -> HttpError {
    match e {
        ErrorCode::HttpRequestDenied => HttpError::Denied(url.to_string()),
        ErrorCode::HttpResponseBodySize(_) => {
            HttpError::Transport(format!("{url}: response body exceeds the runtime's size limit"))
        }
        ErrorCode::HttpRequestBodySize(n) => HttpError::Transport(format!(
            "{url}: request body{} exceeds the policy's max_request_bytes",
            n.map(|n| format!(" of {n} bytes")).unwrap_or_default()
        )),
        ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout => {
            HttpError::Transport(format!("{url}: timed out"))
        }
        ErrorCode::ConnectionRefused => HttpError::Transport(format!("{url}: connection refused")),
        ErrorCode::DnsError(d) => HttpError::Transport(format!("{url}: DNS error {:?}", d.rcode)),
        other => HttpError::Transport(format!("{url}: {other:?}")),
    }
}
