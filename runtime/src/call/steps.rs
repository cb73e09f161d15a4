//! The steps of [`super::Pipeline::call`], one function each.

use super::Refusal;
use crate::auth::{FrontDoor, Identity};
use crate::cache::{Caller, ResultCache};
use crate::sandbox::{CallError, CallMeta, LoadedComponent, ToolInfo};
use crate::tenant::credentials::{self, RequestCredentials};
use crate::tenant::quota::{FuelReservation, GatePermit};
use crate::tenant::{Catalog, Scope};
use http::HeaderMap;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long a call waits for one of its tenant's slots before it is refused.
const TENANT_ADMISSION_WAIT: Duration = Duration::from_secs(10);

/// The component and tool behind an exposed name. A tool the tenant may not
/// see does not exist for it, even by name.
pub fn route<'s>(scope: &'s Scope, name: &str) -> Result<(&'s Arc<LoadedComponent>, &'s ToolInfo), Refusal> {
    scope.registry.lookup(name).ok_or_else(|| Refusal::UnknownTool(name.to_string()))
}

/// In read-only mode only tools annotated read-only run.
pub fn read_only(server_read_only: bool, tool: &ToolInfo) -> Result<(), Refusal> {
    if server_read_only && !tool.annotations.read_only {
        return Err(Refusal::ReadOnly(tool.name.clone()));
    }
    Ok(())
}

/// May `identity` use this tool? Local (stdio) callers may use every tool.
pub fn allows(fd: &FrontDoor, identity: Option<&Identity>, service: &str, tool: &str, read_only: bool) -> bool {
    identity.is_none_or(|id| fd.access().authorizer.allows(id, service, tool, read_only))
}

/// The tenant's token bucket.
pub fn tenant_rate(scope: &Scope, tenant: &str) -> Result<(), Refusal> {
    match &scope.quotas.rate {
        Some(rate) if !rate.check() => {
            tracing::info!(tenant = %tenant, "tool call refused: tenant rate limit");
            Err(Refusal::TenantRate(tenant.to_string()))
        }
        _ => Ok(()),
    }
}

/// Reserve the call's whole fuel budget (`call_fuel`) in the tenant's fuel
/// window; refused once the window's used plus reserved fuel reaches the
/// budget. The reservation is settled with what the call used when it ends.
pub fn fuel_budget(scope: &Scope, tenant: &str, call_fuel: u64) -> Result<Option<FuelReservation>, Refusal> {
    let Some(meter) = &scope.quotas.fuel else { return Ok(None) };
    match meter.reserve(call_fuel) {
        Ok(reservation) => Ok(Some(reservation)),
        Err(retry_secs) => {
            tracing::info!(tenant = %tenant, "tool call refused: tenant fuel budget");
            Err(Refusal::FuelBudget { tenant: tenant.to_string(), budget: meter.budget(), retry_secs })
        }
    }
}

/// A per-call copy of the component with the caller's backend credentials,
/// when the request carries some the tenant accepts.
pub fn request_credentials(
    headers: Option<&HeaderMap>,
    component: &LoadedComponent,
    scope: &Scope,
    tenant: &str,
) -> Result<Option<RequestCredentials>, Refusal> {
    credentials::from_headers(headers, component, &scope.request_credentials, tenant)
        .map_err(|r| Refusal::Credentials(r.0))
}

/// Who is calling, as the sandbox and the guest see it.
pub fn call_meta(identity: Option<&Identity>, tenant: &str, request_id: String, scope: &Scope) -> CallMeta {
    let authenticated = identity.filter(|i| i.is_authenticated());
    CallMeta {
        tenant_id: tenant.to_string(),
        request_id,
        caller: authenticated.map(|i| i.subject.clone()),
        roles: authenticated.map(|i| i.roles.clone()).unwrap_or_default(),
        kube: scope.kube.clone().map(crate::sandbox::invoke::KubeView),
    }
}

/// The result-cache key: tenant, caller (subject, credential, roles), tool,
/// catalog epoch, the component's write generation, the request
/// credentials' digest and the arguments.
pub fn cache_key(
    catalog: &Catalog,
    component: &LoadedComponent,
    identity: Option<&Identity>,
    tenant: &str,
    name: &str,
    credentials: Option<&RequestCredentials>,
    arguments: &Map<String, Value>,
) -> String {
    let generation = component.generation.load(Ordering::Acquire);
    let own = credentials.map_or("", |c| c.digest.as_str());
    let tool_key = format!("{name}@{}.{generation}#{own}", catalog.epoch);
    ResultCache::key(tenant, identity.map(cache_caller), &tool_key, arguments)
}

/// What of the caller a cached result depends on: who it is, the
/// credential it came with and the roles that credential gave it.
pub fn cache_caller(identity: &Identity) -> Caller<'_> {
    Caller {
        subject: &identity.subject,
        credential: &identity.credential,
        method: identity.method.name(),
        roles: &identity.roles,
    }
}

