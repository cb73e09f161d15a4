//! Rollouts, restarts, waiting for conditions, draining nodes.

use crate::common::*;
use crate::summary::condition_is;
use crate::write::set_unschedulable;
use k8s_mcp_sdk::kube::{self, PatchKind};
use k8s_mcp_sdk::prelude::*;
use std::time::Instant;

/// `(done, message)` of a workload's rollout, like `kubectl rollout status`.
pub fn rollout_state(obj: &Value) -> R<(bool, String)> {
    let generation = int_at(obj, "/metadata/generation");
    let observed = int_at(obj, "/status/observedGeneration");
    let name = str_at(obj, "/metadata/name");
    if observed < generation {
        return Ok((
            false,
            format!("waiting for the {name} rollout to be observed (generation {generation}, observed {observed})"),
        ));
    }
    let r = |p: &str| int_at(obj, p);
    Ok(match str_at(obj, "/kind") {
        "Deployment" => {
            let want = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            let (updated, total, avail) =
                (r("/status/updatedReplicas"), r("/status/replicas"), r("/status/availableReplicas"));
            if condition_is(obj, "Progressing", "False") {
                return Err(ToolError::upstream(format!("deployment {name} exceeded its progress deadline")));
            }
            if updated < want {
                (false, format!("{updated} of {want} updated replicas are available"))
            } else if total > updated {
                (false, format!("{} old replicas are pending termination", total - updated))
            } else if avail < updated {
                (false, format!("{avail} of {updated} updated replicas are available"))
            } else {
                (true, format!("deployment {name} successfully rolled out"))
            }
        }
        "StatefulSet" => {
            let want = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            let ready = r("/status/readyReplicas");
            let (cur, upd) = (str_at(obj, "/status/currentRevision"), str_at(obj, "/status/updateRevision"));
            if ready < want {
                (false, format!("{ready} of {want} pods are ready"))
            } else if str_at(obj, "/spec/updateStrategy/type") != "OnDelete" && !upd.is_empty() && cur != upd {
                (false, format!("waiting for pods to be updated to revision {upd}"))
            } else {
                (true, format!("statefulset {name} rolled out ({ready} pods ready)"))
            }
        }
        "DaemonSet" => {
            let want = r("/status/desiredNumberScheduled");
            let (updated, avail) = (r("/status/updatedNumberScheduled"), r("/status/numberAvailable"));
            if updated < want {
                (false, format!("{updated} of {want} updated pods are scheduled"))
            } else if avail < want {
                (false, format!("{avail} of {want} updated pods are available"))
            } else {
                (true, format!("daemon set {name} successfully rolled out"))
            }
        }
        k => {
            return Err(ToolError::invalid(format!(
                "rollout status needs a Deployment, StatefulSet or DaemonSet (got {k})"
            )));
        }
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutArgs {
    /// Deployment, StatefulSet or DaemonSet.
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// API version (`v1`, `apps/v1`); omitted: resolved through discovery, core group first.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
    /// Poll until the rollout completes (default false: one look).
    #[serde(default)]
    pub wait: Option<bool>,
    /// restart_workload: wait until the restarted rollout completes.
    #[serde(default, alias = "wait_for_ready")]
    pub wait_for_ready: Option<bool>,
    /// Waiting limit (default 120, at most ~300).
    #[serde(default, alias = "timeout_seconds")]
    pub timeout_seconds: Option<i64>,
    /// restart_workload: validate without changing anything.
    #[serde(default, rename = "dry_run", alias = "dryRun")]
    pub dry_run: Option<bool>,
    #[serde(flatten)]
    pub context: ContextArg,
}

fn wait_rollout(ctx: &Context, a: &RolloutArgs, wait: bool) -> R<Value> {
    let start = Instant::now();
    let name = required("name", &a.name)?;
    let target = resource_ref(&a.kind, &a.api_version, &a.namespace, Some(name))?;
    let timeout = bounded_timeout(ctx, a.timeout_seconds.unwrap_or(0), 120)?;
    let mut polls = 0u64;
    loop {
        let obj = get(&target)?;
        let (done, msg) = rollout_state(&obj)?;
        let elapsed = start.elapsed().as_secs();
        if done || !wait || elapsed >= timeout {
            return Ok(json!({
                "kind": str_at(&obj, "/kind"), "name": name, "namespace": obj.pointer("/metadata/namespace"),
                "complete": done, "message": msg, "timedOut": !done && wait && elapsed >= timeout,
                "waitedSeconds": elapsed, "status": obj.get("status"),
            }));
        }
        polls += 1;
        ctx.progress(elapsed as f64, Some(timeout as f64), Some(&msg));
        sleep_cancellable(ctx, if polls < 5 { 500 } else { 2000 })?;
    }
}

pub fn get_rollout_status(a: RolloutArgs, ctx: &Context) -> R<Output> {
    a.context.select()?;
    Output::json(&wait_rollout(ctx, &a, a.wait.unwrap_or(false))?)
}

pub fn restart_workload(a: RolloutArgs, ctx: &Context) -> R<Output> {
    a.context.select()?;
    let name = required("name", &a.name)?;
    let kind = a.kind.trim().to_ascii_lowercase();
    if !["deployment", "deployments", "statefulset", "statefulsets", "daemonset", "daemonsets"].contains(&kind.as_str())
    {
        return Err(ToolError::invalid(format!(
            "restart_workload needs a Deployment, StatefulSet or DaemonSet (got `{}`)",
            a.kind
        )));
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let body = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}});
    let target = resource_ref(&a.kind, &a.api_version, &a.namespace, Some(name))?;
    let dry_run = a.dry_run.unwrap_or(false);
    let obj = parse(&kube::patch(&target, PatchKind::Merge, &body.to_string(), dry_run)?)?;
    let mut out = json!({"action": if dry_run { "restarted (dry run)" } else { "restarted" },
        "kind": str_at(&obj, "/kind"), "name": name,
        "namespace": obj.pointer("/metadata/namespace"), "restartedAt": now, "dryRun": dry_run});
    if !dry_run && (a.wait_for_ready.unwrap_or(false) || a.wait.unwrap_or(false)) {
        out["rollout"] = wait_rollout(ctx, &a, true)?;
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitArgs {
    #[serde(flatten)]
    pub target: ObjectRef,
    /// ready (default), available, complete, exists or deleted.
    #[serde(default)]
    pub condition: Option<String>,
    /// Default 120, at most ~300.
    #[serde(default, alias = "timeout_seconds")]
    pub timeout_seconds: Option<i64>,
    /// Default 2.
    #[serde(default, alias = "poll_interval_seconds")]
    pub poll_interval_seconds: Option<i64>,
    #[serde(flatten)]
    pub context: ContextArg,
}

fn holds(cond: &str, obj: &Value) -> R<(bool, String)> {
    let kind = str_at(obj, "/kind");
    Ok(match cond {
        "exists" => (true, "exists".into()),
        "ready" => match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" => rollout_state(obj)?,
            "Pod" | "Node" => (condition_is(obj, "Ready", "True"), format!("Ready condition: {}", ready_status(obj))),
            "Job" => (condition_is(obj, "Complete", "True"), "job completion".into()),
            "ReplicaSet" => {
                let want = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
                let ready = int_at(obj, "/status/readyReplicas");
                (ready >= want, format!("{ready}/{want} ready"))
            }
            _ => (
                condition_is(obj, "Ready", "True") || condition_is(obj, "Available", "True"),
                "Ready/Available condition".into(),
            ),
        },
        "available" => match kind {
            "Deployment" => (condition_is(obj, "Available", "True"), "Available condition".into()),
            _ => holds("ready", obj)?,
        },
        "complete" => match kind {
            "Job" => {
                if condition_is(obj, "Failed", "True") {
                    return Err(ToolError::upstream(format!("job {} failed", str_at(obj, "/metadata/name"))));
                }
                (condition_is(obj, "Complete", "True"), "Complete condition".into())
            }
            "Pod" => (str_at(obj, "/status/phase") == "Succeeded", format!("phase {}", str_at(obj, "/status/phase"))),
            _ => holds("ready", obj)?,
        },
        other => {
            return Err(ToolError::invalid(format!(
                "`condition` must be ready, available, complete, exists or deleted (got `{other}`)"
            )));
        }
    })
}

fn ready_status(obj: &Value) -> String {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .and_then(|c| c["status"].as_str())
        .unwrap_or("Unknown")
        .to_string()
}

pub fn wait_for_resource(a: WaitArgs, ctx: &Context) -> R<Output> {
    a.context.select()?;
    let start = Instant::now();
    let name = a.target.name()?;
    let cond = optional(&a.condition).unwrap_or_else(|| "ready".into()).to_ascii_lowercase();
    if !["ready", "available", "complete", "exists", "deleted"].contains(&cond.as_str()) {
        return Err(ToolError::invalid(format!(
            "`condition` must be ready, available, complete, exists or deleted (got `{cond}`)"
        )));
    }
    let timeout = bounded_timeout(ctx, a.timeout_seconds.unwrap_or(0), 120)?;
    let interval = limit(a.poll_interval_seconds, 2, 60, "pollIntervalSeconds")?;
    let target = a.target.resource()?;
    loop {
        let obj = get_opt(&target)?;
        let (met, detail) = match (&obj, cond.as_str()) {
            (None, "deleted") => (true, "deleted".to_string()),
            (Some(_), "deleted") => (false, "still exists".to_string()),
            (None, _) => (false, "does not exist yet".to_string()),
            (Some(o), c) => holds(c, o)?,
        };
        let elapsed = start.elapsed().as_secs();
        if met || elapsed >= timeout {
            return Output::json(&json!({
                "kind": a.target.kind, "name": name, "namespace": target.namespace, "condition": cond,
                "met": met, "timedOut": !met, "detail": detail, "waitedSeconds": elapsed,
            }));
        }
        ctx.progress(elapsed as f64, Some(timeout as f64), Some(&detail));
        sleep_cancellable(ctx, u64::from(interval) * 1000)?;
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrainArgs {
    /// Node name.
    #[serde(alias = "nodeName", alias = "node_name")]
    pub name: String,
    /// Evict pods using emptyDir volumes (their data is lost).
    #[serde(default, alias = "delete_empty_dir")]
    pub delete_empty_dir: Option<bool>,
    /// Skip DaemonSet pods (default true); false refuses to drain a node running them.
    #[serde(default, alias = "ignore_daemonsets")]
    pub ignore_daemonsets: Option<bool>,
    /// Grace period for each evicted pod (default: the pod's own).
    #[serde(default, alias = "grace_period_seconds")]
    pub grace_period_seconds: Option<i64>,
    /// How long to keep retrying evictions blocked by PodDisruptionBudgets and
    /// to wait for evicted pods to go (default 60, at most the call deadline).
    #[serde(default, alias = "timeout_seconds")]
    pub timeout_seconds: Option<i64>,
    /// Report what would happen without cordoning or evicting.
    #[serde(default, rename = "dry_run", alias = "dryRun")]
    pub dry_run: Option<bool>,
    #[serde(flatten)]
    pub context: ContextArg,
}

/// `kubectl drain`: cordon, then evict every pod through the Eviction API
/// (so PodDisruptionBudgets are honoured), retrying blocked evictions until
/// the timeout, then wait for the pods to go.
pub fn drain_node(a: DrainArgs, ctx: &Context) -> R<Output> {
    a.context.select()?;
    let node = required("name", &a.name)?;
    get(&resource_ref("Node", &Some("v1".into()), &None, Some(node))?)?;
    let timeout = bounded_timeout(ctx, a.timeout_seconds.unwrap_or(60), 60)?;
    let dry = a.dry_run.unwrap_or(false);
    let o = list_opts(&None, &Some(format!("spec.nodeName={node}")), Some(500), &None, true);
    let pods = items(&list(&resource_ref("Pod", &Some("v1".into()), &None, None)?, &o)?);
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut blocked = Vec::new();
    let mut skipped = Vec::new();
    for p in &pods {
        let (ns, name) = (str_at(p, "/metadata/namespace").to_string(), str_at(p, "/metadata/name").to_string());
        // Already being deleted (e.g. with its namespace): it goes anyway.
        if p.pointer("/metadata/deletionTimestamp").is_some() {
            skipped.push(format!("{ns}/{name} (terminating)"));
            continue;
        }
        let owners = p.pointer("/metadata/ownerReferences").and_then(Value::as_array).cloned().unwrap_or_default();
        if owners.iter().any(|o| o["kind"] == "DaemonSet") {
            if a.ignore_daemonsets.unwrap_or(true) {
                skipped.push(format!("{ns}/{name} (DaemonSet)"));
            } else {
                blocked.push(format!("{ns}/{name}: DaemonSet pod (set ignoreDaemonsets)"));
            }
            continue;
        }
        let empty_dir = p
            .pointer("/spec/volumes")
            .and_then(Value::as_array)
            .is_some_and(|v| v.iter().any(|v| v.get("emptyDir").is_some()));
        if empty_dir && !a.delete_empty_dir.unwrap_or(false) {
            blocked.push(format!("{ns}/{name}: uses emptyDir (set deleteEmptyDir)"));
            continue;
        }
        pending.push((ns, name));
    }
    if !blocked.is_empty() {
        return Err(ToolError::invalid(format!("cannot drain {node}; nothing was changed: {}", blocked.join("; "))));
    }
    set_unschedulable(node, true, dry)?;
    let start = Instant::now();
    let mut evicted = Vec::new();
    let mut last_refusal = String::new();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (ns, name) in pending {
            match kube::evict(&ns, &name, a.grace_period_seconds, dry) {
                Ok(_) | Err(kube::KubeError::NotFound(_)) => evicted.push(format!("{ns}/{name}")),
                // Its namespace is being deleted: the pod goes with it.
                Err(kube::KubeError::Forbidden(m)) if m.contains("being terminated") => {
                    skipped.push(format!("{ns}/{name} (namespace terminating)"));
                }
                Err(kube::KubeError::Conflict(m)) => {
                    last_refusal = m;
                    still.push((ns, name));
                }
                Err(e) => return Err(e.into()),
            }
        }
        pending = still;
        let elapsed = start.elapsed().as_secs();
        if pending.is_empty() || elapsed >= timeout {
            break;
        }
        ctx.progress(
            elapsed as f64,
            Some(timeout as f64),
            Some(&format!("{} pods blocked by disruption budgets", pending.len())),
        );
        sleep_cancellable(ctx, 2000)?;
    }
    if !pending.is_empty() {
        let names: Vec<String> = pending.iter().map(|(ns, n)| format!("{ns}/{n}")).collect();
        let state = if dry {
            "dry run: nothing was changed".to_string()
        } else {
            format!("the node stays cordoned and {} pod(s) were evicted", evicted.len())
        };
        return Err(ToolError::upstream(format!(
            "drain of {node} timed out after {timeout} s: evictions of {names:?} are still refused ({last_refusal}); {state}"
        )));
    }
    Output::json(&json!({
        "node": node, "cordoned": !dry, "dryRun": dry, "evicted": evicted, "skipped": skipped,
        "waitedSeconds": start.elapsed().as_secs(),
    }))
}
