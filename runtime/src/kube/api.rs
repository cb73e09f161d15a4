//! The Kubernetes service's own request and answer types: plain Rust, so
//! the native client does not depend on the WIT bindings (the `kube` host
//! capability converts between the two).

/// A resource type, and optionally one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceRef {
    /// `v1`, `apps/v1`, `example.com/v1alpha1`, ...
    pub api_version: String,
    /// `Pod`, `Deployment`, ... (kind, not plural)
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<u32>,
    pub continue_token: Option<String>,
    /// List across all namespaces (ignores the target's namespace).
    pub all_namespaces: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Merge,
    Strategic,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Foreground,
    Background,
    Orphan,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    pub grace_period_seconds: Option<i64>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    pub field_manager: Option<String>,
    pub force: bool,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub container: Option<String>,
    pub tail_lines: Option<i64>,
    pub since_seconds: Option<i64>,
    pub previous: bool,
    pub timestamps: bool,
    pub limit_bytes: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    pub container: Option<String>,
    pub command: Vec<String>,
    pub timeout_ms: Option<u32>,
    pub max_output_bytes: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecResult {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: Option<i32>,
    pub truncated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessReview {
    pub verb: String,
    pub target: ResourceRef,
    pub subresource: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessDecision {
    pub allowed: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsKind {
    Pods,
    Nodes,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortMapping {
    /// Loopback port to listen on; 0 picks a free one.
    pub local_port: u16,
    /// Port in the pod.
    pub remote_port: u16,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortForwardOptions {
    pub ports: Vec<PortMapping>,
    /// How long the forward stays open; the runtime caps it.
    pub duration_seconds: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortForwardSession {
    /// `127.0.0.1:<local>` -> remote port, one per mapping.
    pub listeners: Vec<PortMapping>,
    /// Seconds until the runtime closes the listeners.
    pub expires_in_seconds: u32,
}
