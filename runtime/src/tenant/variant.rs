//! A tenant's variant of a loaded component: the same compiled code
//! (`InstancePre` is shared), only the tools the tenant may see, the
//! tenant's settings and secrets (and therefore its backend origin as the
//! egress grant), and limits narrowed by the tenant's layers.

use super::settings::{TenantSection, tenant_tool_limits};
use crate::error::{Error, Result};
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
    let mut policy = base.policy.clone();
    let (mut egress, mut settings, mut tls, mut breakers) =
        (base.egress.clone(), base.settings.clone(), base.tls.clone(), base.breakers.clone());
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
        let env = |var: &str| if blocked.contains(var) { None } else { std::env::var(var).ok() };
        let c = configure(name, &base.manifest, Some(&merged), &env)
            .map_err(|e| Error::invalid(format!("{key}.components.{name}"), e.to_string()))?;
        policy.limits = c.limits;
        policy.tool_limits = c.tool_limits;
        egress = Arc::new(c.egress);
        settings = Arc::new(c.settings);
        tls = Arc::new(c.tls);
        breakers = Arc::default();
    }
    if let Some(entries) = own.and_then(|o| o.egress.as_ref()) {
        let key = format!("{key}.components.{name}.egress");
        let rules = super::egress::narrow(entries, &egress.rules, &key).map_err(|(k, m)| Error::invalid(k, m))?;
        let mut narrowed = crate::policy::EgressPolicy::clone(&egress);
        narrowed.rules = rules;
        egress = Arc::new(narrowed);
    }
    let component_limits = policy.limits;
    for tool in &tools {
        let l = tenant_tool_limits(policy.limits_for(&tool.local_name), t, name, &tool.local_name, key)?;
        policy.tool_limits.insert(tool.local_name.clone(), l);
    }
    policy.limits = tenant_tool_limits(component_limits, t, name, "", key)?;
    Ok(Some(LoadedComponent {
        name: base.name.clone(),
        path: base.path.clone(),
        digest: base.digest.clone(),
        signed: base.signed,
        policy,
        egress,
        settings,
        breakers,
        tls,
        generation: base.generation.clone(),
        manifest: base.manifest.clone(),
        overrides: base.overrides.clone(),
        pre: base.pre.clone(),
        tools,
    }))
}
