//! Scans and rule-based diagnosis: unhealthy resources, issue analysis,
//! name search, object relationships.

use crate::common::*;
use crate::events::object_events;
use crate::summary::{condition_is, event_compact, pod_counts, problem, summarize};
use k8s_mcp_sdk::prelude::*;

/// Owners of `obj` and, for workloads with a selector, their pods (up to 20).
pub fn relationships(obj: &Value) -> R<Value> {
    let owners: Vec<String> = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|o| format!("{}/{}", str_at(o, "/kind"), str_at(o, "/name")))
        .collect();
    let mut out = json!({"owners": owners});
    if let Some(sel) = obj.pointer("/spec/selector/matchLabels").and_then(Value::as_object).filter(|m| !m.is_empty()) {
        let selector: Vec<String> =
            sel.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect();
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).map(String::from);
        let target = resource_ref("Pod", &Some("v1".into()), &ns, None)?;
        let list = list(&target, &list_opts(&Some(selector.join(",")), &None, Some(20), &None, false))?;
        out["pods"] = json!(items(&list).iter().map(|p| summarize(p, false)).collect::<Vec<_>>());
    }
    Ok(out)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnhealthyArgs {
    /// Namespace; omitted: all namespaces.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Kinds to scan (default Pod, Job, Deployment, StatefulSet, DaemonSet).
    #[serde(default, alias = "resource_types")]
    pub resource_types: Option<Vec<String>>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn get_unhealthy_resources(a: UnhealthyArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let kinds = a.resource_types.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| {
        ["Pod", "Job", "Deployment", "StatefulSet", "DaemonSet"].iter().map(|s| s.to_string()).collect()
    });
    if kinds.len() > 20 {
        return Err(ToolError::invalid("`resourceTypes` holds at most 20 kinds"));
    }
    let all = optional(&a.namespace).is_none();
    let mut found = Vec::new();
    let mut scanned = json!({});
    for k in &kinds {
        let target = resource_ref(k, &None, &a.namespace, None)?;
        let list = list(&target, &list_opts(&None, &None, Some(500), &None, all))?;
        let its = items(&list);
        scanned[k.as_str()] = json!(its.len());
        for i in &its {
            if let Some(why) = problem(i) {
                let mut s = summarize(i, false);
                s["problem"] = json!(why);
                found.push(s);
            }
        }
    }
    Output::json(&json!({"unhealthyCount": found.len(), "unhealthy": found, "scanned": scanned}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeArgs {
    /// pod_crash, pod_pending, deployment_unavailable or job_failed.
    #[serde(alias = "issue_type")]
    pub issue_type: String,
    #[serde(alias = "resource_kind", alias = "kind")]
    pub resource_kind: String,
    #[serde(alias = "resource_name", alias = "name")]
    pub resource_name: String,
    /// API version of `resourceKind`; omitted: resolved through discovery.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn analyze_issue(a: AnalyzeArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let issue = a.issue_type.trim().to_ascii_lowercase();
    if !["pod_crash", "pod_pending", "deployment_unavailable", "job_failed"].contains(&issue.as_str()) {
        return Err(ToolError::invalid(format!(
            "`issueType` must be pod_crash, pod_pending, deployment_unavailable or job_failed (got `{issue}`)"
        )));
    }
    let name = required("resourceName", &a.resource_name)?;
    let obj = get(&resource_ref(&a.resource_kind, &a.api_version, &a.namespace, Some(name))?)?;
    let events = object_events(&obj, 10)?;
    let warnings: Vec<&Value> = events.iter().filter(|e| e["type"] != "Normal").collect();
    let mut findings: Vec<String> = Vec::new();
    let mut recs: Vec<&str> = Vec::new();
    let kind = str_at(&obj, "/kind");
    if kind == "Pod" {
        let (ready, total, restarts) = pod_counts(&obj);
        findings.push(format!(
            "phase {}, {ready}/{total} containers ready, {restarts} restarts",
            str_at(&obj, "/status/phase")
        ));
        for c in obj.pointer("/status/containerStatuses").and_then(Value::as_array).into_iter().flatten() {
            let cname = str_at(c, "/name");
            if let Some(w) = c.pointer("/state/waiting") {
                findings.push(format!("container {cname} waiting: {} {}", str_at(w, "/reason"), str_at(w, "/message")));
                match str_at(w, "/reason") {
                    "CrashLoopBackOff" => recs.push("read the previous container's logs (get_pod_logs previous=true)"),
                    "ImagePullBackOff" | "ErrImagePull" => {
                        recs.push("check the image name/tag and the imagePullSecrets")
                    }
                    "CreateContainerConfigError" => {
                        recs.push("check referenced ConfigMaps/Secrets exist with the keys used")
                    }
                    _ => {}
                }
            }
            if let Some(t) = c.pointer("/lastState/terminated") {
                findings.push(format!(
                    "container {cname} last terminated: {} (exit code {})",
                    str_at(t, "/reason"),
                    t["exitCode"]
                ));
                if str_at(t, "/reason") == "OOMKilled" {
                    recs.push("raise the container memory limit or reduce its memory use");
                }
            }
        }
        if condition_is(&obj, "PodScheduled", "False") {
            findings.push("pod is not scheduled".into());
            recs.push(
                "check node capacity, taints/tolerations, node selectors and affinity (see the FailedScheduling event)",
            );
        }
    } else {
        if let Some(p) = problem(&obj) {
            findings.push(p);
        }
        for c in crate::summary::conditions(&obj) {
            if c.get("message").is_some() {
                findings.push(format!(
                    "condition {}={}: {}",
                    c["type"].as_str().unwrap_or("?"),
                    c["status"].as_str().unwrap_or("?"),
                    c["message"].as_str().unwrap_or_default()
                ));
            }
        }
        match issue.as_str() {
            "deployment_unavailable" => {
                recs.push("inspect the deployment's pods (get_resource_detail_advanced includeRelationships)");
                recs.push("check the rollout (get_rollout_status) and whether readiness probes pass");
            }
            "job_failed" => {
                recs.push("read the logs of the job's failed pods");
                recs.push("check backoffLimit and activeDeadlineSeconds");
            }
            _ => {}
        }
    }
    for e in &warnings {
        findings.push(format!("event {}: {}", str_at(e, "/reason"), str_at(e, "/message")));
    }
    if findings.len() <= 1 && warnings.is_empty() && problem(&obj).is_none() {
        recs.push("no problem visible right now; the issue may be intermittent — check get_recent_events");
    }
    recs.dedup();
    Output::json(&json!({
        "issueType": issue, "resource": obj_ref(&obj), "namespace": obj.pointer("/metadata/namespace"),
        "status": summarize(&obj, false)["status"], "findings": findings, "recommendations": recs,
        "events": events.iter().map(event_compact).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchArgs {
    /// One kind to search.
    #[serde(default)]
    pub kind: Option<String>,
    /// Several kinds (default: Pod, Deployment, Service, ConfigMap, Secret, StatefulSet, DaemonSet, Job, Ingress, PersistentVolumeClaim).
    #[serde(default, alias = "resource_types")]
    pub resource_types: Option<Vec<String>>,
    /// Text to match against object names.
    #[serde(default)]
    pub query: Option<String>,
    /// Same as `query`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    /// contains (default), startsWith, endsWith or exact.
    #[serde(default, alias = "search_mode")]
    pub search_mode: Option<String>,
    #[serde(default, alias = "case_sensitive")]
    pub case_sensitive: Option<bool>,
    /// Default 50, at most 500.
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default, alias = "label_selector")]
    pub label_selector: Option<String>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn search_resources(a: SearchArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let max = limit(a.limit, 50, 500, "limit")? as usize;
    let mode = optional(&a.search_mode).unwrap_or_else(|| "contains".into());
    let mode = mode.to_ascii_lowercase();
    if !["contains", "startswith", "endswith", "exact"].contains(&mode.as_str()) {
        return Err(ToolError::invalid(format!(
            "`searchMode` must be contains, startsWith, endsWith or exact (got `{mode}`)"
        )));
    }
    let query = optional(&a.query).or(optional(&a.name));
    if query.is_none() && optional(&a.label_selector).is_none() {
        return Err(ToolError::invalid("give a `query` (or `name`) and/or a `labelSelector`"));
    }
    let cs = a.case_sensitive.unwrap_or(false);
    let norm = |s: &str| if cs { s.to_string() } else { s.to_lowercase() };
    let q = query.as_deref().map(norm);
    let kinds: Vec<String> = match (optional(&a.kind), a.resource_types.clone().filter(|k| !k.is_empty())) {
        (Some(k), _) => vec![k],
        (None, Some(ks)) => ks,
        (None, None) => [
            "Pod",
            "Deployment",
            "Service",
            "ConfigMap",
            "Secret",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "Ingress",
            "PersistentVolumeClaim",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    };
    let all = optional(&a.namespace).is_none();
    let mut matches = Vec::new();
    let mut skipped = Vec::new();
    'kinds: for k in &kinds {
        let target = resource_ref(k, &None, &a.namespace, None)?;
        let list = match list(&target, &list_opts(&a.label_selector, &None, Some(500), &None, all)) {
            Ok(l) => l,
            Err(e @ (ToolError::Denied(_) | ToolError::Upstream(_))) if kinds.len() > 1 => {
                skipped.push(json!({"kind": k, "error": e.to_string()}));
                continue;
            }
            Err(e) => return Err(e),
        };
        for i in items(&list) {
            let n = norm(str_at(&i, "/metadata/name"));
            let hit = match (&q, mode.as_str()) {
                (None, _) => true,
                (Some(q), "startswith") => n.starts_with(q.as_str()),
                (Some(q), "endswith") => n.ends_with(q.as_str()),
                (Some(q), "exact") => n == *q,
                (Some(q), _) => n.contains(q.as_str()),
            };
            if hit {
                matches.push(summarize(&i, false));
                if matches.len() >= max {
                    break 'kinds;
                }
            }
        }
    }
    Output::json(
        &json!({"count": matches.len(), "limitReached": matches.len() >= max, "matches": matches, "skippedKinds": skipped}),
    )
}
