//! A tenant's view of the Kubernetes service: a subset of the contexts,
//! a narrowed policy and, optionally, its own impersonated identity. Views
//! share the API servers' discovery caches.

use super::{Cluster, KubePolicy, KubeService};
use crate::error::{Error, Result};
use crate::tenant::settings::{TenantKube, narrow_kube};
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
