//! Kubernetes access through the runtime's policy-enforcing host capability.
//!
//! Re-exports the WIT interface; objects cross the boundary as JSON text.

pub use crate::bindings::k8s_mcp::tools::kube::*;

use crate::ToolError;

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
