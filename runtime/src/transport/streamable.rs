//! Streamable HTTP (rmcp's service at `/mcp`), the legacy SSE endpoint and
//! liveness, behind the middleware stack of [`super::http`]; graceful
//! shutdown waits for calls in flight.

use crate::call::Pipeline;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::mcp::McpHandler;
use crate::transport::sessions::Sessions;
use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The HTTP router: MCP at `/mcp` behind the front door, liveness at
/// `/healthz`, protected resource metadata under `/.well-known/`.
pub fn router(core: Arc<Pipeline>, config: &Config, shutdown: CancellationToken) -> axum::Router {
    let frontdoor = core.frontdoor.clone();
    let (core_for_sse, shutdown_for_sse) = (core.clone(), shutdown.clone());
    let mut http_config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(config.allowed_hosts.clone())
        .with_cancellation_token(shutdown);
    if !config.allowed_origins.is_empty() {
        http_config = http_config.with_allowed_origins(config.allowed_origins.clone());
    }
    let mut manager = LocalSessionManager::default();
    manager.session_config.keep_alive = Some(config.sessions.idle);
    let manager = Arc::new(manager);
    let sessions = Arc::new(Sessions::new(config.sessions, manager.clone()));
    let service = StreamableHttpService::new(move || Ok(McpHandler::new(core.clone())), manager, http_config);
    let legacy_sse = crate::transport::sse::router(core_for_sse, shutdown_for_sse);
    let mcp = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(sessions, crate::transport::sessions::guard));
    let protected = mcp.merge(legacy_sse);
    let public = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    crate::transport::http::assemble(protected, public, frontdoor)
}

/// Serve HTTP on `listener` until `shutdown` is cancelled.
pub async fn serve(
    core: Arc<Pipeline>,
    config: &Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<()> {
    let addr: SocketAddr = listener.local_addr().map_err(|e| Error::Io("listener".into(), e))?;
    if !addr.ip().is_loopback() && !config.frontdoor.auth_enabled {
        tracing::warn!(
            %addr,
            "INSECURE: serving WITHOUT AUTHENTICATION on a non-loopback address (--insecure-no-auth); \
             anyone who can reach this address can call every tool"
        );
    }
    tracing::info!(%addr, auth = config.frontdoor.auth_enabled, "serving MCP over streamable HTTP at /mcp");
    let pipeline = core.clone();
    // MCP sessions end only after calls in flight finished (or the grace period passed).
    let sessions = CancellationToken::new();
    let app = router(core, config, sessions.clone());
    // Small JSON-RPC answers must not wait for Nagle's algorithm / delayed ACKs.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let stopping = shutdown.clone();
    // The peer's address feeds the per-address failed-login limit.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move { stopping.cancelled_owned().await });
    let server = tokio::spawn(async move { server.await });
    shutdown.cancelled().await;
    let deadline = tokio::time::Instant::now() + config.frontdoor.shutdown_grace;
    while pipeline.in_flight.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(SHUTDOWN_POLL).await;
    }
    sessions.cancel();
    let result = match tokio::time::timeout_at(deadline + SHUTDOWN_POLL * 20, server).await {
        Ok(Ok(r)) => r.map_err(|e| Error::Transport(format!("http: {e}"))),
        Ok(Err(e)) => Err(Error::Transport(format!("http server task: {e}"))),
        Err(_) => {
            tracing::warn!("connections still open after the grace period; closing");
            Ok(())
        }
    };
    if let Some(audit) = &pipeline.audit {
        audit.flush();
    }
    result
}

/// How often shutdown checks whether calls in flight have finished.
const SHUTDOWN_POLL: std::time::Duration = std::time::Duration::from_millis(50);
