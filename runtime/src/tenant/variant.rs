//! A tenant's variant of a loaded component: the same compiled code
//! (`InstancePre` is shared), only the tools the tenant may see, the
//! tenant's settings and secrets (and therefore its backend origin as the
//! egress grant), limits narrowed by the tenant's layers, and its grants:
//! narrowed for a server-wide component, decided by the tenant's section
//! for the tenant's own (untrusted) component.

use super::settings::{TenantSection, tenant_tool_limits};
use crate::error::{Error, Result};
use crate::policy::{Grants, HostRule};
use crate::sandbox::registry::Origin;
use crate::sandbox::registry::configure;
use crate::sandbox::{LoadedComponent, ToolInfo};
use std::collections::BTreeSet;
use std::sync::Arc;

/// `None` when the tenant sees none of the component's tools.
pub fn build(
    base: &LoadedComponent,
    t: &TenantSection,
    key: &str,
    visible: impl Fn(&str) -> bool,
) -> Result<Option<LoadedComponent>> {
    let name = &*base.name;
    let tools: Vec<ToolInfo> = base
        .tools
        .iter()
        .filter(|tool| visible(&tool.name) && (!t.read_only || tool.annotations.read_only))
        .cloned()
        .collect();
    if tools.is_empty() {
        return Ok(None);
    }
    let mut v = base.with_tools(tools);
    let own = t.components.get(name);
    if let Some(own) = own {
        for tool in own.tools.keys() {
            if !base.tools.iter().any(|x| &x.local_name == tool) {
                return Err(Error::invalid(
                    format!("{key}.components.{name}.tools.{tool}"),
                    format!("component `{name}` has no tool `{tool}`"),
                ));
            }
        }
    }
    if let Some(own) = own.filter(|o| !o.settings.is_empty() || !o.secrets.is_empty()) {
        let mut merged = base.overrides.clone().unwrap_or_default();
        let url_setting = base.manifest.backend.as_ref().map(|b| b.url_setting.as_str());
        // A tenant pointing the component at its own backend never inherits
        // the server's backend secrets: they would travel to the tenant's origin.
        if url_setting.is_some_and(|u| own.settings.contains_key(u)) {
            merged.secrets.clear();
        }
        merged.settings.extend(own.settings.clone());
        merged.secrets.extend(own.secrets.clone());
        let blocked: BTreeSet<String> = match &base.manifest.backend {
            Some(b) if url_setting.is_some_and(|u| own.settings.contains_key(u)) => {
                b.secret_env.values().chain(b.env.values()).cloned().collect()
            }
            Some(b) => b
                .env
                .iter()
                .chain(b.secret_env.iter())
                .filter(|(k, _)| own.settings.contains_key(*k) || own.secrets.contains_key(*k))
                .map(|(_, v)| v.clone())
                .collect(),
            None => BTreeSet::new(),
        };
        // A tenant's own component never reads the server's environment.
        let untrusted = base.origin == Origin::Tenant;
        let env = |var: &str| if untrusted || blocked.contains(var) { None } else { std::env::var(var).ok() };
        let c = configure(name, &base.manifest, Some(&merged), &env)
            .map_err(|e| Error::invalid(format!("{key}.components.{name}"), e.to_string()))?;
        v.policy.limits = c.limits;
        v.policy.tool_limits = c.tool_limits;
        v.egress = Arc::new(c.egress);
        v.settings = Arc::new(c.settings);
        v.tls = Arc::new(c.tls);
        v.breakers = Arc::default();
    }
    let entries = own.and_then(|o| o.egress.as_ref());
    let egress_key = format!("{key}.components.{name}.egress");
    if base.origin == Origin::Tenant {
        let granted = own_component_egress(entries.map_or(&[][..], Vec::as_slice), base, &egress_key)?;
        let mut e = crate::policy::EgressPolicy::clone(&v.egress);
        e.rules.extend(granted);
        v.egress = Arc::new(e);
    } else if let Some(entries) = entries {
        let rules =
            super::egress::narrow(entries, &v.egress.rules, &egress_key).map_err(|(k, m)| Error::invalid(k, m))?;
        let mut narrowed = crate::policy::EgressPolicy::clone(&v.egress);
        narrowed.rules = rules;
        v.egress = Arc::new(narrowed);
    }
    if let Some(list) = own.and_then(|o| o.grants.as_ref()) {
        v.grants = tenant_grants(list, base, &format!("{key}.components.{name}.grants"))?;
    }
    let component_limits = v.policy.limits;
    for tool in &v.tools {
        let l = tenant_tool_limits(v.policy.limits_for(&tool.local_name), t, name, &tool.local_name, key)?;
        v.policy.tool_limits.insert(tool.local_name.clone(), l);
    }
    v.policy.limits = tenant_tool_limits(component_limits, t, name, "", key)?;
    Ok(Some(v))
}

/// The egress of a tenant's own component: the operator's entries for it
/// (literal addresses allowed: the operator wrote them), kept only where
/// the component's manifest asked for them when it asked at all.
fn own_component_egress(entries: &[String], base: &LoadedComponent, key: &str) -> Result<Vec<HostRule>> {
    let requested = base.manifest.requested_egress.as_deref().filter(|r| !r.is_empty());
    let mut rules = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let rule = HostRule::parse(entry).map_err(|m| Error::invalid(format!("{key}[{i}]"), m))?;
        if requested.is_some_and(|asked| !asked.iter().any(|a| super::egress::within(&rule, a))) {
            tracing::info!(
                component = &*base.name,
                rule = entry,
                "egress entry not requested by the component's manifest; left out"
            );
            continue;
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// A tenant's grants for a component: for a server-wide one only a subset
/// of its grants; for the tenant's own, what the operator wrote (within the
/// manifest's request).
fn tenant_grants(list: &[String], base: &LoadedComponent, key: &str) -> Result<Grants> {
    let listed = Grants::parse(list).map_err(|e| Error::invalid(key, e))?;
    if base.origin == Origin::Tenant {
        return Ok(match &base.manifest.requested {
            Some(requested) => listed.intersect(requested),
            None => listed,
        });
    }
    if let Some(extra) = listed.iter().find(|g| !base.grants.contains(*g)) {
        return Err(Error::invalid(
            key,
            format!("`{extra}` is not granted to component `{}`; a tenant can only narrow its grants", base.name),
        ));
    }
    Ok(listed)
}
