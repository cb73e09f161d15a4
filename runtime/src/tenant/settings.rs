//! `[tenants.<name>]` as written, and the narrowing rules: a tenant's
//! limits, Kubernetes policy and per-tool limits can only tighten what the
//! component and the global configuration allow.

use crate::error::{Error, Result};
use crate::kube::policy::{KubePolicyDocument, SecretMode};
use crate::policy::{Limits, LimitsDocument};
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
    fn caps(&self) -> LimitsDocument {
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

/// Validate a limits document (same rules as a component's) and cap `base`
/// with it: each field is the smaller of the two.
pub fn narrow_limits(base: Limits, caps: &LimitsDocument, key: &str) -> Result<Limits> {
    let wanted = caps.apply(base, key)?;
    Ok(Limits {
        fuel: base.fuel.min(wanted.fuel),
        timeout: base.timeout.min(wanted.timeout),
        memory_bytes: base.memory_bytes.min(wanted.memory_bytes),
        max_output_bytes: base.max_output_bytes.min(wanted.max_output_bytes),
    })
}

/// The limits of one tool for a tenant: the component's (or tool's) limits,
/// capped by the tenant, then the tenant's component section, then its tool
/// section. Most specific wins, but only by narrowing.
pub fn tenant_tool_limits(
    base: Limits,
    tenant: &TenantSection,
    component: &str,
    tool: &str,
    key: &str,
) -> Result<Limits> {
    let mut l = narrow_limits(base, &tenant.limits.caps(), &format!("{key}.limits"))?;
    if let Some(c) = tenant.components.get(component) {
        l = narrow_limits(l, &c.limits, &format!("{key}.components.{component}.limits"))?;
        if let Some(t) = c.tools.get(tool) {
            l = narrow_limits(l, &t.limits, &format!("{key}.components.{component}.tools.{tool}.limits"))?;
        }
    }
    Ok(l)
}

fn secret_rank(m: SecretMode) -> u8 {
    match m {
        SecretMode::Allow => 0,
        SecretMode::Redact => 1,
        SecretMode::Deny => 2,
    }
}

/// The global Kubernetes policy narrowed by a tenant's section. Naming a
/// namespace the global policy does not allow is a configuration error
/// rather than a silent widening.
pub fn narrow_kube(global: &KubePolicyDocument, t: &TenantKube, key: &str) -> Result<KubePolicyDocument> {
    let mut d = global.clone();
    d.read_only |= t.read_only;
    if !t.allowed_namespaces.is_empty() {
        for ns in &t.allowed_namespaces {
            let allowed = global.allowed_namespaces.is_empty() || global.allowed_namespaces.contains(ns);
            if !allowed || global.denied_namespaces.contains(ns) {
                return Err(Error::invalid(
                    format!("{key}.kubernetes.allowed_namespaces"),
                    format!("`{ns}` is not allowed by [kubernetes]; a tenant can only narrow the global policy"),
                ));
            }
        }
        d.allowed_namespaces = t.allowed_namespaces.clone();
    }
    for ns in &t.denied_namespaces {
        if !d.denied_namespaces.contains(ns) {
            d.denied_namespaces.push(ns.clone());
        }
    }
    for k in &t.denied_kinds {
        if !d.denied_kinds.iter().any(|g| g.eq_ignore_ascii_case(k)) {
            d.denied_kinds.push(k.clone());
        }
    }
    if let Some(m) = t.secrets
        && secret_rank(m) > secret_rank(d.secrets)
    {
        d.secrets = m;
    }
    let gate = |global: bool, tenant: Option<bool>, field: &str| -> Result<bool> {
        match tenant {
            Some(true) if !global => Err(Error::invalid(
                format!("{key}.kubernetes.{field}"),
                "is off in [kubernetes]; a tenant can only narrow the global policy",
            )),
            Some(v) => Ok(v),
            None => Ok(global),
        }
    };
    d.allow_exec = gate(global.allow_exec, t.allow_exec, "allow_exec")?;
    d.allow_port_forward = gate(global.allow_port_forward, t.allow_port_forward, "allow_port_forward")?;
    if !t.impersonate_groups.is_empty() && t.impersonate_user.is_none() {
        return Err(Error::invalid(format!("{key}.kubernetes.impersonate_groups"), "needs impersonate_user"));
    }
    if let Some(user) = &t.impersonate_user {
        d.impersonate_user = Some(user.clone());
        d.impersonate_groups = t.impersonate_groups.clone();
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn base() -> Limits {
        Limits { fuel: 1_000, timeout: Duration::from_secs(10), memory_bytes: 64 << 20, max_output_bytes: 1 << 20 }
    }

    #[test]
    fn limits_only_narrow() {
        let caps = LimitsDocument { fuel: Some(10_000), timeout_ms: Some(500), memory_mb: None, ..Default::default() };
        let l = narrow_limits(base(), &caps, "tenants.a.limits").unwrap();
        assert_eq!(l.fuel, 1_000, "a larger tenant fuel must not widen the component's");
        assert_eq!(l.timeout, Duration::from_millis(500));
        assert_eq!(l.memory_bytes, 64 << 20);
        let msg = narrow_limits(base(), &LimitsDocument { fuel: Some(0), ..Default::default() }, "tenants.a.limits")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("tenants.a.limits.fuel"), "{msg}");
    }

    #[test]
    fn most_specific_layer_wins_by_narrowing() {
        let doc: TenantSection = crate::policy::parse_toml(
            "[limits]\nfuel = 800\n[components.svc.limits]\nfuel = 900\ntimeout_ms = 2000\n\
             [components.svc.tools.spin.limits]\nfuel = 100\n",
            "t.toml",
        )
        .unwrap();
        let l = tenant_tool_limits(base(), &doc, "svc", "other", "tenants.a").unwrap();
        assert_eq!((l.fuel, l.timeout), (800, Duration::from_secs(2)), "the component layer cannot widen the tenant's");
        let l = tenant_tool_limits(base(), &doc, "svc", "spin", "tenants.a").unwrap();
        assert_eq!(l.fuel, 100);
        let l = tenant_tool_limits(base(), &doc, "elsewhere", "spin", "tenants.a").unwrap();
        assert_eq!((l.fuel, l.timeout), (800, Duration::from_secs(10)));
    }

    #[test]
    fn kube_policy_only_narrows() {
        let global = KubePolicyDocument {
            allowed_namespaces: vec!["a".into(), "b".into()],
            denied_kinds: vec!["ClusterRole".into()],
            ..Default::default()
        };
        let t = TenantKube {
            read_only: true,
            allowed_namespaces: vec!["a".into()],
            denied_kinds: vec!["Secret".into()],
            secrets: Some(SecretMode::Allow),
            ..Default::default()
        };
        let d = narrow_kube(&global, &t, "tenants.x").unwrap();
        assert!(d.read_only);
        assert_eq!(d.allowed_namespaces, vec!["a".to_string()]);
        assert_eq!(d.denied_kinds, vec!["ClusterRole".to_string(), "Secret".to_string()]);
        assert_eq!(d.secrets, SecretMode::Redact, "Allow is wider than the global Redact");
        let widen = TenantKube { allowed_namespaces: vec!["c".into()], ..Default::default() };
        let msg = narrow_kube(&global, &widen, "tenants.x").unwrap_err().to_string();
        assert!(msg.contains("tenants.x.kubernetes.allowed_namespaces") && msg.contains("`c`"), "{msg}");
        let exec = TenantKube { allow_exec: Some(true), ..Default::default() };
        let msg = narrow_kube(&global, &exec, "tenants.x").unwrap_err().to_string();
        assert!(msg.contains("tenants.x.kubernetes.allow_exec"), "{msg}");
        // A read-only global policy stays read-only whatever the tenant says.
        let ro = KubePolicyDocument { read_only: true, ..Default::default() };
        assert!(narrow_kube(&ro, &TenantKube::default(), "tenants.x").unwrap().read_only);
    }

    #[test]
    fn unknown_tenant_keys_are_named() {
        let err = crate::policy::parse_toml::<TenantSection>("[limits]\nfuell = 1\n", "c.toml").unwrap_err();
        assert!(err.to_string().contains("fuell"), "{err}");
    }
}
