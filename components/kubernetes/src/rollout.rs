//! `rollout_undo`: roll a Deployment, StatefulSet or DaemonSet back to an
//! earlier revision, the way `kubectl rollout undo` does.
//!
//! - Deployment: its revisions are the ReplicaSets it owns (annotation
//!   `deployment.kubernetes.io/revision`); the chosen ReplicaSet's pod
//!   template (without `pod-template-hash`) replaces the Deployment's.
//! - StatefulSet / DaemonSet: revisions are the ControllerRevisions they own
//!   (`.revision`); the chosen revision's `data` is a strategic merge patch.

use crate::common::*;
use k8s_mcp_sdk::kube::{self, PatchKind, ResourceRef};
use k8s_mcp_sdk::prelude::*;

const REVISION: &str = "deployment.kubernetes.io/revision";

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UndoArgs {
    /// Deployment, StatefulSet or DaemonSet.
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// Revision to roll back to (default: the one before the current).
    #[serde(default, alias = "to_revision")]
    pub to_revision: Option<i64>,
    #[serde(flatten)]
    pub dry_run: DryRun,
    #[serde(flatten)]
    pub context: ContextArg,
}

/// One revision of a workload: its number and what restores it.
struct Revision {
    number: i64,
    source: String,
    restore: Value,
}

/// Objects of `kind` in `namespace` selected by the workload's selector and
/// owned by it.
fn owned(obj: &Value, kind: &str, namespace: &str) -> R<Vec<Value>> {
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>())
        .unwrap_or_default()
        .join(",");
    let uid = str_at(obj, "/metadata/uid");
    let target =
        ResourceRef { api_version: "apps/v1".into(), kind: kind.into(), namespace: Some(namespace.into()), name: None };
    let list = list(&target, &list_opts(&Some(selector), &None, None, &None, false))?;
    Ok(items(&list)
        .into_iter()
        .filter(|i| {
            i.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
        })
        .collect())
}

fn deployment_revisions(obj: &Value, namespace: &str) -> R<Vec<Revision>> {
    Ok(owned(obj, "ReplicaSet", namespace)?
        .into_iter()
        .filter_map(|rs| {
            let number = rs.pointer(&format!("/metadata/annotations/{}", REVISION.replace('/', "~1")))?;
            let number = number.as_str()?.parse().ok()?;
            let mut template = rs.pointer("/spec/template")?.clone();
            if let Some(labels) = template.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
                labels.remove("pod-template-hash");
            }
            let ops = json!([{"op": "replace", "path": "/spec/template", "value": template}]);
            Some(Revision { number, source: format!("ReplicaSet/{}", str_at(&rs, "/metadata/name")), restore: ops })
        })
        .collect())
}

fn controller_revisions(obj: &Value, namespace: &str) -> R<Vec<Revision>> {
    Ok(owned(obj, "ControllerRevision", namespace)?
        .into_iter()
        .filter_map(|cr| {
            Some(Revision {
                number: cr.get("revision")?.as_i64()?,
                source: format!("ControllerRevision/{}", str_at(&cr, "/metadata/name")),
                restore: cr.get("data")?.clone(),
            })
        })
        .collect())
}

pub fn rollout_undo(a: UndoArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let name = required("name", &a.name)?;
    let dry_run = a.dry_run.enabled();
    let kind = match a.kind.trim().to_ascii_lowercase().as_str() {
        "deployment" | "deployments" | "deploy" => "Deployment",
        "statefulset" | "statefulsets" | "sts" => "StatefulSet",
        "daemonset" | "daemonsets" | "ds" => "DaemonSet",
        _ => {
            return Err(ToolError::invalid(format!(
                "rollout_undo needs a Deployment, StatefulSet or DaemonSet (got `{}`)",
                a.kind
            )));
        }
    };
    let target = ResourceRef {
        api_version: "apps/v1".into(),
        kind: kind.into(),
        namespace: Some(optional(&a.namespace).unwrap_or_else(|| "default".into())),
        name: Some(name.into()),
    };
    let obj = get(&target)?;
    let namespace = str_at(&obj, "/metadata/namespace").to_string();
    let mut revisions = if kind == "Deployment" {
        deployment_revisions(&obj, &namespace)?
    } else {
        controller_revisions(&obj, &namespace)?
    };
    revisions.sort_by_key(|r| r.number);
    let current = match kind {
        "Deployment" => obj
            .pointer(&format!("/metadata/annotations/{}", REVISION.replace('/', "~1")))
            .and_then(Value::as_str)
            .and_then(|r| r.parse().ok()),
        _ => revisions.last().map(|r| r.number),
    }
    .ok_or_else(|| ToolError::not_found(format!("{kind} {namespace}/{name} has no recorded revision yet")))?;
    let chosen = match a.to_revision.filter(|r| *r != 0) {
        Some(n) if n < 0 => return Err(ToolError::invalid(format!("`toRevision` must be positive (got {n})"))),
        Some(n) => revisions.iter().find(|r| r.number == n).ok_or_else(|| {
            let known: Vec<i64> = revisions.iter().map(|r| r.number).collect();
            ToolError::not_found(format!("{kind} {namespace}/{name} has no revision {n} (known: {known:?})"))
        })?,
        None => revisions.iter().rev().find(|r| r.number < current).ok_or_else(|| {
            ToolError::not_found(format!("{kind} {namespace}/{name} has no revision before {current} to roll back to"))
        })?,
    };
    if chosen.number == current {
        return Output::json(&json!({
            "action": "skipped", "kind": kind, "name": name, "namespace": namespace,
            "message": format!("revision {current} is already the current one"), "currentRevision": current,
        }));
    }
    let (patch_kind, body) = match kind {
        "Deployment" => (PatchKind::Json, &chosen.restore),
        _ => (PatchKind::Strategic, &chosen.restore),
    };
    let patched = parse(&kube::patch(&target, patch_kind, &body.to_string(), dry_run)?)?;
    Output::json(&json!({
        "action": if dry_run { "rolled back (dry run)" } else { "rolled back" },
        "kind": kind, "name": name, "namespace": namespace,
        "fromRevision": current, "toRevision": chosen.number, "source": chosen.source,
        "images": patched.pointer("/spec/template/spec/containers").and_then(Value::as_array)
            .map(|cs| cs.iter().map(|c| c["image"].clone()).collect::<Vec<_>>()),
        "dryRun": dry_run,
    }))
}
