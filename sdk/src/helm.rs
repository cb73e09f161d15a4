//! Helm through the runtime's `helm` host capability: release records from
//! the cluster and chart operations run by the configured helm binary, all
//! under the runtime's policy. Re-exports the WIT interface.

pub use crate::bindings::k8s_mcp::tools::helm::*;

use crate::ToolError;

impl From<HelmError> for ToolError {
    fn from(e: HelmError) -> Self {
        match e {
            HelmError::NotConfigured(m) => ToolError::Denied(format!("Helm not available: {m}")),
            HelmError::Denied(m) => ToolError::Denied(m),
            HelmError::NotFound(m) => ToolError::NotFound(m),
            HelmError::Invalid(m) => ToolError::InvalidArguments(m),
            HelmError::Failed(m) => ToolError::Upstream(m),
            HelmError::Timeout(m) => ToolError::Upstream(format!("timed out: {m}")),
        }
    }
}

impl ReleaseRequest {
    /// A request for `release` of `chart` in `namespace`; everything else off.
    pub fn new(release: impl Into<String>, namespace: impl Into<String>, chart: impl Into<String>) -> Self {
        Self {
            release: release.into(),
            namespace: namespace.into(),
            chart: chart.into(),
            version: None,
            values_files: Vec::new(),
            values: Vec::new(),
            install: false,
            dry_run: false,
            timeout_seconds: None,
            description: None,
        }
    }
}
