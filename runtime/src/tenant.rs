//! Multi-tenancy: one process hosts several tenants. A tenant is the unit
//! of isolation and configuration: the front door resolves every request to
//! one tenant, and the tenant's [`Scope`] decides which tools exist for it,
//! with which settings, secrets, limits and Kubernetes policy.
//!
//! Layering is tenant → component → tool: the most specific layer wins, but
//! only by narrowing what the layer above allows (see [`settings`]).

pub mod credentials;
mod egress;
pub mod settings;
mod variant;

use crate::auth::identity::glob_match;
use crate::config::frontdoor::Bucket;
use crate::error::{Error, Result};
use crate::kube::KubeService;
use crate::sandbox::ToolInfo;
use crate::sandbox::registry::Failure;
use crate::sandbox::{LoadedComponent, Registry, Sandbox};
use governor::{DefaultDirectRateLimiter, RateLimiter};
use settings::TenantSection;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub use settings::TenantSection as Section;

/// What one tenant (or, without tenants, every caller) can reach.
pub struct Scope {
    pub name: String,
    pub registry: Registry,
    /// `registry`'s tools, in listing order (read-only mode applied).
    pub tools: Vec<ToolInfo>,
    /// This tenant's view of Kubernetes; `None`: the global one.
    pub kube: Option<Arc<KubeService>>,
    /// Calls of this tenant running at once, and the cap.
    pub gate: Option<(Arc<Semaphore>, usize)>,
    pub rate: Option<DefaultDirectRateLimiter>,
    /// Fuel this tenant may burn per minute, all calls together.
    pub fuel_meter: Option<FuelMeter>,
    pub audit_tag: Option<String>,
    /// Services whose credentials may arrive in request headers.
    pub request_credentials: Vec<String>,
    /// The tenant's own components that could not be loaded.
    pub failed: Vec<Failure>,
}

impl Scope {
    /// The single scope of a server without tenants.
    pub fn without_tenants(registry: Registry, read_only: bool) -> Self {
        Self::new("", registry, read_only)
    }

    fn new(name: &str, registry: Registry, read_only: bool) -> Self {
        let tools = registry.tools().filter(|t| !read_only || t.annotations.read_only).cloned().collect();
        Self {
            name: name.into(),
            registry,
            tools,
            kube: None,
            gate: None,
            rate: None,
            fuel_meter: None,
            audit_tag: None,
            request_credentials: Vec::new(),
            failed: Vec::new(),
        }
    }
}

/// A tenant this server does not host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant `{0}` is not configured on this server")]
pub struct UnknownTenant(pub String);

/// Everything a tool call is routed through; replaced whole on reload, so a
/// call keeps the components it started with.
pub struct Catalog {
    /// Every component, as configured globally (the only scope without tenants).
    pub base: Arc<Scope>,
    /// Empty when no tenants are declared.
    pub tenants: BTreeMap<String, Arc<Scope>>,
    /// Bumped by every reload; part of result-cache keys.
    pub epoch: u64,
}

impl Catalog {
    /// The scope of `tenant`, or why it has none.
    pub fn scope(&self, tenant: &str) -> std::result::Result<&Scope, UnknownTenant> {
        if self.tenants.is_empty() {
            return Ok(&self.base);
        }
        self.tenants.get(tenant).map(|s| &**s).ok_or_else(|| UnknownTenant(tenant.to_string()))
    }

    /// Build the base scope and one scope per tenant.
    pub async fn build(
        sandbox: &Sandbox,
        registry: Registry,
        tenants: &BTreeMap<String, TenantSection>,
        kube: Option<&Arc<KubeService>>,
        global_kube: &crate::config::kubernetes::KubePolicyDocument,
        read_only: bool,
    ) -> Result<Self> {
        let mut scopes = BTreeMap::new();
        for (name, t) in tenants {
            let scope = tenant_scope(sandbox, &registry, name, t, kube, global_kube, read_only).await?;
            scopes.insert(name.clone(), Arc::new(scope));
        }
        Ok(Self { base: Arc::new(Scope::new("", registry, read_only)), tenants: scopes, epoch: 0 })
    }

