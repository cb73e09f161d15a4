//! Hot reload: on SIGHUP (and, with `[server] watch = true`, when the
//! configuration file or a components directory changes) the configuration
//! file and the components are read again and a new [`Catalog`](crate::tenant::Catalog) replaces the current
//! one. Calls in flight keep the components they started with (they hold
//! them by `Arc`). A component that fails to load is left out (see
//! `sandbox::registry::load`); a configuration error changes nothing: it is
//! logged and the previous components and tenants keep serving.
//!
//! A change inside one tenant's own components folder reloads that tenant
//! alone: its scope is rebuilt, every other scope (and the server's
//! components) stays as it is, so a tenant cannot make the whole server
//! reload, and its broken component never blocks anyone else.
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
use std::collections::BTreeSet;
use std::sync::Arc;

/// The running sandbox with the integrity and load rules of `config`.
fn sandbox_for(core: &Pipeline, config: &Config) -> crate::sandbox::Sandbox {
    core.sandbox.clone().with_trust(config.trust.clone()).with_load_rules(config.load)
}

/// Build a new catalog from `args` (as at start-up) and swap it in.
pub async fn reload(core: &Pipeline, args: &ServeArgs) -> Result<()> {
    let config = Config::build(args)?;
    let sandbox = sandbox_for(core, &config);
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

/// Rebuild the scopes of `tenants` alone from `args`; falls back to a full
/// reload when one of them is no longer declared.
pub async fn reload_tenants(core: &Pipeline, args: &ServeArgs, tenants: &BTreeSet<String>) -> Result<()> {
    let config = Config::build(args)?;
    if tenants.iter().any(|t| !config.tenants.contains_key(t)) {
        return reload(core, args).await;
    }
    let sandbox = sandbox_for(core, &config);
    let current = core.catalog();
    let mut scopes = Vec::new();
    for name in tenants {
        let scope = crate::tenant::tenant_scope(
            &sandbox,
            &current.base.registry,
            name,
            &config.tenants[name],
            core.sandbox.kube.as_ref(),
            &config.kubernetes.policy,
            config.read_only,
        )
        .await?;
        scopes.push((name.clone(), scope));
    }
    core.replace_catalog(current.with_tenants(scopes));
    tracing::info!(?tenants, "reloaded the components of these tenants only");
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

async fn reload_tenants_logged(core: &Pipeline, args: &ServeArgs, tenants: &BTreeSet<String>) {
    let m = &crate::telemetry::get().tenant_reloads;
    let label = tenants.iter().cloned().collect::<Vec<_>>().join(",");
    match reload_tenants(core, args, tenants).await {
        Ok(()) => m.with_label_values(&[&label, "ok"]).inc(),
        Err(e) => {
            m.with_label_values(&[&label, "rejected"]).inc();
            tracing::error!(tenants = %label, "tenant reload rejected, the previous scope keeps serving: {e}");
        }
    }
}

/// What a change touched: something every tenant depends on, or only some
/// tenants' own components folders.
#[derive(Debug)]
enum Change {
    All,
    Tenant(String),
}

/// Reload when the config file, the server's components folder or a
/// tenant's (`tenant_dirs`: tenant and folder) changes; a change confined to
/// tenants' folders reloads only those tenants. The watcher lives as long
/// as the returned value.
pub fn on_change(
    core: Arc<Pipeline>,
    args: ServeArgs,
    config: Option<std::path::PathBuf>,
    components_dir: std::path::PathBuf,
    tenant_dirs: Vec<(String, std::path::PathBuf)>,
) -> Result<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Change>();
    let config_name = config.as_ref().and_then(|c| c.file_name().map(|n| n.to_os_string()));
    let (server_dir, tenants) = (components_dir.clone(), tenant_dirs.clone());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        for p in &event.paths {
            // The most specific folder decides (a tenant folder may lie inside the server's).
            let tenant = tenants.iter().filter(|(_, d)| p.starts_with(d)).max_by_key(|(_, d)| d.as_os_str().len());
            let change = match tenant {
                Some((name, _)) => Change::Tenant(name.clone()),
                None if p.starts_with(&server_dir) => Change::All,
                None if config_name.as_deref().is_some_and(|n| p.file_name() == Some(n)) => Change::All,
                None => continue,
            };
            let _ = tx.send(change);
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
    let dirs = std::iter::once(&components_dir).chain(tenant_dirs.iter().map(|(_, d)| d));
    for dir in dirs {
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
        while let Some(first) = rx.recv().await {
            tokio::time::sleep(WATCH_SETTLE).await;
            let mut changes = vec![first];
            while let Ok(c) = rx.try_recv() {
                changes.push(c);
            }
            let mut tenants = BTreeSet::new();
            let mut all = false;
            for c in changes {
                match c {
                    Change::All => all = true,
                    Change::Tenant(t) => {
                        tenants.insert(t);
                    }
                }
            }
            if all {
                tracing::info!("configuration or components changed: reloading");
                reload_logged(&core, &args).await;
            } else {
                tracing::info!(?tenants, "tenant components changed: reloading those tenants");
                reload_tenants_logged(&core, &args, &tenants).await;
            }
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
