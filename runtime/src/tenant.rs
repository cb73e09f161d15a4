//! Multi-tenancy: one process hosts several tenants. A tenant is the unit
//! of isolation and configuration: the front door resolves every request to
//! one tenant, and the tenant's [`Scope`] decides which tools exist for it,
//! with which settings, secrets, limits and Kubernetes policy.
//!
//! Layering is tenant → component → tool: the most specific layer wins, but
//! only by narrowing what the layer above allows (see [`settings`]).

pub mod credentials;
mod egress;
pub mod quota;
pub mod settings;
mod variant;

use crate::auth::identity::glob_match;
use crate::config::frontdoor::Bucket;
use crate::error::{Error, Result};
use crate::kube::KubeService;
use crate::sandbox::ToolInfo;
use crate::sandbox::registry::Failure;
use crate::sandbox::{Registry, Sandbox};
use quota::{FuelMeter, Gate, Quotas, TenantRate};
use settings::TenantSection;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use settings::TenantSection as Section;

/// What one tenant (or, without tenants, every caller) can reach.
pub struct Scope {
    pub name: String,
    pub registry: Registry,
    /// `registry`'s tools, in listing order (read-only mode applied).
    pub tools: Vec<ToolInfo>,
    /// This tenant's view of Kubernetes; `None`: the global one.
    pub kube: Option<Arc<KubeService>>,
    /// The tenant's rate, fuel window and concurrency slots (none for the
    /// scope of a server without tenants).
    pub quotas: Quotas,
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
            quotas: Quotas::default(),
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

