//! `[kubernetes]`: cluster access and the policy of the `kube` capability.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
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

#[derive(Debug, Clone, Deserialize)]
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
    /// subject with `caller_user_prefix`, Impersonate-Group the groups
    /// `caller_groups` maps its roles to, plus `impersonate_groups`. Roles
    /// without a mapping contribute nothing; raw claims never become groups.
    /// Callers without a credential (stdio, auth off) use the configured identity.
    #[serde(default)]
    pub impersonate_callers: bool,
    #[serde(default = "mcp_prefix")]
    pub caller_user_prefix: String,
    /// Every group in `caller_groups` must start with it (`""`: any group,
    /// `system:` ones included, may be mapped).
    #[serde(default = "mcp_prefix")]
    pub caller_group_prefix: String,
    /// Role -> Kubernetes groups, e.g. `{ viewer = ["mcp:viewer"] }`.
    #[serde(default)]
    pub caller_groups: BTreeMap<String, Vec<String>>,
    /// Subjects containing `system:` (or whose user would start with it)
    /// are refused unless listed here.
    #[serde(default)]
    pub caller_system_subjects: Vec<String>,
}

fn mcp_prefix() -> String {
    DEFAULT_CALLER_PREFIX.into()
}

/// The default of `caller_user_prefix` and `caller_group_prefix`.
pub const DEFAULT_CALLER_PREFIX: &str = "mcp:";

impl Default for KubePolicyDocument {
    fn default() -> Self {
        Self {
            read_only: false,
            allowed_namespaces: Vec::new(),
            denied_namespaces: Vec::new(),
            denied_kinds: Vec::new(),
            secrets: SecretMode::default(),
            allow_exec: false,
            allow_port_forward: false,
            port_forward_max_seconds: None,
            impersonate_user: None,
            impersonate_groups: Vec::new(),
            impersonate_callers: false,
            caller_user_prefix: mcp_prefix(),
            caller_group_prefix: mcp_prefix(),
            caller_groups: BTreeMap::new(),
            caller_system_subjects: Vec::new(),
        }
    }
}

impl KubePolicyDocument {
    /// The caller mapping is explicit and within its prefix; `roles` are the
    /// names `[auth.roles]` defines (empty: no roles table, any name goes).
    pub fn validate_callers<'a>(&self, roles: impl IntoIterator<Item = &'a String>) -> Result<()> {
        if self.caller_groups.is_empty() {
            return Ok(());
        }
        if !self.impersonate_callers {
            return Err(Error::invalid("kubernetes.caller_groups", "needs kubernetes.impersonate_callers = true"));
        }
        let defined: Vec<&String> = roles.into_iter().collect();
        for (role, groups) in &self.caller_groups {
            let key = format!("kubernetes.caller_groups.{role}");
            if !defined.is_empty() && !defined.contains(&role) {
                return Err(Error::invalid(key, format!("no role `{role}` in [auth.roles]")));
            }
            if let Some(g) = groups.iter().find(|g| g.is_empty() || !g.starts_with(&self.caller_group_prefix)) {
                return Err(Error::invalid(
                    key,
                    format!(
                        "group `{g}` does not start with caller_group_prefix `{}` (set it to \"\" to map other groups)",
                        self.caller_group_prefix
                    ),
                ));
            }
        }
        Ok(())
    }
}
