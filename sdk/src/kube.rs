//! Kubernetes access through the runtime's policy-enforcing host capability.
//!
//! Re-exports the WIT interface; objects cross the boundary as JSON text.

pub use crate::bindings::k8s_mcp::tools::kube::*;

use crate::ToolError;
use crate::args::{optional, required};

impl From<KubeError> for ToolError {
    fn from(e: KubeError) -> Self {
        match e {
            KubeError::NotConfigured(m) => ToolError::Denied(format!("Kubernetes not configured: {m}")),
            KubeError::Forbidden(m) => ToolError::Denied(m),
            KubeError::NotFound(m) => ToolError::NotFound(m),
            KubeError::Conflict(m) => ToolError::Upstream(format!("conflict: {m}")),
            KubeError::Invalid(m) => ToolError::InvalidArguments(m),
            KubeError::Unsupported(m) => ToolError::Upstream(format!("unsupported: {m}")),
            KubeError::Unavailable(m) => ToolError::Upstream(format!("API server unavailable: {m}")),
            KubeError::Other(m) => ToolError::Upstream(m),
        }
    }
}

/// kubectl's short names (`deploy`, `svc`, `pvc`, ...) as plural names; any
/// other kind is returned as given (the host resolves Kind, plural and
/// singular names itself).
pub fn expand_short(kind: &str) -> &str {
    match kind.to_ascii_lowercase().as_str() {
        "po" => "pods",
        "deploy" => "deployments",
        "svc" => "services",
        "cm" => "configmaps",
        "ns" => "namespaces",
        "no" => "nodes",
        "sts" => "statefulsets",
        "ds" => "daemonsets",
        "rs" => "replicasets",
        "rc" => "replicationcontrollers",
        "pvc" => "persistentvolumeclaims",
        "pv" => "persistentvolumes",
        "sa" => "serviceaccounts",
        "ing" => "ingresses",
        "ep" => "endpoints",
        "ev" => "events",
        "hpa" => "horizontalpodautoscalers",
        "cj" => "cronjobs",
        "crd" | "crds" => "customresourcedefinitions",
        "netpol" => "networkpolicies",
        "pdb" => "poddisruptionbudgets",
        "sc" => "storageclasses",
        "limits" => "limitranges",
        "quota" => "resourcequotas",
        _ => kind,
    }
}

/// A reference from tool arguments: `kind` required (short names expanded),
/// blank `apiVersion` and `namespace` absent (an empty apiVersion resolves
/// through discovery, core group first).
pub fn resource_ref(
    kind: &str,
    api_version: &Option<String>,
    namespace: &Option<String>,
    name: Option<&str>,
) -> Result<ResourceRef, ToolError> {
    Ok(ResourceRef {
        api_version: optional(api_version).unwrap_or_default(),
        kind: expand_short(required("kind", kind)?).to_string(),
        namespace: optional(namespace),
        name: name.map(String::from),
    })
}
