//! Per-call context: who is calling, settings and secrets, progress.

use crate::bindings::k8s_mcp::tools::{config, progress, types::CallContext};

/// What the runtime tells a tool about the current call.
pub struct Context {
    inner: CallContext,
}

impl Context {
    pub(crate) fn new(inner: CallContext) -> Self {
        Self { inner }
    }

    /// The tenant this call runs for.
    pub fn tenant(&self) -> &str {
        &self.inner.tenant_id
    }

    /// The MCP request id (for correlating logs).
    pub fn request_id(&self) -> &str {
        &self.inner.request_id
    }

    /// The authenticated caller, when known.
    pub fn caller(&self) -> Option<&str> {
        self.inner.caller.as_deref()
    }

    /// Milliseconds this call may run before the runtime stops it.
    pub fn deadline_ms(&self) -> u64 {
        self.inner.deadline_ms
    }

    /// A setting from the runtime configuration of this component.
    pub fn setting(&self, key: &str) -> Option<String> {
        config::get(key)
    }

    /// A secret from the runtime configuration of this component.
    pub fn secret(&self, key: &str) -> Option<String> {
        config::get_secret(key)
    }

    /// Report progress to the client (no-op when it did not ask for it).
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        progress::report(progress, total, message);
    }

    /// True once the client cancelled this call.
    pub fn cancelled(&self) -> bool {
        progress::cancelled()
    }
}
