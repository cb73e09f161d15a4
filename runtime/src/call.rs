//! The call pipeline: one tool call from a protocol-free [`CallRequest`] to
//! its [`CallOutput`] or [`Refusal`]. The steps, in order (each is a small
//! function in [`steps`] with its own tests):
//!
//! 1. route the caller to a tenant scope, and the name to a tool of it;
//! 2. open the audit record (counts the call in flight);
//! 3. admission: read-only mode, roles, the tenant's rate, and a reservation
//!    of the call's fuel budget in the tenant's fuel window;
//! 4. per-request backend credentials;
//! 5. the result cache (hits skip everything below);
//! 6. one of the tenant's concurrency slots;
//! 7. the sandbox call (fresh instance, limits, progress, cancellation);
//! 8. settle the fuel reservation (charge what was used, refund the rest),
//!    store the result in the cache, bump the component's generation after
//!    a state-changing call;
//! 9. close the audit record with the outcome.
//!
//! Nothing here knows MCP: `mcp` turns requests into [`CallRequest`]s and
//! results into protocol messages, following [`ErrorKind::channel`].

pub mod audit;
pub mod steps;

use crate::audit::AuditLog;
use crate::auth::{FrontDoor, Identity};
use crate::cache::ResultCache;
use crate::error::api::ErrorKind;
use crate::host::progress::ProgressUpdate;
use crate::sandbox::{CallError, CallOutput, CallStats, LoadedComponent, Registry, Sandbox, ToolInfo};
use crate::tenant::{Catalog, Scope};
use audit::CallScope;
use http::HeaderMap;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One tool call as the protocol layer hands it over.
pub struct CallRequest<'a> {
    /// The exposed name, `<service>_<tool>`.
    pub tool: &'a str,
    pub arguments: Map<String, Value>,
    /// The authenticated caller; `None` over stdio (the local user).
    pub identity: Option<&'a Identity>,
    /// HTTP request headers (per-request backend credentials); none over stdio.
    pub headers: Option<&'a HeaderMap>,
    pub request_id: String,
    /// Where the guest's progress reports go, when the client asked for them.
    pub progress: Option<mpsc::UnboundedSender<ProgressUpdate>>,
    pub cancel: CancellationToken,
}

/// Why a call produced no normal result. Messages are user-facing; the
/// protocol layer picks the channel from [`Refusal::kind`].
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    #[error("forbidden: {0}")]
    UnknownTenant(#[from] crate::tenant::UnknownTenant),
    #[error("denied: the server is in read-only mode and `{0}` may change state")]
    ReadOnly(String),
    #[error("forbidden: your roles do not grant the tool `{0}`")]
    Role(String),
    #[error("rate limit exceeded for tenant `{0}`")]
    TenantRate(String),
    #[error(
        "tenant `{tenant}` used its fuel budget of {budget} units per minute, counting the budgets of its running \
         calls; retry in {retry_secs} s"
    )]
    FuelBudget { tenant: String, budget: u64, retry_secs: u64 },
    /// Per-request backend credentials that the tenant's policy refuses.
    #[error("{0}")]
    Credentials(String),
    /// The sandbox could not produce a result.
    #[error(transparent)]
    Failed(#[from] CallError),
}

impl Refusal {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownTool(_) | Self::Failed(CallError::UnknownTool(_)) => ErrorKind::UnknownTool,
            Self::UnknownTenant(_) => ErrorKind::UnknownTenant,
            Self::ReadOnly(_) | Self::Role(_) | Self::Credentials(_) => ErrorKind::Forbidden,
            Self::TenantRate(_) | Self::FuelBudget { .. } | Self::Failed(CallError::Busy(_)) => ErrorKind::RateLimited,
            Self::Failed(CallError::InvalidArguments(_)) => ErrorKind::InvalidArguments,
            Self::Failed(_) => ErrorKind::Internal,
        }
    }

    /// The audit line's outcome.
    fn audit_outcome(&self) -> &'static str {
        match self {
            Self::ReadOnly(_)
            | Self::Role(_)
            | Self::Credentials(_)
            | Self::UnknownTool(_)
            | Self::UnknownTenant(_) => "denied",
            Self::TenantRate(_) | Self::FuelBudget { .. } => "rate_limited",
            Self::Failed(_) => "error",
        }
    }
}

