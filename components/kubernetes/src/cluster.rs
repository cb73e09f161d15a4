//! Cluster-level reads: permissions, API discovery, nodes, metrics.

use crate::common::*;
use crate::summary::conditions;
use k8s_mcp_sdk::kube::{self, AccessReview, MetricsKind, ResourceRef};
use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermArgs {
    /// get, list, watch, create, update, patch, delete, ... or `*`.
    pub verb: String,
    /// API group (`""` for core, `apps`, ...).
    #[serde(default, alias = "resource_group", alias = "group")]
    pub resource_group: Option<String>,
    /// Resource (plural, e.g. `pods`, `deployments`).
    #[serde(alias = "resource_resource", alias = "resource")]
    pub resource_resource: String,
    #[serde(default)]
    pub subresource: Option<String>,
    #[serde(default, alias = "resource_name")]
    pub resource_name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn check_permissions(a: PermArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let verb = required("verb", &a.verb)?;
    let resource = required("resourceResource", &a.resource_resource)?;
    let group = optional(&a.resource_group).unwrap_or_default();
    // The host derives the group from apiVersion and resolves the plural
    // through discovery (falling back to the name as given).
    let api_version = if group.is_empty() { "v1".to_string() } else { format!("{group}/v1") };
    let review = AccessReview {
        verb: verb.to_string(),
        target: ResourceRef {
            api_version,
            kind: resource.to_string(),
            namespace: optional(&a.namespace),
            name: optional(&a.resource_name),
        },
        subresource: optional(&a.subresource),
    };
    let d = kube::can_i(&review)?;
    Output::json(&json!({
        "allowed": d.allowed, "reason": d.reason, "verb": verb, "group": group, "resource": resource,
        "subresource": review.subresource, "name": review.target.name, "namespace": review.target.namespace,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CtxArgs {
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn get_api_versions(a: CtxArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let mut versions: Vec<String> = discovery()?
        .into_iter()
        .flat_map(|(g, vs, _, _)| vs.into_iter().map(move |v| if g.is_empty() { v } else { format!("{g}/{v}") }))
        .collect();
    versions.sort();
    versions.dedup();
    Output::json(&json!({"count": versions.len(), "apiVersions": versions}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiResArgs {
    /// Only this API group (`""`/`core` for the core group).
    #[serde(default, alias = "api_group")]
    pub api_group: Option<String>,
    /// Only namespaced (true) or cluster-scoped (false) resources.
    #[serde(default)]
    pub namespaced: Option<bool>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn get_api_resources(a: ApiResArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let group = a.api_group.as_deref().map(str::trim).map(|g| if g == "core" { "" } else { g });
    let mut out = Vec::new();
    for (g, _, _, types) in discovery()? {
        if group.is_some_and(|want| want != g) {
            continue;
        }
        for t in types {
            if a.namespaced.is_some_and(|n| n != t.namespaced) {
                continue;
            }
            let version = t.api_version.rsplit('/').next().unwrap_or_default().to_string();
            out.push(json!({
                "name": t.plural, "singular": t.kind.to_ascii_lowercase(), "kind": t.kind, "group": t.group,
                "version": version, "apiVersion": t.api_version, "namespaced": t.namespaced, "verbs": t.verbs,
            }));
        }
    }
    Output::json(&json!({"count": out.len(), "resources": out}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeCondArgs {
    #[serde(alias = "node_name", alias = "name")]
    pub node_name: String,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn get_node_conditions(a: NodeCondArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let name = required("nodeName", &a.node_name)?;
    let node = get(&resource_ref("Node", &Some("v1".into()), &None, Some(name))?)?;
    Output::json(&json!({
        "name": name,
        "unschedulable": node.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false),
        "taints": node.pointer("/spec/taints"),
        "conditions": conditions(&node),
        "addresses": node.pointer("/status/addresses"),
        "nodeInfo": node.pointer("/status/nodeInfo").map(|i| json!({
            "kubeletVersion": i["kubeletVersion"], "osImage": i["osImage"], "kernelVersion": i["kernelVersion"],
            "containerRuntimeVersion": i["containerRuntimeVersion"], "architecture": i["architecture"],
        })),
        "capacity": node.pointer("/status/capacity"),
        "allocatable": node.pointer("/status/allocatable"),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageArgs {
    /// pods or nodes.
    #[serde(alias = "resource_type", alias = "kind")]
    pub resource_type: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn get_resource_usage(a: UsageArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let kind = match a.resource_type.trim().to_ascii_lowercase().as_str() {
        "pod" | "pods" => MetricsKind::Pods,
        "node" | "nodes" => MetricsKind::Nodes,
        other => return Err(ToolError::invalid(format!("`resourceType` must be pods or nodes (got `{other}`)"))),
    };
    let m = parse(&kube::metrics(kind, optional(&a.namespace).as_deref(), optional(&a.name).as_deref())?)?;
    let shape = |x: &Value| {
        let mut o = json!({"name": str_at(x, "/metadata/name"), "timestamp": x["timestamp"], "window": x["window"]});
        if let Some(ns) = x.pointer("/metadata/namespace") {
            o["namespace"] = ns.clone();
        }
        if x.get("usage").is_some() {
            o["usage"] = x["usage"].clone();
        }
        if let Some(cs) = x["containers"].as_array() {
            o["containers"] =
                json!(cs.iter().map(|c| json!({"name": c["name"], "usage": c["usage"]})).collect::<Vec<_>>());
        }
        o
    };
    let items: Vec<Value> = match m["items"].as_array() {
        Some(list) => list.iter().map(shape).collect(),
        None => vec![shape(&m)],
    };
    Output::json(&json!({"resourceType": a.resource_type, "count": items.len(), "items": items}))
}