    /// This catalog with these tenants' scopes replaced (a reload of those
    /// tenants alone); every other scope is shared.
    pub fn with_tenants(&self, scopes: Vec<(String, Scope)>) -> Self {
        let mut tenants = self.tenants.clone();
        for (name, scope) in scopes {
            tenants.insert(name, Arc::new(scope));
        }
        Self { base: self.base.clone(), tenants, epoch: self.epoch }
    }
}

/// One tenant's scope: the server's components it may see (as variants) and
/// its own, its Kubernetes view and its limits.
pub async fn tenant_scope(
    sandbox: &Sandbox,
    registry: &Registry,
    name: &str,
    t: &TenantSection,
    kube: Option<&Arc<KubeService>>,
    global_kube: &crate::config::kubernetes::KubePolicyDocument,
    read_only: bool,
) -> Result<Scope> {
    let key = format!("tenants.{name}");
    let own = match &t.components_dir {
        Some(dir) => Some(load_own(sandbox, dir, &key).await?),
        None => None,
    };
    let mut reg = Registry::default();
    let shared = registry.components().iter().map(|c| (c, false));
    let owned = own.iter().flat_map(|r| r.components().iter().map(|c| (c, true)));
    let mut clashes = Vec::new();
    for (c, is_own) in shared.chain(owned) {
        if is_own && registry.components().iter().any(|g| g.name == c.name) {
            let error = Error::invalid(
                format!("{key}.components_dir"),
                format!("component `{}` is also a server-wide component", c.name),
            );
            if sandbox.load_rules.strict {
                return Err(error);
            }
            clashes.push(quarantined(name, c, error));
            continue;
        }
        if !component_visible(t, &c.name) {
            continue;
        }
        if t.require_signatures && !c.signed {
            tracing::warn!(
                tenant = %name,
                component = &*c.name,
                "component hidden from tenant: it has no valid signature and the tenant requires signatures"
            );
            continue;
        }
        if let Some(v) = variant::build(c, t, &key, |tool| tool_visible(t, tool))? {
            reg.add_shared(Arc::new(v))?;
        }
    }
    for component in t.components.keys() {
        let known = registry.components().iter().chain(own.iter().flat_map(|r| r.components().iter()));
        if !known.clone().any(|c| &*c.name == component) {
            return Err(Error::invalid(
                format!("{key}.components.{component}"),
                format!("no component named `{component}`"),
            ));
        }
    }
    let mut scope = Scope::new(name, reg, read_only);
    scope.kube = match kube {
        Some(k) if !t.kubernetes.is_empty() => Some(k.for_tenant(&t.kubernetes, &key)?),
        _ => {
            crate::kube::tenant::narrow_kube(global_kube, &t.kubernetes, &key)?;
            None
        }
    };
    if let Some(n) = t.limits.max_concurrent {
        if n == 0 || n > 10_000 {
            return Err(Error::invalid(format!("{key}.limits.max_concurrent"), "must be between 1 and 10000"));
        }
        scope.gate = Some((Arc::new(Semaphore::new(n)), n));
    }
    scope.rate = rate(t, &key)?;
    scope.fuel_meter = match t.limits.fuel_per_minute {
        Some(0) => {
            return Err(Error::invalid(format!("{key}.limits.fuel_per_minute"), "must be greater than 0"));
        }
        Some(budget) => Some(FuelMeter::new(budget)),
        None => None,
    };
    scope.audit_tag = t.audit_tag.clone();
    scope.request_credentials = t.allow_request_credentials.clone();
    scope.failed = own.as_ref().map(|r| r.failed().to_vec()).unwrap_or_default();
    scope.failed.extend(clashes);
    Ok(scope)
}

/// A fixed one-minute window of fuel use. A call starts only while the
/// window's budget is not used up; what it burns is charged when it ends.
pub struct FuelMeter {
    budget: u64,
    window: std::sync::Mutex<(std::time::Instant, u64)>,
}

const FUEL_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

