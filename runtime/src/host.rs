//! Host capabilities imported by components. Each submodule is one
//! self-contained capability: it owns its per-call state, builds it from a
//! [`CallEnv`], links its WIT interface and implements it on that state
//! alone (wasmtime's `HasSelf` pattern), so no capability can reach another's
//! state. The sandbox's store data composes them (`sandbox::store`); adding
//! a capability is a module here plus one line in its `capabilities!` list.
//! The generated WIT types stay in this module and the sandbox.

pub mod bindings;
pub mod config;
pub mod helm;
pub mod http;
pub mod kube;
pub mod log;
pub mod progress;

use crate::policy::{ComponentSettings, EgressPolicy, Grant, Grants};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wasmtime::component::Linker;

/// Everything a capability's per-call state may be built from.
pub struct CallEnv<'a> {
    /// The calling component's service name.
    pub service: &'a Arc<str>,
    /// The capabilities the component was granted (for this tenant).
    pub grants: &'a Grants,
    pub tool: &'a str,
    pub request_id: &'a str,
    /// The caller's tenant, decided by the runtime (never the guest).
    pub tenant: &'a str,
    /// The component's settings and secrets (secrets are redacted from output).
    pub settings: &'a Arc<ComponentSettings>,
    /// The component's egress allowlist, circuit breakers and TLS routing.
    pub egress: &'a Arc<EgressPolicy>,
    pub breakers: &'a Arc<http::resilience::Breakers>,
    pub tls: &'a Arc<http::TlsRouting>,
    /// This call's Kubernetes session (the caller's view, the chosen context).
    pub kube: &'a Arc<kube::Session>,
    /// The Helm service, when one is configured.
    pub helm: Option<&'a Arc<helm::HelmService>>,
    /// Where progress reports go, when the client asked for them.
    pub progress: Option<&'a mpsc::UnboundedSender<progress::ProgressUpdate>>,
    pub cancel: &'a CancellationToken,
}

/// One host capability: its per-call state and how it is linked.
pub trait Capability: Sized + Send + 'static {
    /// The state one call's store holds for this capability.
    fn for_call(env: &CallEnv<'_>) -> Self;

    /// Link the capability's WIT interface; `get` reaches its state in the
    /// store's data.
    fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut Self) -> wasmtime::Result<()>;
}

/// Record a call into a capability the component was not granted (log line
/// and `k8s_mcp_capability_denials_total`) and say so in one sentence.
pub fn denied(component: &str, grant: Grant) -> String {
    tracing::warn!(component, capability = grant.name(), "capability denied: not granted");
    crate::telemetry::get().capability_denials.with_label_values(&[component, grant.name()]).inc();
    format!(
        "component `{component}` is not granted the `{grant}` capability (operator: [components.{component}] grants)"
    )
}