/// Shared by every session of the process: the catalog of tenants and
/// components, and what each call passes through.
pub struct Pipeline {
    pub sandbox: Sandbox,
    /// Components and tenants; swapped whole on reload.
    catalog: RwLock<Arc<Catalog>>,
    /// The tenant of callers without one (stdio, authentication off).
    pub tenant: String,
    /// Only tools annotated read-only are listed and callable.
    pub read_only: bool,
    cache: ResultCache,
    /// Authentication and authorization in force (replaced on reload).
    pub frontdoor: Arc<FrontDoor>,
    pub audit: Option<Arc<AuditLog>>,
    /// Tool calls running now (graceful shutdown waits for zero).
    pub in_flight: AtomicI64,
}

impl Pipeline {
    /// A pipeline without tenants: every caller sees every component.
    pub fn new(sandbox: Sandbox, registry: Registry, tenant: String, read_only: bool) -> Self {
        let catalog = Catalog {
            base: Arc::new(Scope::without_tenants(registry, read_only)),
            tenants: Default::default(),
            epoch: 0,
        };
        Self::with_catalog(sandbox, catalog, tenant, read_only)
    }

    pub fn with_catalog(sandbox: Sandbox, catalog: Catalog, tenant: String, read_only: bool) -> Self {
        Self {
            sandbox,
            catalog: RwLock::new(Arc::new(catalog)),
            frontdoor: Arc::new(FrontDoor::open(&tenant)),
            tenant,
            read_only,
            cache: ResultCache::default(),
            audit: None,
            in_flight: AtomicI64::new(0),
        }
    }

    /// Use this front door's authorization for tool calls.
    pub fn with_frontdoor(mut self, frontdoor: Arc<FrontDoor>) -> Self {
        self.frontdoor = frontdoor;
        self
    }

    /// Write an audit line for every call.
    pub fn with_audit(mut self, audit: Option<Arc<AuditLog>>) -> Self {
        self.audit = audit;
        self
    }

    /// The current components and tenants.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serve `catalog` from now on; calls in flight keep the old one. The
    /// tenants' quota state (buckets, fuel windows, slots) carries over.
    pub fn replace_catalog(&self, mut catalog: Catalog) {
        let mut current = self.catalog.write().unwrap_or_else(|e| e.into_inner());
        catalog.epoch = current.epoch + 1;
        catalog.keep_quotas(&current);
        *current = Arc::new(catalog);
    }

    /// The tenant of `identity` (the default one over stdio).
    fn tenant_of(&self, identity: Option<&Identity>) -> String {
        identity.map_or_else(|| self.tenant.clone(), |i| i.tenant.clone())
    }

    /// Tools `identity` may see, in listing order.
    pub fn visible_tools(&self, identity: Option<&Identity>) -> Result<Vec<ToolInfo>, Refusal> {
        let catalog = self.catalog();
        let scope = catalog.scope(&self.tenant_of(identity))?;
        Ok(scope
            .tools
            .iter()
            .filter(|t| match scope.registry.lookup(&t.name) {
                Some((c, info)) => {
                    steps::allows(&self.frontdoor, identity, &c.name, &t.name, info.annotations.read_only)
                }
                None => false,
            })
            .cloned()
            .collect())
    }

    /// A tool of the base scope by name (what the protocol layer may describe
    /// without a caller).
    pub fn tool(&self, name: &str) -> Option<ToolInfo> {
        self.catalog().base.tools.iter().find(|t| t.name == name).cloned()
    }

