//! `[kubernetes]`: cluster access and the policy of the `kube` capability.

use serde::Deserialize;
use std::path::PathBuf;

/// `[kubernetes]` in the config file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeSection {
    /// Kubeconfig path (default: MCP_KUBECONFIG, KUBECONFIG, ~/.kube/config, in-cluster).
    pub kubeconfig: Option<PathBuf>,
    /// Contexts tools may select; empty: only the current context.
    #[serde(default)]
    pub contexts: Vec<String>,
    /// Context used when a call names none (default: the kubeconfig's current one).
    pub default_context: Option<String>,
    #[serde(flatten)]
    pub policy: KubePolicyDocument,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretMode {
    /// Secret `data`/`stringData` values are masked in every output (default).
    #[default]
    Redact,
    /// Secrets cannot be read or written at all.
    Deny,
    /// Secrets pass through unchanged.
    Allow,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubePolicyDocument {
    #[serde(default)]
    pub read_only: bool,
    /// Namespaces tools may touch; empty: all (minus `denied_namespaces`).
    #[serde(default)]
    pub allowed_namespaces: Vec<String>,
    #[serde(default)]
    pub denied_namespaces: Vec<String>,
    /// Kinds (e.g. `ClusterRole`) no tool may touch.
    #[serde(default)]
    pub denied_kinds: Vec<String>,
    #[serde(default)]
    pub secrets: SecretMode,
    /// Allow `pod exec` (off by default).
    #[serde(default)]
    pub allow_exec: bool,
    /// Allow port forwarding to pods on the runtime host's loopback (off by default).
    #[serde(default)]
    pub allow_port_forward: bool,
    /// Upper bound on how long one port forward stays open (default 300 s).
    pub port_forward_max_seconds: Option<u32>,
    /// Act as this user (Impersonate-User), so the API server's RBAC decides.
    pub impersonate_user: Option<String>,
    #[serde(default)]
    pub impersonate_groups: Vec<String>,
    /// Act as the authenticated caller: Impersonate-User is the caller's
    /// subject (with `caller_user_prefix`), Impersonate-Group its roles
    /// (with `caller_group_prefix`) plus `impersonate_groups`. Callers
    /// without a credential (stdio, auth off) use the configured identity.
    #[serde(default)]
    pub impersonate_callers: bool,
    #[serde(default)]
    pub caller_user_prefix: String,
    #[serde(default)]
    pub caller_group_prefix: String,
}
