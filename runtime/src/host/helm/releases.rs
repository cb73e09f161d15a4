//! Release records: the Secrets Helm 3 stores releases in, listed with the
//! call's context and the Kubernetes policy's namespace and Secret rules,
//! and handed over unmasked (the `kube` capability masks Secret values).
//! Only Secrets of type `helm.sh/release.v1` labelled `owner=helm` are
//! reachable this way, and only for components granted Helm access.

use super::{Call, HelmError};
use crate::kube::ops::KubeFailure;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const RELEASE_TYPE: &str = "helm.sh/release.v1";
const PAGE: u32 = 250;
/// Release records read per call at most.
const MAX_RECORDS: usize = 5000;

pub async fn list(
    call: &Call,
    namespace: Option<String>,
    extra_selector: Option<String>,
    latest_only: bool,
) -> Result<String, HelmError> {
    let kube = call.kube.as_ref().ok_or_else(|| {
        HelmError::NotConfigured("no Kubernetes cluster is configured (set KUBECONFIG or MCP_KUBECONFIG)".into())
    })?;
    let policy = &kube.policy;
    policy.check_kind("Secret").map_err(|m| HelmError::Denied(format!("Helm releases are stored as Secrets: {m}")))?;
    let mut selector = String::from("owner=helm");
    if let Some(extra) = extra_selector.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if extra.contains("owner") {
            return Err(HelmError::Invalid("the label selector may not constrain `owner`".into()));
        }
        selector.push(',');
        selector.push_str(extra);
    }
    let namespaces: Vec<Option<String>> = match namespace.filter(|n| !n.is_empty()) {
        Some(ns) => {
            policy.check_namespace(Some(&ns))?;
            vec![Some(ns)]
        }
        // Restricted to some namespaces: list each of them, not the cluster.
        None if !policy.doc.allowed_namespaces.is_empty() => {
            policy.doc.allowed_namespaces.iter().cloned().map(Some).collect()
        }
        None => vec![None],
    };
    let client = kube
        .client(call.context.as_deref())
        .map_err(|e| match e {
            KubeFailure::Invalid(m) => HelmError::Invalid(m),
            other => HelmError::Failed(format!("{other:?}")),
        })?
        .clone();
    // Keyed by (namespace, release, revision) so `latest_only` can keep one per release.
    let mut out: BTreeMap<(String, String, u64), (u64, Value)> = BTreeMap::new();
    let mut bytes = 0usize;
    for ns in namespaces {
        let api: Api<Secret> = match &ns {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        let mut params = ListParams::default().labels(&selector).fields(&format!("type={RELEASE_TYPE}")).limit(PAGE);
        loop {
            let page = api.list(&params).await.map_err(failure)?;
            for s in page.items {
                let ns = s.metadata.namespace.clone().unwrap_or_default();
                if policy.check_namespace(Some(&ns)).is_err() {
                    continue;
                }
                let Some(record) = s.data.as_ref().and_then(|d| d.get("release")) else { continue };
                let labels = s.metadata.labels.unwrap_or_default();
                let release = labels.get("name").cloned().unwrap_or_default();
                let version: u64 = labels.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
                // With `latest_only` one slot per release, holding its newest revision.
                let key = (ns.clone(), release, if latest_only { 0 } else { version });
                if let Some((have, old)) = out.get(&key) {
                    if *have >= version {
                        continue;
                    }
                    bytes -= old["release"].as_str().map_or(0, str::len);
                }
                bytes += record.0.len();
                let entry = json!({
                    "namespace": ns,
                    "name": s.metadata.name,
                    "labels": labels,
                    "release": String::from_utf8_lossy(&record.0),
                });
                out.insert(key, (version, entry));
                if out.len() > MAX_RECORDS || bytes > call.svc.max_output {
                    return Err(HelmError::Failed(format!(
                        "too many release records match (more than {MAX_RECORDS} or {} bytes); \
                         name a namespace or a label selector",
                        call.svc.max_output
                    )));
                }
            }
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => break,
            }
        }
    }
    Ok(Value::Array(out.into_values().map(|(_, v)| v).collect()).to_string())
}

fn failure(e: kube::Error) -> HelmError {
    match e {
        kube::Error::Api(s) if s.code == 403 => HelmError::Denied(s.message),
        kube::Error::Api(s) if s.code == 404 => HelmError::NotFound(s.message),
        kube::Error::Api(s) if s.code == 400 || s.code == 422 => HelmError::Invalid(s.message),
        other => HelmError::Failed(format!("listing Helm release Secrets: {other}")),
    }
}
