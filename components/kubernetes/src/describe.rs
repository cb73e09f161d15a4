//! kubectl-describe-like text of one object.

use crate::common::*;
use crate::summary::{event_time, status_of};
use k8s_mcp_sdk::prelude::*;
use std::fmt::Write;

fn map_lines(out: &mut String, title: &str, v: Option<&Value>) {
    let entries: Vec<(String, String)> = v
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let mut s = v.as_str().map_or_else(|| v.to_string(), String::from);
                    if s.len() > 120 {
                        let cut = (0..=120).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                        s.truncate(cut);
                        s.push_str("...");
                    }
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        let _ = writeln!(out, "{title:<18}<none>");
        return;
    }
    for (i, (k, v)) in entries.iter().enumerate() {
        let head = if i == 0 { title } else { "" };
        let _ = writeln!(out, "{head:<18}{k}={v}");
    }
}

pub fn describe(obj: &Value, events: &[Value]) -> String {
    let mut o = String::new();
    let kind = str_at(obj, "/kind");
    let _ = writeln!(o, "{:<18}{}", "Name:", str_at(obj, "/metadata/name"));
    if let Some(ns) = obj.pointer("/metadata/namespace").and_then(Value::as_str) {
        let _ = writeln!(o, "{:<18}{ns}", "Namespace:");
    }
    let _ = writeln!(o, "{:<18}{kind} ({})", "Kind:", str_at(obj, "/apiVersion"));
    let created = str_at(obj, "/metadata/creationTimestamp");
    let _ = writeln!(o, "{:<18}{created} ({} ago)", "Created:", age(Some(created)).unwrap_or_default());
    map_lines(&mut o, "Labels:", obj.pointer("/metadata/labels"));
    map_lines(&mut o, "Annotations:", obj.pointer("/metadata/annotations"));
    if let Some(owners) = obj.pointer("/metadata/ownerReferences").and_then(Value::as_array) {
        for ow in owners {
            let _ = writeln!(o, "{:<18}{}/{}", "Controlled By:", str_at(ow, "/kind"), str_at(ow, "/name"));
        }
    }
    if let Some(s) = status_of(obj).as_object().filter(|s| !s.is_empty()) {
        let parts: Vec<String> =
            s.iter().map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), String::from))).collect();
        let _ = writeln!(o, "{:<18}{}", "Status:", parts.join("  "));
    }
    match kind {
        "Pod" => {
            let _ = writeln!(o, "{:<18}{}", "Node:", str_at(obj, "/spec/nodeName"));
            let _ = writeln!(o, "{:<18}{}", "IP:", str_at(obj, "/status/podIP"));
            let _ = writeln!(o, "Containers:");
            let statuses =
                obj.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
            for c in obj.pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten() {
                let name = str_at(c, "/name");
                let st = statuses.iter().find(|s| s["name"] == name);
                let state = st
                    .and_then(|s| s["state"].as_object())
                    .and_then(|m| {
                        m.iter().next().map(|(k, v)| {
                            format!("{k}{}", v["reason"].as_str().map(|r| format!(" ({r})")).unwrap_or_default())
                        })
                    })
                    .unwrap_or_else(|| "unknown".into());
                let _ = writeln!(
                    o,
                    "  {name}: image={} state={state} ready={} restarts={}",
                    str_at(c, "/image"),
                    st.and_then(|s| s["ready"].as_bool()).unwrap_or(false),
                    st.and_then(|s| s["restartCount"].as_i64()).unwrap_or(0)
                );
            }
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            if let Some(sel) = obj.pointer("/spec/selector/matchLabels").and_then(Value::as_object) {
                let s: Vec<String> =
                    sel.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect();
                let _ = writeln!(o, "{:<18}{}", "Selector:", s.join(","));
            }
            let _ = writeln!(o, "{:<18}{}", "Strategy:", str_at(obj, "/spec/strategy/type"));
            for c in obj.pointer("/spec/template/spec/containers").and_then(Value::as_array).into_iter().flatten() {
                let _ = writeln!(o, "{:<18}{} image={}", "Container:", str_at(c, "/name"), str_at(c, "/image"));
            }
        }
        "Service" => {
            let _ = writeln!(o, "{:<18}{}", "Type:", str_at(obj, "/spec/type"));
            let _ = writeln!(o, "{:<18}{}", "ClusterIP:", str_at(obj, "/spec/clusterIP"));
            for p in obj.pointer("/spec/ports").and_then(Value::as_array).into_iter().flatten() {
                let _ = writeln!(
                    o,
                    "{:<18}{} {}/{} -> {}",
                    "Port:",
                    str_at(p, "/name"),
                    p["port"],
                    str_at(p, "/protocol"),
                    p["targetPort"]
                );
            }
        }
        "ConfigMap" | "Secret" => {
            let _ = writeln!(o, "Data:");
            for key in ["data", "stringData", "binaryData"] {
                for (k, v) in obj.get(key).and_then(Value::as_object).into_iter().flatten() {
                    let size = v.as_str().map_or(0, str::len);
                    let _ = writeln!(o, "  {k}: {size} bytes");
                }
            }
        }
        _ => {}
    }
    let conds = obj.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    if !conds.is_empty() {
        let _ = writeln!(o, "Conditions:\n  {:<28}{:<8}{:<28}Message", "Type", "Status", "Reason");
        for c in conds {
            let _ = writeln!(
                o,
                "  {:<28}{:<8}{:<28}{}",
                str_at(&c, "/type"),
                str_at(&c, "/status"),
                str_at(&c, "/reason"),
                str_at(&c, "/message")
            );
        }
    }
    if events.is_empty() {
        let _ = writeln!(o, "Events:           <none>");
    } else {
        let _ = writeln!(o, "Events:\n  {:<9}{:<22}{:<8}{:<24}Message", "Type", "Reason", "Age", "From");
        for e in events {
            let t = event_time(e);
            let from = e
                .pointer("/source/component")
                .or_else(|| e.pointer("/reportingComponent"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let count = e["count"].as_i64().filter(|c| *c > 1).map(|c| format!(" (x{c})")).unwrap_or_default();
            let _ = writeln!(
                o,
                "  {:<9}{:<22}{:<8}{:<24}{}{count}",
                str_at(e, "/type"),
                str_at(e, "/reason"),
                age(Some(&t)).unwrap_or_default(),
                from,
                str_at(e, "/message")
            );
        }
    }
    o
}
