//! A tenant's view of the Kubernetes service: a subset of the contexts,
//! a narrowed policy and, optionally, its own impersonated identity. Views
//! share the API servers' discovery caches.

use super::{Cluster, KubePolicy, KubeService};
use crate::config::kubernetes::{KubePolicyDocument, SecretMode};
use crate::config::tenant::TenantKube;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

impl KubeService {
    /// The service as tenant `name` may use it (`key` names its section).
    pub fn for_tenant(&self, t: &TenantKube, key: &str) -> Result<Arc<Self>> {
        let doc = narrow_kube(&self.policy.doc, t, key)?;
        let policy =
            KubePolicy::compile(&doc).map_err(|e| Error::invalid(format!("{key}.kubernetes"), e.to_string()))?;
        let names: Vec<String> =
            if t.contexts.is_empty() { self.clusters.keys().cloned().collect() } else { t.contexts.clone() };
        let mut clusters = BTreeMap::new();
        for name in &names {
            let c = self.clusters.get(name).ok_or_else(|| {
                Error::invalid(
                    format!("{key}.kubernetes.contexts"),
                    format!("`{name}` is not among the configured contexts {:?}", self.contexts().0),
                )
            })?;
            let mut config = c.config.clone();
            if let Some(user) = &t.impersonate_user {
                config.auth_info.impersonate = Some(user.clone());
                config.auth_info.impersonate_groups =
                    (!t.impersonate_groups.is_empty()).then(|| t.impersonate_groups.clone());
            }
            clusters.insert(name.clone(), Cluster::new(config, c.discovery.clone())?);
        }
        let default_context = match &t.default_context {
            Some(d) if clusters.contains_key(d) => d.clone(),
            Some(d) => {
                return Err(Error::invalid(
                    format!("{key}.kubernetes.default_context"),
                    format!("`{d}` is not among this tenant's contexts {names:?}"),
                ));
            }
            None if clusters.contains_key(&self.default_context) => self.default_context.clone(),
            None => names[0].clone(),
        };
        Ok(Arc::new(Self { clusters, default_context, policy, callers: Default::default() }))
    }
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
}
