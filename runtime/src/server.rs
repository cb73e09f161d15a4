//! Wiring: config → Kubernetes and Helm services → sandbox → registry →
//! catalog → call pipeline → transport; the admin listener and reloads.

pub mod admin;
pub mod reload;

use crate::audit::AuditLog;
use crate::auth::FrontDoor;
use crate::call::Pipeline;
use crate::config::{Config, Transport};
use crate::error::{Error, Result};
use crate::sandbox::{Registry, Sandbox};
use crate::server::admin::Readiness;
use crate::tenant::Catalog;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use crate::transport::streamable::{router, serve as serve_http};

/// Load the components named by `config` and build the call pipeline.
pub async fn build_core(config: &Config) -> Result<Arc<Pipeline>> {
    let kube = crate::kube::KubeService::connect(&config.kubernetes).await?;
    match &kube {
        Some(k) => tracing::info!(contexts = ?k.contexts().0, default = k.contexts().1, "Kubernetes access configured"),
        None => tracing::info!("no Kubernetes configuration found; kube capability disabled"),
    }
    let helm = crate::host::helm::HelmService::new(&config.helm, &config.kubernetes)?;
    let sandbox = Sandbox::new(config.cache_dir.as_deref(), config.max_in_flight)?
        .with_kube(kube)
        .with_helm(Some(helm))
        .with_trust(config.trust.clone())
        .with_load_rules(config.load);
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
    let audit = match &config.frontdoor.audit {
        Some(section) => Some(AuditLog::open(section)?),
        None => None,
    };
    Ok(Arc::new(
        Pipeline::with_catalog(sandbox, catalog, config.tenant.clone(), config.read_only)
            .with_frontdoor(Arc::new(frontdoor))
            .with_audit(audit),
    ))
}

/// Run the configured transport until the client disconnects (stdio) or a
/// shutdown signal arrives (HTTP).
pub async fn serve(config: Config) -> Result<()> {
    serve_reloadable(config, None).await
}

/// [`serve`], reloading components and tenants from `args` on SIGHUP.
pub async fn serve_reloadable(config: Config, args: Option<crate::config::ServeArgs>) -> Result<()> {
    if config.transport == Transport::Stdio {
        if config.frontdoor.audit.as_ref().is_some_and(|a| a.stdout) {
            return Err(Error::invalid("audit.stdout", "cannot be used with the stdio transport: stdout carries MCP"));
        }
        let core = build_core(&config).await?;
        let _watcher = match args {
            Some(args) => start_reloading(&core, &config, args)?,
            None => None,
        };
        return crate::transport::stdio::serve(core).await;
    }
    // The admin listener comes up first, so /readyz can say "loading".
    let readiness = Arc::new(Readiness::default());
    if let Some(addr) = config.frontdoor.admin_listen {
        let listener = TcpListener::bind(addr).await.map_err(|e| Error::Io(format!("bind admin.listen {addr}"), e))?;
        tracing::info!(%addr, "admin listener: /metrics /healthz /readyz");
        let app = crate::server::admin::router(readiness.clone(), config.frontdoor.admin_token.as_deref());
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
    core: &Arc<Pipeline>,
    config: &Config,
    args: crate::config::ServeArgs,
) -> Result<Option<notify::RecommendedWatcher>> {
    let watcher = if config.watch {
        let tenant_dirs: Vec<_> =
            config.tenants.iter().filter_map(|(n, t)| t.components_dir.clone().map(|d| (n.clone(), d))).collect();
        tracing::info!(dir = %config.components_dir.display(), ?tenant_dirs, "watching the configuration and components for changes");
        Some(crate::server::reload::on_change(
            core.clone(),
            args.clone(),
            args.config.clone(),
            config.components_dir.clone(),
            tenant_dirs,
        )?)
    } else {
        None
    };
    crate::server::reload::on_sighup(core.clone(), args);
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