/// One of the tenant's concurrency slots, waiting a bounded time.
pub async fn tenant_slot(scope: &Scope) -> Result<Option<GatePermit>, Refusal> {
    let Some(gate) = &scope.quotas.gate else { return Ok(None) };
    match tokio::time::timeout(TENANT_ADMISSION_WAIT, gate.acquire()).await {
        Ok(Some(permit)) => Ok(Some(permit)),
        _ => Err(Refusal::Failed(CallError::Busy(gate.limit().unwrap_or(0)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::api::{Channel, ErrorKind};
    use crate::sandbox::Registry;
    use crate::sandbox::registry::Annotations;
    use crate::tenant::quota::{FuelMeter, Gate, TenantRate};

    fn tool(read_only: bool) -> ToolInfo {
        ToolInfo {
            name: "svc_tool".into(),
            local_name: "tool".into(),
            title: None,
            description: String::new(),
            input_schema: Arc::new(Map::new()),
            output_schema: None,
            annotations: Annotations { read_only, ..Default::default() },
        }
    }

    fn scope() -> Scope {
        Scope::without_tenants(Registry::default(), false)
    }

    #[test]
    fn unknown_names_do_not_route() {
        let err = route(&scope(), "nope_tool").err().unwrap();
        assert_eq!(err.kind().channel(), Channel::JsonRpc);
        assert_eq!(err.to_string(), "unknown tool `nope_tool`");
    }

    #[test]
    fn read_only_mode_refuses_writes_as_a_tool_result() {
        assert!(read_only(true, &tool(true)).is_ok());
        assert!(read_only(false, &tool(false)).is_ok());
        let err = read_only(true, &tool(false)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forbidden);
        assert_eq!(err.kind().channel(), Channel::ToolResult);
        assert!(err.to_string().contains("read-only mode"), "{err}");
    }

    #[test]
    fn local_callers_may_use_everything_and_roles_decide_for_others() {
        let fd = FrontDoor::open("default");
        let role = crate::config::frontdoor::RoleSection { tools: vec!["svc_read*".into()], ..Default::default() };
        let authorizer = crate::auth::authz::Authorizer::new([("viewer".to_string(), role)].into());
        fd.replace_access(crate::auth::Access { authorizer, ..Default::default() }).unwrap();
        assert!(allows(&fd, None, "svc", "svc_write", false), "stdio: the local user");
        let viewer = Identity { roles: vec!["viewer".into()], ..Identity::anonymous("default") };
        assert!(allows(&fd, Some(&viewer), "svc", "svc_read_all", true));
        assert!(!allows(&fd, Some(&viewer), "svc", "svc_write", false));
        let other = Identity { roles: vec!["ops".into()], ..Identity::anonymous("default") };
        assert!(!allows(&fd, Some(&other), "svc", "svc_read_all", true), "a role not defined grants nothing");
    }

    #[test]
    fn a_viewer_does_not_get_the_entry_of_the_same_subject_as_ops() {
        let ops = Identity {
            subject: "alice".into(),
            roles: vec!["ops".into()],
            method: crate::auth::AuthMethod::Jwt,
            credential: "jwt:https://issuer:alice".into(),
            ..Identity::anonymous("t")
        };
        let viewer = Identity { roles: vec!["viewer".into()], ..ops.clone() };
        let key = |id: &Identity| ResultCache::key("t", Some(cache_caller(id)), "svc_read@0.0#", &Map::new());
        assert_ne!(key(&ops), key(&viewer));
    }

    #[test]
    fn the_tenant_bucket_refuses_past_its_burst() {
        let mut s = scope();
        let bucket = crate::config::frontdoor::Bucket { requests_per_second: 0.001, burst: 2 };
        s.quotas.rate = Some(Arc::new(TenantRate::new(bucket)));
        assert!(tenant_rate(&s, "t").is_ok());
        assert!(tenant_rate(&s, "t").is_ok());
        let err = tenant_rate(&s, "t").unwrap_err();
        assert_eq!((err.kind(), err.kind().channel()), (ErrorKind::RateLimited, Channel::ToolResult));
        assert_eq!(err.to_string(), "rate limit exceeded for tenant `t`");
    }

    #[test]
    fn a_spent_fuel_window_refuses_with_the_wait() {
        let mut s = scope();
        s.quotas.fuel = Some(Arc::new(FuelMeter::new(10)));
        fuel_budget(&s, "t", 4).unwrap().unwrap().settle(10);
        let err = fuel_budget(&s, "t", 4).unwrap_err();
        assert!(err.to_string().starts_with("tenant `t` used its fuel budget of 10 units per minute"), "{err}");
        assert_eq!(err.kind().channel(), Channel::ToolResult);
    }

    #[tokio::test]
    async fn a_full_tenant_is_busy_after_the_wait() {
        tokio::time::pause();
        let mut s = scope();
        s.quotas.gate = Some(Arc::new(Gate::new(Some(1))));
        let held = tenant_slot(&s).await.unwrap();
        assert!(held.is_some());
        let err = tenant_slot(&s).await.unwrap_err();
        assert_eq!(err.to_string(), "server busy: 1 calls already in flight");
        drop(held);
        assert!(tenant_slot(&s).await.unwrap().is_some());
    }
}
