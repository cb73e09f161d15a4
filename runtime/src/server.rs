//! Wiring: config -> sandbox -> registry -> MCP handler -> transport.

use crate::cli::Transport;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::frontdoor::FrontDoor;
use crate::frontdoor::admin::Readiness;
use crate::mcp::{McpCore, McpHandler};
use crate::sandbox::{Registry, Sandbox};
use crate::tenant::Catalog;
use axum::serve::ListenerExt;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Load the components named by `config` and build the shared MCP core.
pub async fn build_core(config: &Config) -> Result<Arc<McpCore>> {
    let kube = crate::kube::KubeService::connect(&config.kubernetes).await?;
    match &kube {
        Some(k) => tracing::info!(contexts = ?k.contexts().0, default = k.contexts().1, "Kubernetes access configured"),
        None => tracing::info!("no Kubernetes configuration found; kube capability disabled"),
    }
    let helm = crate::host::helm::HelmService::new(&config.helm, &config.kubernetes)?;
    let sandbox = Sandbox::new(config.cache_dir.as_deref(), config.max_in_flight)?
        .with_kube(kube)
        .with_helm(Some(helm))
        .with_trust(config.trust.clone());
    let registry = Registry::load(&sandbox, &config.components_dir, &config.components).await?;
    for c in registry.components() {
        tracing::info!(component = &*c.name, tools = c.tools.len(), path = %c.path.display(), "loaded component");
    }
    let catalog = Catalog::build(
        &sandbox,
        registry,
        &config.tenants,
        sandbox.kube.as_ref(),
        &config.kubernetes.policy,
        config.read_only,
    )
    .await?;
    for (name, scope) in &catalog.tenants {
        tracing::info!(tenant = %name, tools = scope.tools.len(), "tenant configured");
    }
    let mut frontdoor =
        FrontDoor::with_hosts(&config.frontdoor, &config.tenant, &config.allowed_origins, &config.allowed_hosts)?;
    frontdoor.auth_required = config.requires_auth();
    Ok(Arc::new(
        McpCore::with_catalog(sandbox, catalog, config.tenant.clone(), config.read_only)
            .with_frontdoor(Arc::new(frontdoor)),
    ))
}

/// Run the configured transport until the client disconnects (stdio) or a
/// shutdown signal arrives (HTTP).
pub async fn serve(config: Config) -> Result<()> {
    serve_reloadable(config, None).await
}

/// [`serve`], reloading components and tenants from `args` on SIGHUP.
pub async fn serve_reloadable(config: Config, args: Option<crate::cli::ServeArgs>) -> Result<()> {
    if config.transport == Transport::Stdio {
        if config.frontdoor.audit.as_ref().is_some_and(|a| a.stdout) {
            return Err(Error::invalid("audit.stdout", "cannot be used with the stdio transport: stdout carries MCP"));
        }
        let core = build_core(&config).await?;
        let _watcher = match args {
            Some(args) => start_reloading(&core, &config, args)?,
            None => None,
        };
        return serve_stdio(core).await;
    }
    // The admin listener comes up first, so /readyz can say "loading".
    let readiness = Arc::new(Readiness::default());
    if let Some(addr) = config.frontdoor.admin_listen {
        let listener = TcpListener::bind(addr).await.map_err(|e| Error::Io(format!("bind admin.listen {addr}"), e))?;
        tracing::info!(%addr, "admin listener: /metrics /healthz /readyz");
        let app = crate::frontdoor::admin::router(readiness.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("admin listener: {e}");
            }
        });
    }
    let listener =
        TcpListener::bind(config.listen).await.map_err(|e| Error::Io(format!("bind {}", config.listen), e))?;
    let core = build_core(&config).await?;
    let _watcher = match args {
        Some(args) => start_reloading(&core, &config, args)?,
        None => None,
    };
    readiness.set(core.clone());
    let shutdown = CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested: no new connections, finishing calls in flight");
        signal.cancel();
    });
    serve_http(core, &config, listener, shutdown).await
}

/// Reload on SIGHUP and, when configured, on file changes.
fn start_reloading(
    core: &Arc<McpCore>,
    config: &Config,
    args: crate::cli::ServeArgs,
) -> Result<Option<notify::RecommendedWatcher>> {
    let watcher = if config.watch {
        let mut dirs = vec![config.components_dir.clone()];
        dirs.extend(config.tenants.values().filter_map(|t| t.components_dir.clone()));
        tracing::info!(?dirs, "watching the configuration and components for changes");
        Some(crate::tenant::reload::on_change(core.clone(), args.clone(), args.config.clone(), dirs)?)
    } else {
        None
    };
    crate::tenant::reload::on_sighup(core.clone(), args);
    Ok(watcher)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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

/// The HTTP router: MCP at `/mcp` behind the front door, liveness at
/// `/healthz`, protected resource metadata under `/.well-known/`.
pub fn router(core: Arc<McpCore>, config: &Config, shutdown: CancellationToken) -> axum::Router {
    let frontdoor = core.frontdoor.clone();
    let (core_for_sse, shutdown_for_sse) = (core.clone(), shutdown.clone());
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
    let legacy_sse = crate::frontdoor::sse::router(core_for_sse, shutdown_for_sse);
    let protected = axum::Router::new().nest_service("/mcp", service).merge(legacy_sse);
    let public = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    crate::frontdoor::http::assemble(protected, public, frontdoor)
}

/// Serve HTTP on `listener` until `shutdown` is cancelled.
pub async fn serve_http(
    core: Arc<McpCore>,
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
    let frontdoor = core.frontdoor.clone();
    // MCP sessions end only after calls in flight finished (or the grace period passed).
    let sessions = CancellationToken::new();
    let app = router(core, config, sessions.clone());
    // Small JSON-RPC answers must not wait for Nagle's algorithm / delayed ACKs.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let stopping = shutdown.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move { stopping.cancelled_owned().await });
    let server = tokio::spawn(async move { server.await });
    shutdown.cancelled().await;
    let deadline = tokio::time::Instant::now() + config.frontdoor.shutdown_grace;
    while frontdoor.in_flight.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
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
    if let Some(audit) = &frontdoor.audit {
        audit.flush();
    }
    result
}

/// How often shutdown checks whether calls in flight have finished.
const SHUTDOWN_POLL: std::time::Duration = std::time::Duration::from_millis(50);
