//! Wiring: config -> sandbox -> registry -> MCP handler -> transport.

use crate::cli::Transport;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::mcp::{McpCore, McpHandler};
use crate::sandbox::{Registry, Sandbox};
use axum::serve::ListenerExt;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Load the components named by `config` and build the shared MCP core.
pub async fn build_core(config: &Config) -> Result<Arc<McpCore>> {
    let kube = crate::kube::KubeService::connect(&config.kubernetes).await?;
    match &kube {
        Some(k) => tracing::info!(contexts = ?k.contexts().0, default = k.contexts().1, "Kubernetes access configured"),
        None => tracing::info!("no Kubernetes configuration found; kube capability disabled"),
    }
    let sandbox = Sandbox::new(config.cache_dir.as_deref(), config.max_in_flight)?.with_kube(kube);
    let registry = Registry::load(&sandbox, &config.components_dir, &config.components).await?;
    for c in registry.components() {
        tracing::info!(component = &*c.name, tools = c.tools.len(), path = %c.path.display(), "loaded component");
    }
    Ok(Arc::new(McpCore::new(sandbox, registry, config.tenant.clone(), config.read_only)))
}

/// Run the configured transport until the client disconnects (stdio) or a
/// shutdown signal arrives (HTTP).
pub async fn serve(config: Config) -> Result<()> {
    let core = build_core(&config).await?;
    match config.transport {
        Transport::Stdio => serve_stdio(core).await,
        Transport::Http => {
            let listener =
                TcpListener::bind(config.listen).await.map_err(|e| Error::Io(format!("bind {}", config.listen), e))?;
            let shutdown = CancellationToken::new();
            let signal = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                signal.cancel();
            });
            serve_http(core, &config, listener, shutdown).await
        }
    }
}

async fn serve_stdio(core: Arc<McpCore>) -> Result<()> {
    tracing::info!("serving MCP over stdio");
    let service = McpHandler::new(core)
        .serve(rmcp::transport::io::stdio_pipes())
        .await
        .map_err(|e| Error::Transport(format!("stdio: {e}")))?;
    service.waiting().await.map_err(|e| Error::Transport(format!("stdio: {e}")))?;
    Ok(())
}

/// The HTTP router: MCP at `/mcp`, liveness at `/healthz`.
pub fn router(core: Arc<McpCore>, config: &Config, shutdown: CancellationToken) -> axum::Router {
    let mut http_config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(config.allowed_hosts.clone())
        .with_cancellation_token(shutdown);
    if !config.allowed_origins.is_empty() {
        http_config = http_config.with_allowed_origins(config.allowed_origins.clone());
    }
    let service = StreamableHttpService::new(
        move || Ok(McpHandler::new(core.clone())),
        Arc::new(LocalSessionManager::default()),
        http_config,
    );
    axum::Router::new().nest_service("/mcp", service).route("/healthz", axum::routing::get(|| async { "ok" }))
}

/// Serve HTTP on `listener` until `shutdown` is cancelled.
pub async fn serve_http(
    core: Arc<McpCore>,
    config: &Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<()> {
    let addr: SocketAddr = listener.local_addr().map_err(|e| Error::Io("listener".into(), e))?;
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, "serving without authentication on a non-loopback address");
    }
    tracing::info!(%addr, "serving MCP over streamable HTTP at /mcp");
    let app = router(core, config, shutdown.clone());
    // Small JSON-RPC answers must not wait for Nagle's algorithm / delayed ACKs.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled_owned().await })
        .await
        .map_err(|e| Error::Transport(format!("http: {e}")))
}