impl FuelMeter {
    pub fn new(budget: u64) -> Self {
        Self { budget, window: std::sync::Mutex::new((std::time::Instant::now(), 0)) }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, (std::time::Instant, u64)> {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.0.elapsed() >= FUEL_WINDOW {
            *w = (std::time::Instant::now(), 0);
        }
        w
    }

    /// `Err(seconds until the window resets)` when the budget is used up.
    pub fn admit(&self) -> std::result::Result<(), u64> {
        let w = self.current();
        if w.1 >= self.budget {
            return Err(FUEL_WINDOW.saturating_sub(w.0.elapsed()).as_secs().max(1));
        }
        Ok(())
    }

    pub fn charge(&self, fuel: u64) {
        let mut w = self.current();
        w.1 = w.1.saturating_add(fuel);
    }

    pub fn budget(&self) -> u64 {
        self.budget
    }
}

/// A tenant's component left out of its scope (logged and counted).
fn quarantined(tenant: &str, c: &LoadedComponent, error: Error) -> Failure {
    tracing::error!(tenant, component = &*c.name, cause = "duplicate", "component left out: {error}");
    crate::telemetry::get().load_failures.with_label_values(&[&c.name, "duplicate"]).inc();
    Failure { name: c.name.to_string(), path: c.path.clone(), cause: "duplicate", message: error.to_string() }
}

async fn load_own(sandbox: &Sandbox, dir: &std::path::Path, key: &str) -> Result<Registry> {
    Registry::load_tenant(sandbox, dir)
        .await
        .map_err(|e| Error::invalid(format!("{key}.components_dir"), format!("{}: {e}", dir.display())))
}

fn rate(t: &TenantSection, key: &str) -> Result<Option<DefaultDirectRateLimiter>> {
    let Some(rps) = t.limits.requests_per_second else {
        if t.limits.burst.is_some() {
            return Err(Error::invalid(format!("{key}.limits.burst"), "needs requests_per_second"));
        }
        return Ok(None);
    };
    if !(rps.is_finite() && rps > 0.0) {
        return Err(Error::invalid(format!("{key}.limits.requests_per_second"), "must be a positive number"));
    }
    let burst = t.limits.burst.unwrap_or_else(|| (rps.ceil() as u32).max(1));
    if burst == 0 {
        return Err(Error::invalid(format!("{key}.limits.burst"), "must be at least 1"));
    }
    let quota = crate::auth::ratelimit::quota(Bucket { requests_per_second: rps, burst });
    Ok(Some(RateLimiter::direct(quota)))
}

fn patterns_allow(allow: &[String], deny: &[String], name: &str) -> bool {
    (allow.is_empty() || allow.iter().any(|p| glob_match(p, name))) && !deny.iter().any(|p| glob_match(p, name))
}

pub fn component_visible(t: &TenantSection, component: &str) -> bool {
    patterns_allow(&t.allow_components, &t.deny_components, component)
}

pub fn tool_visible(t: &TenantSection, tool: &str) -> bool {
    patterns_allow(&t.allow_tools, &t.deny_tools, tool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_wins_over_allow_and_empty_allows_all() {
        let t = TenantSection {
            allow_tools: vec!["utilities_*".into()],
            deny_tools: vec!["utilities_sleep".into()],
            ..Default::default()
        };
        assert!(tool_visible(&t, "utilities_get_time"));
        assert!(!tool_visible(&t, "utilities_sleep"));
        assert!(!tool_visible(&t, "prometheus_query"));
        assert!(tool_visible(&TenantSection::default(), "anything"));
        let c = TenantSection { deny_components: vec!["kube*".into()], ..Default::default() };
        assert!(!component_visible(&c, "kubernetes"));
        assert!(component_visible(&c, "prometheus"));
    }

    #[test]
    fn fuel_meter_refuses_once_the_budget_is_spent() {
        let m = FuelMeter::new(100);
        assert!(m.admit().is_ok());
        m.charge(60);
        assert!(m.admit().is_ok(), "60 of 100 used");
        m.charge(60);
        let wait = m.admit().unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
    }

    #[test]
    fn bad_rates_name_the_key() {
        let mut t = TenantSection::default();
        t.limits.requests_per_second = Some(0.0);
        let msg = rate(&t, "tenants.a").err().unwrap().to_string();
        assert!(msg.contains("tenants.a.limits.requests_per_second"), "{msg}");
        t.limits.requests_per_second = None;
        t.limits.burst = Some(3);
        let msg = rate(&t, "tenants.a").err().unwrap().to_string();
        assert!(msg.contains("tenants.a.limits.burst"), "{msg}");
    }
}