    /// Run one call through every step.
    pub async fn call(&self, request: CallRequest<'_>) -> Result<CallOutput, Refusal> {
        let catalog = self.catalog();
        let tenant = self.tenant_of(request.identity);
        let scope = catalog.scope(&tenant)?;
        let (component, tool) = steps::route(scope, request.tool)?;
        let record = CallScope::begin(self, &component.name, &request, scope);
        let mut stats = CallStats::default();
        let mut cached = false;
        let result = self.admitted(&catalog, scope, &tenant, component, tool, request, &mut stats, &mut cached).await;
        let outcome = match &result {
            Ok(out) if out.is_error => "tool_error",
            Ok(_) if cached => "cached",
            Ok(_) => "ok",
            Err(r) => r.audit_outcome(),
        };
        let error = match &result {
            Err(Refusal::Failed(e)) => Some(e),
            _ => None,
        };
        record.finish(outcome, error, stats).await;
        result
    }

    /// Steps 3 to 8, once the call is routed and its record open.
    #[allow(clippy::too_many_arguments)]
    async fn admitted(
        &self,
        catalog: &Catalog,
        scope: &Scope,
        tenant: &str,
        component: &Arc<LoadedComponent>,
        tool: &ToolInfo,
        request: CallRequest<'_>,
        stats: &mut CallStats,
        cached: &mut bool,
    ) -> Result<CallOutput, Refusal> {
        let name = request.tool;
        let identity = request.identity;
        steps::read_only(self.read_only, tool)?;
        if !steps::allows(&self.frontdoor, identity, &component.name, name, tool.annotations.read_only) {
            tracing::info!(tool = %name, subject = identity.map(|i| i.subject.as_str()), "tool call denied");
            return Err(Refusal::Role(name.to_string()));
        }
        steps::tenant_rate(scope, tenant)?;
        // Refunded if the call ends before the sandbox runs (cache hit, refusal).
        let mut fuel = steps::fuel_budget(scope, tenant, component.policy.limits_for(&tool.local_name).fuel)?;
        let credentials = steps::request_credentials(request.headers, component, scope, tenant)?;
        let component: &LoadedComponent = credentials.as_ref().map_or(&**component, |c| &c.component);
        let meta = steps::call_meta(identity, tenant, request.request_id, scope);
        let ttl = tool.annotations.read_only.then(|| component.policy.cache_ttl_for(&tool.local_name)).flatten();
        let cache_key = ttl.map(|_| {
            steps::cache_key(catalog, component, identity, tenant, name, credentials.as_ref(), &request.arguments)
        });
        if let Some(key) = &cache_key {
            let hit = self.cache.get(key).await;
            let label = if hit.is_some() { "hit" } else { "miss" };
            crate::telemetry::get().cache.with_label_values(&[label]).inc();
            if let Some(hit) = hit {
                tracing::info!(tool = %name, "tool call served from cache");
                *cached = true;
                return Ok(hit);
            }
        }
        // Cache hits do not wait for one of the tenant's slots.
        let _slot = steps::tenant_slot(scope).await?;
        let arguments = Value::Object(request.arguments).to_string();
        let started = std::time::Instant::now();
        if let Some(f) = &mut fuel {
            f.running();
        }
        let (outcome, used) = self
            .sandbox
            .call_measured(component, &tool.local_name, arguments, meta, request.progress, request.cancel)
            .await;
        *stats = used;
        if let Some(f) = fuel {
            f.settle(used.fuel_used);
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(out) => {
                tracing::info!(tool = %name, elapsed_ms, is_error = out.is_error, "tool call");
                if let (Some(key), Some(ttl), false) = (cache_key, ttl, out.is_error) {
                    self.cache.insert(key, out.clone(), ttl).await;
                }
                if !tool.annotations.read_only {
                    component.generation.fetch_add(1, Ordering::AcqRel);
                }
                Ok(out)
            }
            Err(e) => {
                tracing::warn!(tool = %name, elapsed_ms, "tool call failed: {e}");
                Err(Refusal::Failed(e))
            }
        }
    }
}
