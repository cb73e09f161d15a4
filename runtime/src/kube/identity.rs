//! Per-caller views of the Kubernetes service: with `impersonate_callers`,
//! each authenticated caller's calls carry `Impersonate-User` (its subject
//! with `caller_user_prefix`) and `Impersonate-Group` (only the groups
//! `caller_groups` maps its roles to), so the API server's RBAC decides what
//! that caller may do. A token's claims never name a group themselves, and
//! `system:` subjects are refused unless the operator lists them. A view
//! shares the API servers' discovery caches and keeps its own pooled
//! clients; views are cached per identity.

use super::{Cluster, KubeService};
use crate::config::kubernetes::KubePolicyDocument;
use crate::error::Result;
use std::sync::Arc;
use std::time::Duration;

/// Identities kept warm at once, and how long an idle one stays.
const MAX_VIEWS: u64 = 1024;
const IDLE: Duration = Duration::from_secs(600);

/// The prefix Kubernetes reserves for its own users and groups.
const SYSTEM: &str = "system:";

pub struct CallerViews(moka::future::Cache<(String, Vec<String>), Arc<KubeService>>);

impl Default for CallerViews {
    fn default() -> Self {
        Self(moka::future::Cache::builder().max_capacity(MAX_VIEWS).time_to_idle(IDLE).build())
    }
}

/// A caller the service cannot act as.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    #[error("cannot act as caller `{subject}` in Kubernetes: {source}")]
    Client {
        subject: String,
        #[source]
        source: Arc<crate::error::Error>,
    },
    #[error("caller `{subject}` is refused in Kubernetes: {reason}")]
    Refused { subject: String, reason: String },
}

/// The user and groups the cluster sees for `subject` with `roles`: the
/// prefixed subject, and the groups the operator mapped the roles to (roles
/// without a mapping add none). A subject that names or would become a
/// `system:` identity is refused unless `caller_system_subjects` lists it.
pub fn caller_identity(
    doc: &KubePolicyDocument,
    subject: &str,
    roles: &[String],
) -> std::result::Result<(String, Vec<String>), String> {
    if subject.is_empty() {
        return Err("an empty subject cannot be impersonated".into());
    }
    let user = format!("{}{subject}", doc.caller_user_prefix);
    let system = subject.to_ascii_lowercase().contains(SYSTEM) || user.to_ascii_lowercase().starts_with(SYSTEM);
    if system && !doc.caller_system_subjects.iter().any(|s| s == subject) {
        return Err(format!(
            "user `{user}` would name a Kubernetes `system:` identity; \
             only subjects listed in kubernetes.caller_system_subjects may"
        ));
    }
    let mapped = roles.iter().filter_map(|r| doc.caller_groups.get(r)).flatten();
    let mut groups: Vec<String> = mapped.chain(&doc.impersonate_groups).cloned().collect();
    groups.sort();
    groups.dedup();
    Ok((user, groups))
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
        let Some(subject) = caller.filter(|_| doc.impersonate_callers) else {
            return Ok(self.clone());
        };
        let (user, groups) = caller_identity(doc, subject, roles)
            .map_err(|reason| CallerError::Refused { subject: subject.to_string(), reason })?;
        let key = (user.clone(), groups.clone());
        self.callers
            .0
            .try_get_with(key, async { self.view_as(user, groups).map(Arc::new) })
            .await
            .map_err(|source| CallerError::Client { subject: subject.to_string(), source })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> KubePolicyDocument {
        let mut d = KubePolicyDocument { impersonate_callers: true, ..Default::default() };
        d.caller_groups.insert("viewer".into(), vec!["mcp:viewer".into()]);
        d.caller_groups.insert("ops".into(), vec!["mcp:ops".into(), "mcp:viewer".into()]);
        d
    }

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_come_only_from_the_mapping() {
        let (user, groups) = caller_identity(&doc(), "mallory", &roles(&["viewer", "system:masters"])).unwrap();
        assert_eq!(user, "mcp:mallory");
        assert_eq!(groups, vec!["mcp:viewer".to_string()], "an unmapped role adds no group");
        let (_, groups) = caller_identity(&doc(), "a", &roles(&["mcp:viewer", "cluster-admin", ""])).unwrap();
        assert!(groups.is_empty(), "a claim that looks like a group is still no group: {groups:?}");
        let (_, groups) = caller_identity(&doc(), "a", &roles(&["ops", "viewer"])).unwrap();
        assert_eq!(groups, vec!["mcp:ops".to_string(), "mcp:viewer".to_string()]);
    }

    #[test]
    fn system_subjects_are_refused_unless_listed() {
        for subject in ["system:admin", "system:serviceaccount:kube-system:default", "System:Admin", "x-system:y"] {
            let why = caller_identity(&doc(), subject, &[]).unwrap_err();
            assert!(why.contains("system:") && why.contains("caller_system_subjects"), "{why}");
        }
        let mut d = doc();
        d.caller_user_prefix = "system:".into();
        assert!(caller_identity(&d, "alice", &[]).is_err(), "a prefix cannot make a system user");
        d.caller_user_prefix = String::new();
        assert_eq!(caller_identity(&d, "alice", &[]).unwrap().0, "alice");
        d.caller_system_subjects = vec!["system:admin".into()];
        assert_eq!(caller_identity(&d, "system:admin", &[]).unwrap().0, "system:admin");
        assert!(caller_identity(&doc(), "", &[]).is_err());
    }

    #[test]
    fn the_default_prefixes_are_mcp() {
        let d = KubePolicyDocument::default();
        assert_eq!((d.caller_user_prefix.as_str(), d.caller_group_prefix.as_str()), ("mcp:", "mcp:"));
        let parsed: KubePolicyDocument = toml::from_str("impersonate_callers = true").unwrap();
        assert_eq!(caller_identity(&parsed, "bob", &roles(&["viewer"])).unwrap(), ("mcp:bob".into(), vec![]));
    }

    #[test]
    fn the_mapping_is_validated_with_its_key() {
        let defined = roles(&["viewer", "ops"]);
        assert!(doc().validate_callers(&defined).is_ok());
        assert!(doc().validate_callers(&[]).is_ok(), "no roles table: any role name may be mapped");
        let msg = doc().validate_callers(&roles(&["viewer"])).unwrap_err().to_string();
        assert!(msg.contains("kubernetes.caller_groups.ops") && msg.contains("[auth.roles]"), "{msg}");
        let mut d = doc();
        d.caller_groups.insert("viewer".into(), vec!["system:masters".into()]);
        let msg = d.validate_callers(&defined).unwrap_err().to_string();
        assert!(msg.contains("kubernetes.caller_groups.viewer") && msg.contains("system:masters"), "{msg}");
        d.caller_group_prefix = String::new();
        assert!(d.validate_callers(&defined).is_ok(), "an explicit mapping outside the prefix");
        d.impersonate_callers = false;
        assert!(d.validate_callers(&defined).unwrap_err().to_string().contains("impersonate_callers"));
    }
}
