//! `[tenants.<name>]` as written, and the narrowing rules: a tenant's
//! limits, Kubernetes policy and per-tool limits can only tighten what the
//! component and the global configuration allow.

use crate::config::LimitsDocument;
use crate::error::Result;
use crate::policy::Limits;

pub use crate::config::tenant::{TenantComponent, TenantKube, TenantLimits, TenantSection, TenantTool};

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
        let doc: TenantSection = crate::config::parse_toml(
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
    fn unknown_tenant_keys_are_named() {
        let err = crate::config::parse_toml::<TenantSection>("[limits]\nfuell = 1\n", "c.toml").unwrap_err();
        assert!(err.to_string().contains("fuell"), "{err}");
    }
}
