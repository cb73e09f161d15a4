//! `kube` capability: the WIT interface over [`crate::kube::KubeService`].
//! Without a configured cluster every operation answers `not-configured`.

use crate::host::HostState;
use crate::kube::KubeService;
use crate::kube::ops::{self, KubeFailure};
use crate::kube::table;
use crate::sandbox::bindings::kube::{
    AccessDecision, AccessReview, ApplyOptions, DeleteOptions, ExecOptions, ExecResult, Host, KubeError, ListOptions,
    LogOptions, MetricsKind, PatchKind, PortForwardOptions, PortForwardSession, ResourceRef,
};
use std::sync::Arc;

/// Per-call Kubernetes state: the service (as seen by the caller) and the
/// chosen context.
#[derive(Default)]
pub struct KubeState {
    pub service: Option<Arc<KubeService>>,
    pub context: Option<String>,
    /// Why the caller has no Kubernetes access, when it should have had.
    pub refused: Option<String>,
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

impl KubeState {
    /// Use the caller's view of the service, or remember why there is none.
    pub fn bind(&mut self, view: Result<Arc<KubeService>, String>) {
        match view {
            Ok(v) => self.service = Some(v),
            Err(e) => {
                self.service = None;
                self.refused = Some(e);
            }
        }
    }

    fn service(&self) -> R<(Arc<KubeService>, Option<String>)> {
        if let Some(why) = &self.refused {
            return Err(KubeError::Forbidden(why.clone()));
        }
        match &self.service {
            Some(s) => Ok((s.clone(), self.context.clone())),
            None => Err(KubeError::NotConfigured(
                "no Kubernetes cluster is configured (set KUBECONFIG or MCP_KUBECONFIG, or run in a cluster)".into(),
            )),
        }
    }
}

macro_rules! call {
    ($self:ident, |$svc:ident, $ctx:ident| $body:expr) => {{
        let ($svc, ctx_owned) = $self.kube.service()?;
        let $ctx = ctx_owned.as_deref();
        let $svc = &*$svc;
        Ok($body.await?)
    }};
}

impl Host for HostState {
    async fn contexts(&mut self) -> R<String> {
        let (svc, _) = self.kube.service()?;
        let (names, default) = svc.contexts();
        Ok(serde_json::json!({ "contexts": names, "default": default }).to_string())
    }
    async fn use_context(&mut self, name: Option<String>) -> R<()> {
        let (svc, _) = self.kube.service()?;
        if let Some(n) = name.as_deref().filter(|n| !n.is_empty()) {
            svc.client(Some(n)).map_err(KubeError::from)?;
        }
        self.kube.context = name.filter(|n| !n.is_empty());
        Ok(())
    }
    async fn discovery(&mut self) -> R<String> {
        call!(self, |svc, ctx| ops::discovery(svc, ctx))
    }
    async fn list(&mut self, target: ResourceRef, options: ListOptions) -> R<String> {
        call!(self, |svc, ctx| ops::list(svc, ctx, &target, &options))
    }
    async fn list_table(&mut self, target: ResourceRef, options: ListOptions, row_metadata: bool) -> R<String> {
        call!(self, |svc, ctx| table::list_table(svc, ctx, &target, &options, row_metadata))
    }
    async fn get(&mut self, target: ResourceRef) -> R<String> {
        call!(self, |svc, ctx| ops::get(svc, ctx, &target))
    }
    async fn create(&mut self, manifest: String, namespace: Option<String>, dry_run: bool) -> R<String> {
        call!(self, |svc, ctx| ops::create(svc, ctx, &manifest, namespace, dry_run))
    }
    async fn apply(&mut self, manifest: String, namespace: Option<String>, options: ApplyOptions) -> R<String> {
        call!(self, |svc, ctx| ops::apply(svc, ctx, &manifest, namespace, &options))
    }
    async fn patch(&mut self, target: ResourceRef, kind: PatchKind, patch: String, dry_run: bool) -> R<String> {
        call!(self, |svc, ctx| ops::patch(svc, ctx, &target, kind, &patch, dry_run))
    }
    async fn delete(&mut self, target: ResourceRef, options: DeleteOptions) -> R<String> {
        call!(self, |svc, ctx| ops::delete(svc, ctx, &target, &options))
    }
    async fn scale(&mut self, target: ResourceRef, replicas: u32, dry_run: bool) -> R<String> {
        call!(self, |svc, ctx| ops::scale(svc, ctx, &target, replicas, dry_run))
    }
    async fn logs(&mut self, namespace: String, pod: String, options: LogOptions) -> R<String> {
        call!(self, |svc, ctx| ops::logs(svc, ctx, &namespace, &pod, &options))
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
    async fn exec(&mut self, namespace: String, pod: String, options: ExecOptions) -> R<ExecResult> {
        call!(self, |svc, ctx| ops::exec(svc, ctx, &namespace, &pod, &options))
    }
    async fn port_forward(
        &mut self,
        namespace: String,
        pod: String,
        options: PortForwardOptions,
    ) -> R<PortForwardSession> {
        call!(self, |svc, ctx| crate::kube::forward::port_forward(svc, ctx, &namespace, &pod, &options))
    }
    async fn events(
        &mut self,
        namespace: Option<String>,
        involved: Option<ResourceRef>,
        options: ListOptions,
    ) -> R<String> {
        call!(self, |svc, ctx| ops::events(svc, ctx, namespace, involved, &options))
    }
    async fn can_i(&mut self, review: AccessReview) -> R<AccessDecision> {
        call!(self, |svc, ctx| ops::can_i(svc, ctx, &review))
    }
    async fn metrics(&mut self, kind: MetricsKind, namespace: Option<String>, name: Option<String>) -> R<String> {
        call!(self, |svc, ctx| ops::metrics(svc, ctx, kind, namespace, name))
    }
}
