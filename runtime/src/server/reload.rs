//! Hot reload: on SIGHUP (and, with `[server] watch = true`, when the
//! configuration file or a components directory changes) the configuration
//! file and the components are read again and a new [`Catalog`](crate::tenant::Catalog) replaces the current
//! one. Calls in flight keep the components they started with (they hold
//! them by `Arc`). If anything fails to load, nothing changes: the error is
//! logged and the previous components and tenants keep serving.
//!
//! Reloaded: components, `[components]`, `[tenants]`, `[sandbox]` pins and
//! keys, `[auth]` (keys, users, JWT settings, roles) and `[ratelimit]`.
//! Quota state carries over (`Pipeline::replace_catalog`,
//! `FrontDoor::replace_access`): a tenant keeps its fuel window (under the
//! new budget if that changed), its token bucket while its rate and burst
//! are unchanged, and its concurrency slots, whose new limit counts the
//! calls already running; the `[ratelimit]` buckets stay while `[ratelimit]`
//! is unchanged. So a reload, which a tenant may be able to cause (a file in
//! its `components_dir` with `[server] watch`), never refills a bucket,
//! empties a fuel window or frees a slot. Not reloaded (restart):
//! listeners, `[audit]`, `[kubernetes]` connections.
//! Turning authentication off on a non-loopback listener is refused as at
//! start-up.

use crate::call::Pipeline;
use crate::config::Config;
use crate::config::ServeArgs;
use crate::error::Result;
use crate::sandbox::Registry;
use crate::tenant::Catalog;
use std::sync::Arc;

/// Build a new catalog from `args` (as at start-up) and swap it in.
pub async fn reload(core: &Pipeline, args: &ServeArgs) -> Result<()> {
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
    // Built before anything is swapped: an invalid `[auth]` changes nothing.
    let access = crate::auth::Access::new(&config.frontdoor, &core.frontdoor.default_tenant)?;
    let (components, tenants) = (catalog.base.registry.components().len(), catalog.tenants.len());
    core.frontdoor.replace_access(access)?;
    core.replace_catalog(catalog);
    tracing::info!(components, tenants, "reloaded components, tenants, authentication and rate limits");
    Ok(())
}

/// Changes arriving within this window make one reload (editors write in steps).
const WATCH_SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

async fn reload_logged(core: &Pipeline, args: &ServeArgs) {
    let m = &crate::telemetry::get().reloads;
    match reload(core, args).await {
        Ok(()) => m.with_label_values(&["ok"]).inc(),
        Err(e) => {
            m.with_label_values(&["rejected"]).inc();
            tracing::error!("reload rejected, the previous components and tenants keep serving: {e}");
        }
    }
}

/// Reload when the config file or anything under `dirs` changes. The
/// watcher lives as long as the returned value.
pub fn on_change(
    core: Arc<Pipeline>,
    args: ServeArgs,
    config: Option<std::path::PathBuf>,
    dirs: Vec<std::path::PathBuf>,
) -> Result<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let config_name = config.as_ref().and_then(|c| c.file_name().map(|n| n.to_os_string()));
    let watched_dirs = dirs.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        let relevant = event.paths.iter().any(|p| {
            watched_dirs.iter().any(|d| p.starts_with(d))
                || config_name.as_deref().is_some_and(|n| p.file_name() == Some(n))
        });
        if relevant {
            let _ = tx.send(());
        }
    })
    .map_err(|e| crate::error::Error::invalid("server.watch", e.to_string()))?;
    let io = |p: &std::path::Path, e: notify::Error| {
        crate::error::Error::invalid("server.watch", format!("{}: {e}", p.display()))
    };
    if let Some(dir) = config.as_ref().and_then(|c| c.parent()) {
        let dir = if dir.as_os_str().is_empty() { std::path::Path::new(".") } else { dir };
        watcher.watch(dir, RecursiveMode::NonRecursive).map_err(|e| io(dir, e))?;
    }
    // The folders components are discovered in: the directory and its
    // immediate subfolders, minus build output (as `Registry::load` looks).
    for dir in &dirs {
        watcher.watch(dir, RecursiveMode::NonRecursive).map_err(|e| io(dir, e))?;
        let entries = std::fs::read_dir(dir).map_err(|e| crate::error::Error::Io(dir.display().to_string(), e))?;
        for sub in entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
            let skip = sub.file_name().is_some_and(|n| n == "target" || n.to_string_lossy().starts_with('.'));
            if !skip {
                watcher.watch(&sub, RecursiveMode::NonRecursive).map_err(|e| io(&sub, e))?;
            }
        }
    }
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(WATCH_SETTLE).await;
            while rx.try_recv().is_ok() {}
            tracing::info!("configuration or components changed: reloading");
            reload_logged(&core, &args).await;
        }
    });
    Ok(watcher)
}

/// Reload on every SIGHUP until the process ends.
pub fn on_sighup(core: Arc<Pipeline>, args: ServeArgs) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; hot reload disabled");
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading components and tenants");
            reload_logged(&core, &args).await;
        }
    });
    #[cfg(not(unix))]
    let _ = (core, args);
}
