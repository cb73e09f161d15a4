//! `kube` capability: the WIT interface over [`crate::kube::KubeService`],
//! converting between the generated WIT types and the service's own
//! ([`crate::kube::api`]). Without a configured cluster every operation
//! answers `not-configured`.

use super::bindings::kube::{self as wit, Host, KubeError, add_to_linker};
use super::{CallEnv, Capability};
use crate::kube::KubeService;
use crate::kube::api;
use crate::kube::ops::{self, KubeFailure};
use crate::kube::table;
use crate::policy::Grant;
use std::sync::{Arc, Mutex};
use wasmtime::component::{HasSelf, Linker};

/// One call's Kubernetes session: the caller's view of the service and the
/// context the guest selected. The helm capability holds the same session,
/// so helm runs against the cluster and context the call chose.
#[derive(Default)]
pub struct Session {
    service: Option<Arc<KubeService>>,
    /// Why the caller has no Kubernetes access, when it should have had.
    refused: Option<String>,
    context: Mutex<Option<String>>,
}

impl Session {
    /// The caller's view of the service (`Err`: why it has none), or no
    /// cluster at all.
    pub fn new(view: Option<Result<Arc<KubeService>, crate::kube::CallerError>>) -> Self {
        match view {
            Some(Ok(service)) => Self { service: Some(service), ..Self::default() },
            Some(Err(why)) => Self { refused: Some(why.to_string()), ..Self::default() },
            None => Self::default(),
        }
    }

    /// The service as this call sees it, if any.
    pub fn service(&self) -> Option<Arc<KubeService>> {
        self.service.clone()
    }

    /// The context the guest selected (`None`: the default one).
    pub fn context(&self) -> Option<String> {
        self.context.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_context(&self, name: Option<String>) {
        *self.context.lock().unwrap_or_else(|e| e.into_inner()) = name;
    }

    fn require(&self) -> R<(Arc<KubeService>, Option<String>)> {
        if let Some(why) = &self.refused {
            return Err(KubeError::Forbidden(why.clone()));
        }
        match &self.service {
            Some(s) => Ok((s.clone(), self.context())),
            None => Err(KubeError::NotConfigured(
                "no Kubernetes cluster is configured (set KUBECONFIG or MCP_KUBECONFIG, or run in a cluster)".into(),
            )),
        }
    }
}

/// Per-call Kubernetes state.
pub struct KubeState {
    session: Arc<Session>,
    service: Arc<str>,
    granted: bool,
}

impl KubeState {
    /// The session, once the grant is checked.
    fn session(&self) -> R<&Session> {
        if self.granted {
            Ok(&self.session)
        } else {
            Err(KubeError::Forbidden(super::denied(&self.service, Grant::Kube)))
        }
    }
}

impl Capability for KubeState {
    fn for_call(env: &CallEnv<'_>) -> Self {
        Self { session: env.kube.clone(), service: env.service.clone(), granted: env.grants.contains(Grant::Kube) }
    }

    fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut Self) -> wasmtime::Result<()> {
        add_to_linker::<T, HasSelf<Self>>(linker, get)
    }
}

type R<T> = Result<T, KubeError>;

impl From<KubeFailure> for KubeError {
    fn from(f: KubeFailure) -> Self {
        match f {
            KubeFailure::Forbidden(m) => KubeError::Forbidden(m),
            KubeFailure::NotFound(m) => KubeError::NotFound(m),
            KubeFailure::Conflict(m) => KubeError::Conflict(m),
            KubeFailure::Invalid(m) => KubeError::Invalid(m),
            KubeFailure::Unsupported(m) => KubeError::Unsupported(m),
            KubeFailure::Unavailable(m) => KubeError::Unavailable(m),
            KubeFailure::Other(m) => KubeError::Other(m),
        }
    }
}

/// `From` between a WIT record and the service's type of the same fields.
macro_rules! same_fields {
    ($from:ty => $to:ty { $($field:ident),* $(,)? }) => {
        impl From<$from> for $to {
            fn from(v: $from) -> Self {
                Self { $($field: v.$field.into()),* }
            }
        }
    };
}

/// `From` between a WIT enum and the service's enum of the same cases.
macro_rules! same_cases {
    ($from:ident => $to:ident { $($case:ident),* $(,)? }) => {
        impl From<wit::$from> for api::$to {
            fn from(v: wit::$from) -> Self {
                match v { $(wit::$from::$case => Self::$case),* }
            }
        }
    };
}

same_fields!(wit::ResourceRef => api::ResourceRef { api_version, kind, namespace, name });
same_fields!(wit::ListOptions => api::ListOptions { label_selector, field_selector, limit, continue_token, all_namespaces });
same_fields!(wit::ApplyOptions => api::ApplyOptions { field_manager, force, dry_run });
same_fields!(wit::LogOptions => api::LogOptions { container, tail_lines, since_seconds, previous, timestamps, limit_bytes });
same_fields!(wit::ExecOptions => api::ExecOptions { container, command, timeout_ms, max_output_bytes });
same_fields!(wit::AccessReview => api::AccessReview { verb, target, subresource });
same_fields!(wit::PortMapping => api::PortMapping { local_port, remote_port });
same_fields!(api::PortMapping => wit::PortMapping { local_port, remote_port });
same_fields!(api::ExecResult => wit::ExecResult { stdout, stderr, exit_code, truncated });
same_fields!(api::AccessDecision => wit::AccessDecision { allowed, reason });
same_cases!(PatchKind => PatchKind { Merge, Strategic, Json });
same_cases!(Propagation => Propagation { Foreground, Background, Orphan });
same_cases!(MetricsKind => MetricsKind { Pods, Nodes });

