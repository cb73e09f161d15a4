//! `kube` capability. The WIT interface is fixed; until a cluster connection
//! is configured every operation answers `not-configured`, so components
//! fail with a clear message instead of trapping.

use crate::host::HostState;
use crate::sandbox::bindings::kube::{
    AccessDecision, AccessReview, ApplyOptions, DeleteOptions, ExecOptions, ExecResult, Host, KubeError, ListOptions,
    LogOptions, MetricsKind, PatchKind, ResourceRef,
};

/// Per-call Kubernetes state: which identity the caller acts as, if any.
#[derive(Debug, Default)]
pub struct KubeState {
    pub configured: bool,
}

type R<T> = Result<T, KubeError>;

fn unconfigured<T>(_state: &KubeState) -> R<T> {
    Err(KubeError::NotConfigured("no Kubernetes cluster is configured for this server".into()))
}

impl Host for HostState {
    async fn contexts(&mut self) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn discovery(&mut self) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn list(&mut self, _target: ResourceRef, _options: ListOptions) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn get(&mut self, _target: ResourceRef) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn create(&mut self, _manifest: String, _namespace: Option<String>, _dry_run: bool) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn apply(&mut self, _manifest: String, _namespace: Option<String>, _options: ApplyOptions) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn patch(&mut self, _target: ResourceRef, _kind: PatchKind, _patch: String, _dry_run: bool) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn delete(&mut self, _target: ResourceRef, _options: DeleteOptions) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn scale(&mut self, _target: ResourceRef, _replicas: u32) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn logs(&mut self, _namespace: String, _pod: String, _options: LogOptions) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn exec(&mut self, _namespace: String, _pod: String, _options: ExecOptions) -> R<ExecResult> {
        unconfigured(&self.kube)
    }
    async fn events(
        &mut self,
        _namespace: Option<String>,
        _involved: Option<ResourceRef>,
        _options: ListOptions,
    ) -> R<String> {
        unconfigured(&self.kube)
    }
    async fn can_i(&mut self, _review: AccessReview) -> R<AccessDecision> {
        unconfigured(&self.kube)
    }
    async fn metrics(&mut self, _kind: MetricsKind, _namespace: Option<String>, _name: Option<String>) -> R<String> {
        unconfigured(&self.kube)
    }
}
