//! Compact per-object summaries, health rules and event shaping.

use crate::common::*;
use k8s_mcp_sdk::prelude::*;

/// `(ready, total, restarts)` of a pod's containers.
pub fn pod_counts(pod: &Value) -> (usize, usize, i64) {
    let statuses = pod.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
    let total = pod.pointer("/spec/containers").and_then(Value::as_array).map_or(statuses.len(), Vec::len);
    let ready = statuses.iter().filter(|c| c["ready"].as_bool() == Some(true)).count();
    let restarts = statuses.iter().map(|c| c["restartCount"].as_i64().unwrap_or(0)).sum();
    (ready, total, restarts)
}

/// Conditions as `{type: status}` plus the reasons of those not in their good state.
pub fn conditions(obj: &Value) -> Vec<Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let mut m = json!({"type": c["type"], "status": c["status"]});
            for k in ["reason", "message"] {
                if let Some(s) = c[k].as_str().filter(|s| !s.is_empty()) {
                    m[k] = json!(s);
                }
            }
            m
        })
        .collect()
}

pub fn condition_is(obj: &Value, ty: &str, status: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == ty && c["status"] == status))
}

/// Kind-specific status of one object.
pub fn status_of(obj: &Value) -> Value {
    let kind = str_at(obj, "/kind");
    match kind {
        "Pod" => {
            let (ready, total, restarts) = pod_counts(obj);
            let mut s = json!({
                "phase": str_at(obj, "/status/phase"),
                "ready": format!("{ready}/{total}"),
                "restarts": restarts,
                "node": obj.pointer("/spec/nodeName").cloned().unwrap_or(Value::Null),
            });
            if let Some(r) = waiting_reason(obj) {
                s["reason"] = json!(r);
            }
            s
        }
        "Deployment" | "StatefulSet" | "ReplicaSet" => json!({
            "desired": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1),
            "ready": int_at(obj, "/status/readyReplicas"),
            "updated": int_at(obj, "/status/updatedReplicas"),
            "available": int_at(obj, "/status/availableReplicas"),
        }),
        "DaemonSet" => json!({
            "desired": int_at(obj, "/status/desiredNumberScheduled"),
            "ready": int_at(obj, "/status/numberReady"),
            "updated": int_at(obj, "/status/updatedNumberScheduled"),
            "available": int_at(obj, "/status/numberAvailable"),
        }),
        "Job" => json!({
            "completions": obj.pointer("/spec/completions").and_then(Value::as_i64).unwrap_or(1),
            "succeeded": int_at(obj, "/status/succeeded"),
            "failed": int_at(obj, "/status/failed"),
            "active": int_at(obj, "/status/active"),
        }),
        "Node" => json!({
            "ready": obj.pointer("/status/conditions").and_then(Value::as_array).and_then(|cs| cs.iter().find(|c| c["type"] == "Ready")).map(|c| c["status"].clone()).unwrap_or(json!("Unknown")),
            "unschedulable": obj.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false),
            "kubelet": str_at(obj, "/status/nodeInfo/kubeletVersion"),
        }),
        "Service" => json!({"type": str_at(obj, "/spec/type"), "clusterIP": str_at(obj, "/spec/clusterIP")}),
        "Namespace" | "PersistentVolumeClaim" | "PersistentVolume" => json!({"phase": str_at(obj, "/status/phase")}),
        "ConfigMap" | "Secret" => {
            let keys = |k: &str| obj.get(k).and_then(Value::as_object).map_or(0, |m| m.len());
            json!({"keys": keys("data") + keys("binaryData") + keys("stringData")})
        }
        _ => {
            let cs: Vec<String> = conditions(obj)
                .iter()
                .map(|c| format!("{}={}", c["type"].as_str().unwrap_or("?"), c["status"].as_str().unwrap_or("?")))
                .collect();
            if cs.is_empty() { json!({}) } else { json!({"conditions": cs.join(",")}) }
        }
    }
}

fn waiting_reason(pod: &Value) -> Option<String> {
    let statuses = pod.pointer("/status/containerStatuses").and_then(Value::as_array)?;
    statuses.iter().find_map(|c| {
        c.pointer("/state/waiting/reason")
            .or_else(|| c.pointer("/state/terminated/reason"))
            .and_then(Value::as_str)
            .map(String::from)
    })
}

/// name, namespace, kind, status, age (+ labels).
pub fn summarize(obj: &Value, include_labels: bool) -> Value {
    let mut s = json!({
        "name": str_at(obj, "/metadata/name"),
        "kind": str_at(obj, "/kind"),
        "status": status_of(obj),
        "age": age(obj.pointer("/metadata/creationTimestamp").and_then(Value::as_str)),
    });
    if let Some(ns) = obj.pointer("/metadata/namespace").and_then(Value::as_str) {
        s["namespace"] = json!(ns);
    }
    if include_labels && let Some(l) = obj.pointer("/metadata/labels") {
        s["labels"] = l.clone();
    }
    s
}

/// `None` when healthy, else why not.
pub fn problem(obj: &Value) -> Option<String> {
    match str_at(obj, "/kind") {
        "Pod" => {
            let phase = str_at(obj, "/status/phase");
            let (ready, total, restarts) = pod_counts(obj);
            if let Some(r) = waiting_reason(obj).filter(|r| r != "Completed" && r != "ContainerCreating") {
                return Some(format!("container {r} (restarts {restarts})"));
            }
            match phase {
                "Failed" | "Unknown" => Some(format!("phase {phase}")),
                "Pending" => Some("Pending".into()),
                "Running" if ready < total => {
                    Some(format!("only {ready}/{total} containers ready (restarts {restarts})"))
                }
                _ if restarts >= 5 => Some(format!("{restarts} restarts")),
                _ => None,
            }
        }
        "Deployment" | "StatefulSet" => {
            let want = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            let ready = int_at(obj, "/status/readyReplicas");
            (ready < want).then(|| format!("{ready}/{want} replicas ready"))
        }
        "DaemonSet" => {
            let want = int_at(obj, "/status/desiredNumberScheduled");
            let ready = int_at(obj, "/status/numberReady");
            (ready < want).then(|| format!("{ready}/{want} pods ready"))
        }
        "Job" => condition_is(obj, "Failed", "True").then(|| "job failed".to_string()),
        "Node" => (!condition_is(obj, "Ready", "True")).then(|| "node not Ready".to_string()),
        _ => None,
    }
}

/// Compact event: type, reason, message, count, last time, object.
pub fn event_compact(e: &Value) -> Value {
    let mut out = json!({
        "type": str_at(e, "/type"),
        "reason": str_at(e, "/reason"),
        "message": str_at(e, "/message"),
        "object": format!("{}/{}", str_at(e, "/involvedObject/kind"), str_at(e, "/involvedObject/name")),
        "count": e["count"].as_i64().unwrap_or(1),
        "lastTimestamp": event_time(e),
    });
    if let Some(ns) = e.pointer("/metadata/namespace").and_then(Value::as_str) {
        out["namespace"] = json!(ns);
    }
    out
}

pub fn event_time(e: &Value) -> String {
    ["/lastTimestamp", "/eventTime", "/firstTimestamp", "/metadata/creationTimestamp"]
        .iter()
        .find_map(|p| e.pointer(p).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .unwrap_or_default()
        .to_string()
}

/// Sort events oldest first by their time.
pub fn sort_events(events: &mut [Value]) {
    events.sort_by_key(|e| parse_time(&event_time(e)).unwrap_or(0));
}