    /// Take over the quota state of `previous`, the catalog this one
    /// replaces, for every tenant both declare (see [`Quotas::keep`]):
    /// a reload neither refills buckets nor empties fuel windows nor frees
    /// slots that running calls hold.
    pub fn keep_quotas(&mut self, previous: &Catalog) {
        for (name, scope) in &mut self.tenants {
            let Some(old) = previous.tenants.get(name) else { continue };
            // A scope shared with `previous` (another tenant's reload) already is its state.
            if let Some(scope) = Arc::get_mut(scope) {
                scope.quotas.keep(&old.quotas);
            }
        }
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
            clashes.push(Failure::record(c.name.to_string(), c.path.clone(), "duplicate", &error));
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
    scope.quotas = quotas(t, &key)?;
    scope.audit_tag = t.audit_tag.clone();
    scope.request_credentials = t.allow_request_credentials.clone();
    scope.failed = own.as_ref().map(|r| r.failed().to_vec()).unwrap_or_default();
    scope.failed.extend(clashes);
    Ok(scope)
}

async fn load_own(sandbox: &Sandbox, dir: &std::path::Path, key: &str) -> Result<Registry> {
    Registry::load_tenant(sandbox, dir)
        .await
        .map_err(|e| Error::invalid(format!("{key}.components_dir"), format!("{}: {e}", dir.display())))
}

/// A tenant's quotas as configured, fresh.
fn quotas(t: &TenantSection, key: &str) -> Result<Quotas> {
    let l = &t.limits;
    if let Some(n) = l.max_concurrent
        && (n == 0 || n > 10_000)
    {
        return Err(Error::invalid(format!("{key}.limits.max_concurrent"), "must be between 1 and 10000"));
    }
    let fuel = match l.fuel_per_minute {
        Some(0) => return Err(Error::invalid(format!("{key}.limits.fuel_per_minute"), "must be greater than 0")),
        budget => budget.map(|b| Arc::new(FuelMeter::new(b))),
    };
    let rate = bucket(t, key)?.map(|b| Arc::new(TenantRate::new(b)));
    Ok(Quotas { rate, fuel, gate: Some(Arc::new(Gate::new(l.max_concurrent))) })
}

fn bucket(t: &TenantSection, key: &str) -> Result<Option<Bucket>> {
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
    Ok(Some(Bucket { requests_per_second: rps, burst }))
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
    fn bad_rates_name_the_key() {
        let mut t = TenantSection::default();
        t.limits.requests_per_second = Some(0.0);
        let msg = bucket(&t, "tenants.a").err().unwrap().to_string();
        assert!(msg.contains("tenants.a.limits.requests_per_second"), "{msg}");
        t.limits.requests_per_second = None;
        t.limits.burst = Some(3);
        let msg = bucket(&t, "tenants.a").err().unwrap().to_string();
        assert!(msg.contains("tenants.a.limits.burst"), "{msg}");
    }

    async fn catalog(tenants: &str) -> Catalog {
        let tenants: BTreeMap<String, TenantSection> = crate::config::parse_toml(tenants, "tenants.toml").unwrap();
        let sandbox = Sandbox::new(None, 4).unwrap();
        Catalog::build(&sandbox, Registry::default(), &tenants, None, &Default::default(), false).await.unwrap()
    }

    const LIMITS: &str = "[a.limits]\nrequests_per_second = 0.001\nburst = 1\nmax_concurrent = 2\nfuel_per_minute = 100\n\
                          [b.limits]\nmax_concurrent = 2\n";

    fn quotas<'c>(c: &'c Catalog, tenant: &str) -> &'c Quotas {
        &c.tenants[tenant].quotas
    }

    #[tokio::test]
    async fn a_rebuilt_catalog_keeps_the_fuel_window_of_unchanged_tenants() {
        let old = catalog(LIMITS).await;
        quotas(&old, "a").fuel.as_ref().unwrap().reserve(80).unwrap().settle(70);
        let mut new = catalog(LIMITS).await;
        new.keep_quotas(&old);
        assert_eq!(quotas(&new, "a").fuel.as_ref().unwrap().usage(), (70, 0));
    }

    #[tokio::test]
    async fn a_rebuilt_catalog_keeps_the_bucket_of_unchanged_tenants() {
        let old = catalog(LIMITS).await;
        assert!(quotas(&old, "a").rate.as_ref().unwrap().check(), "burst 1: the first call passes");
        let mut new = catalog(LIMITS).await;
        new.keep_quotas(&old);
        assert!(!quotas(&new, "a").rate.as_ref().unwrap().check(), "the reload did not refill the bucket");
    }

    #[tokio::test]
    async fn a_rebuilt_catalog_keeps_the_slots_running_calls_hold() {
        let old = catalog(LIMITS).await;
        let gate = quotas(&old, "a").gate.clone().unwrap();
        let _running = (gate.acquire().await.unwrap(), gate.acquire().await.unwrap());
        let mut new = catalog(LIMITS).await;
        new.keep_quotas(&old);
        let third = quotas(&new, "a").gate.as_ref().unwrap().acquire();
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), third).await.is_err(),
            "max_concurrent = 2 with two calls running: no slot after the reload"
        );
    }

    #[tokio::test]
    async fn changed_limits_apply_to_the_state_carried_over() {
        let old = catalog(LIMITS).await;
        let gate = quotas(&old, "b").gate.clone().unwrap();
        let _running = (gate.acquire().await.unwrap(), gate.acquire().await.unwrap());
        quotas(&old, "a").fuel.as_ref().unwrap().reserve(80).unwrap().settle(80);
        let changed = LIMITS
            .replace("fuel_per_minute = 100", "fuel_per_minute = 200")
            .replace("[b.limits]\nmax_concurrent = 2", "[b.limits]\nmax_concurrent = 3");
        let mut new = catalog(&changed).await;
        new.keep_quotas(&old);
        let fuel = quotas(&new, "a").fuel.clone().unwrap();
        assert_eq!((fuel.budget(), fuel.usage()), (200, (80, 0)), "the new budget, the window's use so far");
        let b = quotas(&new, "b").gate.clone().unwrap();
        assert_eq!((b.limit(), b.in_use()), (Some(3), 2), "the two running calls hold two of the three slots");
        let (_third, fourth) = (b.acquire().await.unwrap(), b.acquire());
        assert!(tokio::time::timeout(std::time::Duration::from_millis(50), fourth).await.is_err());
    }
}
