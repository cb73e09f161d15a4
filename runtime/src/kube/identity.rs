//! Per-caller views of the Kubernetes service: with `impersonate_callers`,
//! each authenticated caller's calls carry `Impersonate-User` (its subject)
//! and `Impersonate-Group` (its roles), so the API server's RBAC decides
//! what that caller may do. A view shares the API servers' discovery caches
//! and keeps its own pooled clients; views are cached per identity.

use super::{Cluster, KubeService};
use crate::error::Result;
use std::sync::Arc;
use std::time::Duration;

/// Identities kept warm at once, and how long an idle one stays.
const MAX_VIEWS: u64 = 1024;
const IDLE: Duration = Duration::from_secs(600);

pub struct CallerViews(moka::future::Cache<(String, Vec<String>), Arc<KubeService>>);

impl Default for CallerViews {
    fn default() -> Self {
        Self(moka::future::Cache::builder().max_capacity(MAX_VIEWS).time_to_idle(IDLE).build())
    }
}

/// A caller the service cannot act as.
#[derive(Debug, thiserror::Error)]
#[error("cannot act as caller `{subject}` in Kubernetes: {source}")]
pub struct CallerError {
    pub subject: String,
    #[source]
    pub source: Arc<crate::error::Error>,
}

impl KubeService {
    /// The service as seen by `caller` with `roles`: itself unless policy
    /// impersonates callers and the caller is authenticated.
    pub async fn for_caller(
        self: &Arc<Self>,
        caller: Option<&str>,
        roles: &[String],
    ) -> std::result::Result<Arc<Self>, CallerError> {
        let doc = &self.policy.doc;
        let Some(subject) = caller.filter(|c| doc.impersonate_callers && !c.is_empty()) else {
            return Ok(self.clone());
        };
        let user = format!("{}{subject}", doc.caller_user_prefix);
        let mut groups: Vec<String> = roles.iter().map(|r| format!("{}{r}", doc.caller_group_prefix)).collect();
        groups.extend(doc.impersonate_groups.iter().cloned());
        groups.sort();
        groups.dedup();
        let key = (user.clone(), groups.clone());
        self.callers
            .0
            .try_get_with(key, async { self.view_as(user, groups).map(Arc::new) })
            .await
            .map_err(|source| CallerError { subject: subject.to_string(), source })
    }

    fn view_as(&self, user: String, groups: Vec<String>) -> Result<Self> {
        let mut clusters = std::collections::BTreeMap::new();
        for (name, c) in &self.clusters {
            let mut config = c.config.clone();
            config.auth_info.impersonate = Some(user.clone());
            config.auth_info.impersonate_groups = (!groups.is_empty()).then(|| groups.clone());
            clusters.insert(name.clone(), Cluster::new(config, c.discovery.clone())?);
        }
        let mut policy = self.policy.clone();
        policy.doc.impersonate_user = Some(user);
        policy.doc.impersonate_groups = groups;
        policy.doc.impersonate_callers = false;
        Ok(Self { clusters, default_context: self.default_context.clone(), policy, callers: Default::default() })
    }
}
