//! What the Kubernetes capability may do, enforced natively before any
//! request leaves the runtime: read-only mode, namespace allow/deny lists,
//! denied kinds, Secret handling, exec gating.

pub use crate::config::kubernetes::{KubePolicyDocument, SecretMode};
use crate::error::{Error, Result};
use serde_json::Value;

/// The compiled policy.
#[derive(Debug, Clone, Default)]
pub struct KubePolicy {
    pub doc: KubePolicyDocument,
}

pub use super::mask::REDACTED;

/// An operation the policy refuses; the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

impl KubePolicy {
    pub fn compile(doc: &KubePolicyDocument) -> Result<Self> {
        if !doc.impersonate_groups.is_empty() && doc.impersonate_user.is_none() {
            return Err(Error::invalid("kubernetes.impersonate_groups", "needs kubernetes.impersonate_user"));
        }
        Ok(Self { doc: doc.clone() })
    }

    /// Refuse writes in read-only mode.
    pub fn check_write(&self, verb: &str) -> std::result::Result<(), Denied> {
        if self.doc.read_only {
            return Err(Denied(format!("`{verb}` refused: the Kubernetes capability is read-only")));
        }
        Ok(())
    }

    pub fn check_namespace(&self, namespace: Option<&str>) -> std::result::Result<(), Denied> {
        let d = &self.doc;
        match namespace {
            Some(ns) if d.denied_namespaces.iter().any(|n| n == ns) => {
                Err(Denied(format!("namespace `{ns}` is denied by policy")))
            }
            Some(ns) if !d.allowed_namespaces.is_empty() && !d.allowed_namespaces.iter().any(|n| n == ns) => {
                Err(Denied(format!("namespace `{ns}` is not among the allowed namespaces {:?}", d.allowed_namespaces)))
            }
            None if !d.allowed_namespaces.is_empty() => Err(Denied(format!(
                "cluster-wide access refused: only namespaces {:?} are allowed",
                d.allowed_namespaces
            ))),
            _ => Ok(()),
        }
    }

    pub fn check_kind(&self, kind: &str) -> std::result::Result<(), Denied> {
        if self.doc.denied_kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            return Err(Denied(format!("kind `{kind}` is denied by policy")));
        }
        if kind.eq_ignore_ascii_case("secret") && self.doc.secrets == SecretMode::Deny {
            return Err(Denied("Secrets are denied by policy".into()));
        }
        Ok(())
    }

    /// Whether outputs are masked: unless Secrets are allowed outright
    /// (denying them is stricter than masking, not looser).
    pub fn masks(&self) -> bool {
        self.doc.secrets != SecretMode::Allow
    }

    /// Mask Secret values, and values that look like credentials elsewhere
    /// (container `env` entries, ConfigMap keys), in an object or a list.
    pub fn redact(&self, value: &mut Value) {
        if !self.masks() {
            return;
        }
        let list_kind =
            value.get("kind").and_then(Value::as_str).and_then(|k| k.strip_suffix("List")).map(String::from);
        if let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) {
            for item in items {
                redact_secret(item, true);
                let kind = item.get("kind").and_then(Value::as_str).map(String::from).or_else(|| list_kind.clone());
                redact_credentials(item, kind.as_deref());
            }
        }
        redact_secret(value, false);
        let kind = value.get("kind").and_then(Value::as_str).map(String::from);
        redact_credentials(value, kind.as_deref());
    }

    /// A server-rendered table: cells of credential-like columns (a CRD's
    /// printer column over a password, say) are masked.
    pub fn redact_table(&self, table: &mut Value) {
        if !self.masks() {
            return;
        }
        let Some(columns) = table.get("columnDefinitions").and_then(Value::as_array) else { return };
        let masked: Vec<usize> = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.get("name").and_then(Value::as_str).is_some_and(looks_like_credential))
            .map(|(i, _)| i)
            .collect();
        if masked.is_empty() {
            return;
        }
        let rows = table.get_mut("rows").and_then(Value::as_array_mut).into_iter().flatten();
        for cells in rows.filter_map(|r| r.get_mut("cells").and_then(Value::as_array_mut)) {
            for &i in &masked {
                if let Some(cell) =
                    cells.get_mut(i).filter(|c| c.as_str().is_none_or(|s| !s.is_empty() && s != "<none>"))
                {
                    *cell = Value::String(REDACTED.into());
                }
            }
        }
    }
}

pub use super::mask::looks_like_credential;

/// Mask credentials outside Secrets (`kube::mask`): env values, container
/// args and commands, URL passwords, ConfigMap data; the last-applied
/// annotation goes too when anything was masked.
fn redact_credentials(obj: &mut Value, kind: Option<&str>) {
    let mut masked = super::mask::mask_object(obj);
    if kind == Some("ConfigMap") {
        masked |= super::mask::mask_configmap_data(obj);
    }
    if masked {
        mask_last_applied(obj);
    }
}

