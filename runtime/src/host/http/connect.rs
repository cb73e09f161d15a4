//! The runtime's own HTTP/1.1 client for guest requests. It connects only to
//! the addresses the egress check vetted (so a DNS answer cannot change
//! between the check and the connection), and uses the component's TLS
//! settings (extra CA, client certificate, or verification off) for its
//! backend origins.

use http_body::Frame;
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

/// How to connect: vetted addresses, TLS configuration, timeouts.
pub struct Connect<'a> {
    pub addrs: &'a [SocketAddr],
    pub server_name: &'a str,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub between_bytes_timeout: Duration,
}

pub type Sent = (http::Response<ResponseBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>);

/// Send `request` over a new connection to the first reachable vetted address.
pub async fn send(mut request: http::Request<WasiBody>, c: Connect<'_>) -> Result<Sent, HttpError> {
    let mut last = HttpError::ConnectionRefused;
    let mut stream = None;
    for addr in c.addrs {
        match tokio::time::timeout(c.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => last = HttpError::ConnectionRefused,
            Ok(Err(e)) => last = HttpError::Connect(e),
            Err(_) => last = HttpError::ConnectionTimeout,
        }
    }
    let stream = stream.ok_or(last)?;
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    *request.uri_mut() =
        http::Uri::builder().path_and_query(path).build().map_err(|_| HttpError::HttpRequestUriInvalid)?;
    let (mut sender, conn) = match c.tls {
        Some(config) => {
            let name = rustls::pki_types::ServerName::try_from(c.server_name.to_string())
                .map_err(|_| HttpError::TlsCertificateError)?;
            let tls =
                tokio::time::timeout(c.connect_timeout, tokio_rustls::TlsConnector::from(config).connect(name, stream))
                    .await
                    .map_err(|_| HttpError::ConnectionTimeout)?
                    .map_err(HttpError::Tls)?;
            handshake(wasmtime_wasi_http::io::TokioIo::new(tls), c.connect_timeout).await?
        }
        None => handshake(wasmtime_wasi_http::io::TokioIo::new(stream), c.connect_timeout).await?,
    };
    let response = tokio::time::timeout(c.first_byte_timeout, sender.send_request(request))
        .await
        .map_err(|_| HttpError::ConnectionReadTimeout)?
        .map_err(from_hyper)?;
    let between = c.between_bytes_timeout.max(Duration::from_millis(1));
    let response =
        response.map(|incoming| ResponseBody { incoming, between, deadline: Box::pin(tokio::time::sleep(between)) });
    Ok((response, conn))
}

/// A hyper error, or the request body's own error when that is what
/// stopped the request (e.g. the body went over the policy's size limit).
fn from_hyper(e: hyper::Error) -> HttpError {
    match std::error::Error::source(&e).and_then(|s| s.downcast_ref::<HttpError>()) {
        Some(HttpError::HttpRequestBodySize(n)) => HttpError::HttpRequestBodySize(*n),
        _ => HttpError::from(e),
    }
}

type Handshake =
    (hyper::client::conn::http1::SendRequest<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>);

async fn handshake<T>(io: T, timeout: Duration) -> Result<Handshake, HttpError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = tokio::time::timeout(timeout, hyper::client::conn::http1::handshake(io))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(HttpError::from)?;
    // The connection future drives the socket; the guest's wasi:http
    // machinery awaits it once the response body is consumed.
    let driver = tokio::spawn(conn);
    let done = async move {
        match driver.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(HttpError::from(e)),
            Err(_) => Err(HttpError::ConnectionTerminated),
        }
    };
    Ok((sender, Box::new(done)))
}

/// A response body that fails when no frame arrives within `between`.
pub struct ResponseBody {
    incoming: Incoming,
    between: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for ResponseBody {
    type Data = bytes::Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = tokio::time::Instant::now() + self.between;
                self.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(HttpError::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                ready!(self.deadline.as_mut().poll(cx));
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}
