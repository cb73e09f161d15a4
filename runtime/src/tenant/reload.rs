//! Hot reload: on SIGHUP the configuration file and the components are
//! read again and a new [`Catalog`](super::Catalog) replaces the current
//! one. Calls in flight keep the components they started with (they hold
//! them by `Arc`). If anything fails to load, nothing changes: the error is
//! logged and the previous components and tenants keep serving.
//!
//! Reloaded: components, `[components]`, `[tenants]`, `[sandbox]` pins and
//! keys. Tenants' rate buckets, fuel windows and concurrency slots start
//! afresh with the new catalog (calls in flight hold slots of the old one). Not reloaded (restart): listeners, `[auth]`, `[ratelimit]`,
//! `[audit]`, `[kubernetes]` connections.

use super::Catalog;
use crate::cli::ServeArgs;
use crate::config::Config;
use crate::error::Result;
use crate::mcp::McpCore;
use crate::sandbox::Registry;
use std::sync::Arc;

/// Build a new catalog from `args` (as at start-up) and swap it in.
pub async fn reload(core: &McpCore, args: &ServeArgs) -> Result<()> {
    let config = Config::build(args)?;
    let sandbox = core.sandbox.clone().with_trust(config.trust.clone());
    let registry = Registry::load(&sandbox, &config.components_dir, &config.components).await?;
    let catalog = Catalog::build(
        &sandbox,
        registry,
        &config.tenants,
        core.sandbox.kube.as_ref(),
        &config.kubernetes.policy,
        config.read_only,
    )
    .await?;
    let (components, tenants) = (catalog.base.registry.components().len(), catalog.tenants.len());
    core.replace_catalog(catalog);
    tracing::info!(components, tenants, "reloaded components and tenants");
    Ok(())
}

/// Reload on every SIGHUP until the process ends.
pub fn on_sighup(core: Arc<McpCore>, args: ServeArgs) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; hot reload disabled");
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading components and tenants");
            let m = &crate::frontdoor::metrics::get().reloads;
            match reload(&core, &args).await {
                Ok(()) => m.with_label_values(&["ok"]).inc(),
                Err(e) => {
                    m.with_label_values(&["rejected"]).inc();
                    tracing::error!("reload rejected, the previous components and tenants keep serving: {e}");
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (core, args);
}