/// `kubectl apply` keeps the full previous object, values included.
fn mask_last_applied(obj: &mut Value) {
    const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
    if let Some(ann) = obj.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut)
        && ann.contains_key(LAST_APPLIED)
    {
        ann.insert(LAST_APPLIED.into(), Value::String(REDACTED.into()));
    }
}

fn redact_secret(obj: &mut Value, in_list: bool) {
    let is_secret = obj.get("kind").and_then(Value::as_str) == Some("Secret")
        || (in_list && obj.get("type").is_some() && obj.get("data").is_some());
    if !is_secret {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(map) = obj.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                *v = Value::String(REDACTED.into());
            }
        }
    }
    mask_last_applied(obj);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(doc: KubePolicyDocument) -> KubePolicy {
        KubePolicy::compile(&doc).unwrap()
    }

    #[test]
    fn read_only_refuses_writes() {
        let p = policy(KubePolicyDocument { read_only: true, ..Default::default() });
        assert!(p.check_write("delete").unwrap_err().0.contains("read-only"));
        assert!(policy(KubePolicyDocument::default()).check_write("delete").is_ok());
    }

    #[test]
    fn namespaces_allow_and_deny() {
        let p = policy(KubePolicyDocument {
            allowed_namespaces: vec!["team-a".into()],
            denied_namespaces: vec!["kube-system".into()],
            ..Default::default()
        });
        assert!(p.check_namespace(Some("team-a")).is_ok());
        assert!(p.check_namespace(Some("team-b")).is_err());
        assert!(p.check_namespace(Some("kube-system")).is_err());
        assert!(p.check_namespace(None).is_err());
        assert!(policy(KubePolicyDocument::default()).check_namespace(None).is_ok());
    }

    #[test]
    fn credential_like_env_and_configmap_values_are_masked() {
        let p = policy(KubePolicyDocument::default());
        let mut deploy = json!({"kind": "Deployment", "metadata": {"annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{... hunter2 ...}"}},
            "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                {"name": "DB_PASSWORD", "value": "hunter2"},
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "t"}}}]}]}}}});
        p.redact(&mut deploy);
        let env = &deploy["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], REDACTED);
        assert_eq!(env[1]["value"], "info");
        assert!(env[2]["valueFrom"].is_object());
        assert_eq!(deploy["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"], REDACTED);
        let mut cms =
            json!({"kind": "ConfigMapList", "items": [{"data": {"smtp_password": "pw1234", "mode": "fast"}}]});
        p.redact(&mut cms);
        assert_eq!(cms["items"][0]["data"]["smtp_password"], REDACTED);
        assert_eq!(cms["items"][0]["data"]["mode"], "fast");
        let allow = policy(KubePolicyDocument { secrets: SecretMode::Allow, ..Default::default() });
        let mut open = json!({"kind": "ConfigMap", "data": {"token": "abcd"}});
        allow.redact(&mut open);
        assert_eq!(open["data"]["token"], "abcd");
    }

    #[test]
    fn secrets_are_redacted_by_default_and_deniable() {
        let p = policy(KubePolicyDocument::default());
        let mut list = json!({"kind": "SecretList", "items": [
            {"kind": "Secret", "type": "Opaque", "data": {"password": "c2VjcmV0"}, "metadata": {"name": "s"}}
        ]});
        p.redact(&mut list);
        assert_eq!(list["items"][0]["data"]["password"], REDACTED);
        let mut cm = json!({"kind": "ConfigMap", "data": {"k": "v"}});
        p.redact(&mut cm);
        assert_eq!(cm["data"]["k"], "v");
        let deny = policy(KubePolicyDocument { secrets: SecretMode::Deny, ..Default::default() });
        assert!(deny.check_kind("Secret").is_err());
        assert!(deny.check_kind("ConfigMap").is_ok());
        let mut cm = json!({"kind": "ConfigMap", "data": {"db_password": "hunter2"}});
        deny.redact(&mut cm);
        assert_eq!(cm["data"]["db_password"], REDACTED, "denying Secrets still masks credentials");
    }

    #[test]
    fn table_cells_of_credential_like_columns_are_masked() {
        let table = json!({"kind": "Table", "columnDefinitions": [{"name": "Name"}, {"name": "Admin Password"}, {"name": "Age"}],
            "rows": [{"cells": ["a", "hunter2", "5m"]}, {"cells": ["b", "<none>", "6m"]}]});
        let mut masked = table.clone();
        policy(KubePolicyDocument::default()).redact_table(&mut masked);
        assert_eq!(masked["rows"][0]["cells"], json!(["a", REDACTED, "5m"]));
        assert_eq!(masked["rows"][1]["cells"], json!(["b", "<none>", "6m"]));
        let mut open = table.clone();
        policy(KubePolicyDocument { secrets: SecretMode::Allow, ..Default::default() }).redact_table(&mut open);
        assert_eq!(open, table);
    }
}
