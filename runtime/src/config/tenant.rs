//! `[tenants.<name>]` as written.

use super::LimitsDocument;
use super::kubernetes::SecretMode;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One tenant: what it sees, how its components are configured, its limits.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSection {
    /// Tool name patterns (`*`, `?`) the tenant may see; empty: all.
    #[serde(default)]
    pub allow_tools: Vec<String>,
    /// Tool name patterns hidden from the tenant (wins over `allow_tools`).
    #[serde(default)]
    pub deny_tools: Vec<String>,
    /// Component (service) name patterns the tenant may see; empty: all.
    #[serde(default)]
    pub allow_components: Vec<String>,
    #[serde(default)]
    pub deny_components: Vec<String>,
    /// Written into every audit line of this tenant's calls.
    pub audit_tag: Option<String>,
    /// Only tools annotated read-only are visible to this tenant.
    #[serde(default)]
    pub read_only: bool,
    /// Hide components without a valid signature from this tenant.
    #[serde(default)]
    pub require_signatures: bool,
    /// Services whose backend credentials callers may send per request
    /// (`X-Mcp-Backend-<Service>-<Field>` headers).
    #[serde(default)]
    pub allow_request_credentials: Vec<String>,
    /// The tenant's own components, visible only to it.
    pub components_dir: Option<PathBuf>,
    #[serde(default)]
    pub limits: TenantLimits,
    /// Per-component settings, secrets and (narrowing) limits.
    #[serde(default)]
    pub components: BTreeMap<String, TenantComponent>,
    /// Narrows the global `[kubernetes]` policy.
    #[serde(default)]
    pub kubernetes: TenantKube,
}

/// The tenant's own limits; fuel, time and memory cap every tool's.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantLimits {
    /// Tool calls per second (token bucket, with `burst`).
    pub requests_per_second: Option<f64>,
    pub burst: Option<u32>,
    /// Tool calls of this tenant running at once.
    pub max_concurrent: Option<usize>,
    /// Fuel all of this tenant's calls may use per minute together.
    pub fuel_per_minute: Option<u64>,
    pub fuel: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub memory_mb: Option<u64>,
    pub max_output_bytes: Option<usize>,
}

impl TenantLimits {
    pub fn caps(&self) -> LimitsDocument {
        LimitsDocument {
            fuel: self.fuel,
            timeout_ms: self.timeout_ms,
            memory_mb: self.memory_mb,
            max_output_bytes: self.max_output_bytes,
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantComponent {
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Literal, `env:VAR` or `file:/path`; resolved at start-up.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: LimitsDocument,
    /// The only destinations this tenant's calls may reach (each within
    /// the component's egress rules); absent: the component's rules.
    pub egress: Option<Vec<String>>,
    /// Per tool (component-local name).
    #[serde(default)]
    pub tools: BTreeMap<String, TenantTool>,
    /// Host capabilities for this tenant's calls: for a server-wide
    /// component a subset of its grants; for the tenant's own component the
    /// grants themselves (absent: config, log, progress and http).
    pub grants: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantTool {
    #[serde(default)]
    pub limits: LimitsDocument,
}

/// `[tenants.<name>.kubernetes]`: every field can only narrow.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantKube {
    /// Contexts this tenant may use (a subset of the configured ones).
    #[serde(default)]
    pub contexts: Vec<String>,
    pub default_context: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub allowed_namespaces: Vec<String>,
    #[serde(default)]
    pub denied_namespaces: Vec<String>,
    #[serde(default)]
    pub denied_kinds: Vec<String>,
    pub secrets: Option<SecretMode>,
    pub allow_exec: Option<bool>,
    pub allow_port_forward: Option<bool>,
    /// Act as this user (and groups) for this tenant's calls.
    pub impersonate_user: Option<String>,
    #[serde(default)]
    pub impersonate_groups: Vec<String>,
}

impl TenantKube {
    pub fn is_empty(&self) -> bool {
        self.contexts.is_empty()
            && self.default_context.is_none()
            && !self.read_only
            && self.allowed_namespaces.is_empty()
            && self.denied_namespaces.is_empty()
            && self.denied_kinds.is_empty()
            && self.secrets.is_none()
            && self.allow_exec.is_none()
            && self.allow_port_forward.is_none()
            && self.impersonate_user.is_none()
    }
}