impl From<wit::DeleteOptions> for api::DeleteOptions {
    fn from(v: wit::DeleteOptions) -> Self {
        Self {
            propagation: v.propagation.map(Into::into),
            grace_period_seconds: v.grace_period_seconds,
            dry_run: v.dry_run,
        }
    }
}

impl From<wit::PortForwardOptions> for api::PortForwardOptions {
    fn from(v: wit::PortForwardOptions) -> Self {
        Self { ports: v.ports.into_iter().map(Into::into).collect(), duration_seconds: v.duration_seconds }
    }
}

impl From<api::PortForwardSession> for wit::PortForwardSession {
    fn from(v: api::PortForwardSession) -> Self {
        Self { listeners: v.listeners.into_iter().map(Into::into).collect(), expires_in_seconds: v.expires_in_seconds }
    }
}

macro_rules! call {
    ($self:ident, |$svc:ident, $ctx:ident| $body:expr) => {{
        let ($svc, ctx_owned) = $self.session()?.require()?;
        let $ctx = ctx_owned.as_deref();
        let $svc = &*$svc;
        Ok($body.await?.into())
    }};
}

impl Host for KubeState {
    async fn contexts(&mut self) -> R<String> {
        let (svc, _) = self.session()?.require()?;
        let (names, default) = svc.contexts();
        Ok(serde_json::json!({ "contexts": names, "default": default }).to_string())
    }
    async fn use_context(&mut self, name: Option<String>) -> R<()> {
        let (svc, _) = self.session()?.require()?;
        if let Some(n) = name.as_deref().filter(|n| !n.is_empty()) {
            svc.client(Some(n)).map_err(KubeError::from)?;
        }
        self.session()?.set_context(name.filter(|n| !n.is_empty()));
        Ok(())
    }
    async fn discovery(&mut self) -> R<String> {
        call!(self, |svc, ctx| ops::discovery(svc, ctx))
    }
    async fn list(&mut self, target: wit::ResourceRef, options: wit::ListOptions) -> R<String> {
        call!(self, |svc, ctx| ops::list(svc, ctx, &target.into(), &options.into()))
    }
    async fn list_table(
        &mut self,
        target: wit::ResourceRef,
        options: wit::ListOptions,
        row_metadata: bool,
    ) -> R<String> {
        call!(self, |svc, ctx| table::list_table(svc, ctx, &target.into(), &options.into(), row_metadata))
    }
    async fn get(&mut self, target: wit::ResourceRef) -> R<String> {
        call!(self, |svc, ctx| ops::get(svc, ctx, &target.into()))
    }
    async fn create(&mut self, manifest: String, namespace: Option<String>, dry_run: bool) -> R<String> {
        call!(self, |svc, ctx| ops::create(svc, ctx, &manifest, namespace, dry_run))
    }
    async fn apply(&mut self, manifest: String, namespace: Option<String>, options: wit::ApplyOptions) -> R<String> {
        call!(self, |svc, ctx| ops::apply(svc, ctx, &manifest, namespace, &options.into()))
    }
    async fn patch(
        &mut self,
        target: wit::ResourceRef,
        kind: wit::PatchKind,
        patch: String,
        dry_run: bool,
    ) -> R<String> {
        call!(self, |svc, ctx| ops::patch(svc, ctx, &target.into(), kind.into(), &patch, dry_run))
    }
    async fn delete(&mut self, target: wit::ResourceRef, options: wit::DeleteOptions) -> R<String> {
        call!(self, |svc, ctx| ops::delete(svc, ctx, &target.into(), &options.into()))
    }
    async fn scale(&mut self, target: wit::ResourceRef, replicas: u32, dry_run: bool) -> R<String> {
        call!(self, |svc, ctx| ops::scale(svc, ctx, &target.into(), replicas, dry_run))
    }
    async fn logs(&mut self, namespace: String, pod: String, options: wit::LogOptions) -> R<String> {
        call!(self, |svc, ctx| ops::logs(svc, ctx, &namespace, &pod, &options.into()))
    }
    async fn evict(
        &mut self,
        namespace: String,
        pod: String,
        grace_period_seconds: Option<i64>,
        dry_run: bool,
    ) -> R<String> {
        call!(self, |svc, ctx| ops::evict(svc, ctx, &namespace, &pod, grace_period_seconds, dry_run))
    }
    async fn exec(&mut self, namespace: String, pod: String, options: wit::ExecOptions) -> R<wit::ExecResult> {
        call!(self, |svc, ctx| ops::exec(svc, ctx, &namespace, &pod, &options.into()))
    }
    async fn port_forward(
        &mut self,
        namespace: String,
        pod: String,
        options: wit::PortForwardOptions,
    ) -> R<wit::PortForwardSession> {
        call!(self, |svc, ctx| crate::kube::forward::port_forward(svc, ctx, &namespace, &pod, &options.into()))
    }
    async fn events(
        &mut self,
        namespace: Option<String>,
        involved: Option<wit::ResourceRef>,
        options: wit::ListOptions,
    ) -> R<String> {
        call!(self, |svc, ctx| ops::events(svc, ctx, namespace, involved.map(Into::into), &options.into()))
    }
    async fn can_i(&mut self, review: wit::AccessReview) -> R<wit::AccessDecision> {
        call!(self, |svc, ctx| ops::can_i(svc, ctx, &review.into()))
    }
    async fn metrics(&mut self, kind: wit::MetricsKind, namespace: Option<String>, name: Option<String>) -> R<String> {
        call!(self, |svc, ctx| ops::metrics(svc, ctx, kind.into(), namespace, name))
    }
}
