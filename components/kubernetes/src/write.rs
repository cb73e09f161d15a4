//! Mutating tools: create, patch, delete, scale, cordon/uncordon, drain, port-forward.

use crate::common::*;
use k8s_mcp_sdk::kube::{self, ApplyOptions, DeleteOptions, PatchKind, Propagation};
use k8s_mcp_sdk::prelude::*;

pub const FIELD_MANAGER: &str = "k8s-mcp-runtime";

fn brief(obj: &Value, action: &str, dry_run: bool) -> Value {
    let mut out = json!({
        "action": action,
        "dryRun": dry_run,
        "kind": str_at(obj, "/kind"),
        "apiVersion": str_at(obj, "/apiVersion"),
        "name": str_at(obj, "/metadata/name"),
        "uid": obj.pointer("/metadata/uid"),
        "resourceVersion": obj.pointer("/metadata/resourceVersion"),
    });
    if let Some(ns) = obj.pointer("/metadata/namespace") {
        out["namespace"] = ns.clone();
    }
    out
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateArgs {
    /// Kind (`ConfigMap`, `Deployment`); optional when `manifest` is given.
    #[serde(default)]
    pub kind: Option<String>,
    /// API version; empty: resolved through discovery.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
    /// Object metadata (name, namespace, labels, ...); object or JSON string.
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub spec: Option<Value>,
    /// ConfigMap/Secret data.
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default, alias = "string_data")]
    pub string_data: Option<Value>,
    /// A complete object instead of kind/apiVersion/metadata/spec.
    #[serde(default)]
    pub manifest: Option<Value>,
    /// Namespace, when metadata names none (default `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub dry_run: DryRun,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn create_resource(a: CreateArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let mut obj = match &a.manifest {
        Some(m) => json_arg(m, "manifest")?,
        None => {
            let kind = a.kind.as_deref().ok_or_else(|| ToolError::invalid("`kind` (or a `manifest`) is required"))?;
            let meta =
                json_arg(a.metadata.as_ref().ok_or_else(|| ToolError::invalid("`metadata` is required"))?, "metadata")?;
            let mut o = json!({"kind": kind, "metadata": meta});
            for (k, v) in [("spec", &a.spec), ("data", &a.data), ("stringData", &a.string_data)] {
                if let Some(v) = v {
                    o[k] = json_arg(v, k)?;
                }
            }
            o
        }
    };
    if !obj.is_object() {
        return Err(ToolError::invalid("the object to create must be a JSON object"));
    }
    if !obj["metadata"].is_object() {
        return Err(ToolError::invalid("`metadata` must be an object"));
    }
    if obj.pointer("/metadata/name").and_then(Value::as_str).is_none_or(str::is_empty)
        && obj.pointer("/metadata/generateName").is_none()
    {
        return Err(ToolError::invalid("`metadata.name` (or `metadata.generateName`) is required"));
    }
    let kind = obj["kind"]
        .as_str()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ToolError::invalid("`kind` is required"))?
        .to_string();
    let av = obj["apiVersion"].as_str().filter(|k| !k.is_empty()).map(String::from).or(optional(&a.api_version));
    let t = resolve(&kind, &av)?;
    obj["apiVersion"] = json!(t.api_version);
    obj["kind"] = json!(t.kind);
    let ns = if t.namespaced {
        Some(
            obj.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(String::from)
                .or(optional(&a.namespace))
                .unwrap_or_else(|| "default".into()),
        )
    } else {
        None
    };
    if let Some(n) = &ns {
        obj["metadata"]["namespace"] = json!(n);
    }
    let dry = a.dry_run.enabled();
    let created = parse(&kube::create(&obj.to_string(), ns.as_deref(), dry)?)?;
    Output::json(&brief(&created, "created", dry))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatchArgs {
    #[serde(flatten)]
    pub target: ObjectRef,
    /// The patch: an object (merge/strategic/apply), an array of operations (json), or the same as a JSON string.
    pub patch: Value,
    /// merge (default), strategic, json or apply (server-side apply, field manager `k8s-mcp-runtime`).
    #[serde(default, alias = "patch_type")]
    pub patch_type: Option<String>,
    /// apply only: take ownership of conflicting fields.
    #[serde(default)]
    pub force: Option<bool>,
    #[serde(flatten)]
    pub dry_run: DryRun,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn patch_resource(a: PatchArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let name = a.target.name()?;
    let patch = json_arg(&a.patch, "patch")?;
    let dry = a.dry_run.enabled();
    let ty = optional(&a.patch_type).unwrap_or_else(|| "merge".into()).to_ascii_lowercase();
    let result = match ty.as_str() {
        "merge" | "strategic" => {
            if !patch.is_object() {
                return Err(ToolError::invalid(format!("a {ty} patch must be a JSON object")));
            }
            let k = if ty == "merge" { PatchKind::Merge } else { PatchKind::Strategic };
            kube::patch(&a.target.resource()?, k, &patch.to_string(), dry)?
        }
        "json" => {
            if !patch.is_array() {
                return Err(ToolError::invalid(
                    "a json patch must be an array of operations ([{\"op\":\"replace\",\"path\":...,\"value\":...}])",
                ));
            }
            kube::patch(&a.target.resource()?, PatchKind::Json, &patch.to_string(), dry)?
        }
        "apply" => {
            let mut obj = patch;
            if !obj.is_object() {
                return Err(ToolError::invalid("an apply patch must be a JSON object"));
            }
            let t = resolve(&a.target.kind, &a.target.api_version)?;
            obj["apiVersion"] = json!(t.api_version);
            obj["kind"] = json!(t.kind);
            if !obj["metadata"].is_object() {
                obj["metadata"] = json!({});
            }
            obj["metadata"]["name"] = json!(name);
            let ns = t.namespaced.then(|| optional(&a.target.namespace).unwrap_or_else(|| "default".into()));
            if let Some(n) = &ns {
                obj["metadata"]["namespace"] = json!(n);
            }
            let o = ApplyOptions {
                field_manager: Some(FIELD_MANAGER.into()),
                force: a.force.unwrap_or(false),
                dry_run: dry,
            };
            kube::apply(&obj.to_string(), ns.as_deref(), &o)?
        }
        other => {
            return Err(ToolError::invalid(format!(
                "`patchType` must be merge, strategic, json or apply (got `{other}`)"
            )));
        }
    };
    let mut out = brief(&parse(&result)?, "patched", dry);
    out["patchType"] = json!(ty);
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteArgs {
    #[serde(flatten)]
    pub target: ObjectRef,
    /// Foreground, Background or Orphan.
    #[serde(default, alias = "propagation_policy")]
    pub propagation_policy: Option<String>,
    #[serde(default, alias = "grace_period_seconds")]
    pub grace_period_seconds: Option<i64>,
    #[serde(flatten)]
    pub dry_run: DryRun,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn delete_resource(a: DeleteArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let name = a.target.name()?;
    let propagation = match optional(&a.propagation_policy).map(|p| p.to_ascii_lowercase()).as_deref() {
        None => None,
        Some("foreground") => Some(Propagation::Foreground),
        Some("background") => Some(Propagation::Background),
        Some("orphan") => Some(Propagation::Orphan),
        Some(other) => {
            return Err(ToolError::invalid(format!(
                "`propagationPolicy` must be Foreground, Background or Orphan (got `{other}`)"
            )));
        }
    };
    if let Some(g) = a.grace_period_seconds.filter(|g| *g < 0) {
        return Err(ToolError::invalid(format!("`gracePeriodSeconds` must not be negative (got {g})")));
    }
    let dry = a.dry_run.enabled();
    let o = DeleteOptions { propagation, grace_period_seconds: a.grace_period_seconds, dry_run: dry };
    let target = a.target.resource()?;
    let out = parse(&kube::delete(&target, o)?)?;
    let mut b = json!({"action": "deleted", "dryRun": dry, "kind": a.target.kind, "name": name,
        "namespace": target.namespace});
    if out["kind"] != "Status" {
        b["kind"] = out["kind"].clone();
        b["namespace"] = out.pointer("/metadata/namespace").cloned().unwrap_or(Value::Null);
        b["finalizing"] = json!(out.pointer("/metadata/deletionTimestamp").is_some());
    }
    Output::json(&b)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaleArgs {
    /// Deployment, StatefulSet, ReplicaSet, ... (anything with a scale subresource).
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// API version (`v1`, `apps/v1`); omitted: resolved through discovery, core group first.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
    pub replicas: i64,
    /// Not supported by the scale call: true is rejected.
    #[serde(default, rename = "dry_run", alias = "dryRun")]
    pub dry_run: Option<bool>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn scale_resource(a: ScaleArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let dry_run = a.dry_run.unwrap_or(false);
    let name = required("name", &a.name)?;
    let replicas = u32::try_from(a.replicas)
        .ok()
        .filter(|r| *r <= 100_000)
        .ok_or_else(|| ToolError::invalid(format!("`replicas` must be between 0 and 100000 (got {})", a.replicas)))?;
    let target = resource_ref(&a.kind, &a.api_version, &a.namespace, Some(name))?;
    let scale = parse(&kube::scale(&target, replicas, dry_run)?)?;
    Output::json(&json!({
        "action": if dry_run { "scaled (dry run)" } else { "scaled" }, "kind": a.kind, "name": name,
        "namespace": scale.pointer("/metadata/namespace"),
        "replicas": scale.pointer("/spec/replicas"),
        "currentReplicas": scale.pointer("/status/replicas"),
        "dryRun": dry_run,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeArgs {
    /// Node name.
    #[serde(alias = "nodeName", alias = "node_name")]
    pub name: String,
    #[serde(flatten)]
    pub dry_run: DryRun,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn set_unschedulable(name: &str, on: bool, dry: bool) -> R<Value> {
    let target = resource_ref("Node", &Some("v1".into()), &None, Some(required("name", name)?))?;
    let body = json!({"spec": {"unschedulable": if on { json!(true) } else { Value::Null }}});
    parse(&kube::patch(&target, PatchKind::Merge, &body.to_string(), dry)?)
}

fn cordon(a: NodeArgs, on: bool) -> R<Output> {
    a.context.select()?;
    let dry = a.dry_run.enabled();
    let node = set_unschedulable(&a.name, on, dry)?;
    Output::json(&json!({
        "node": str_at(&node, "/metadata/name"), "dryRun": dry,
        "unschedulable": node.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false),
    }))
}

pub fn cordon_node(a: NodeArgs, _: &Context) -> R<Output> {
    cordon(a, true)
}

pub fn uncordon_node(a: NodeArgs, _: &Context) -> R<Output> {
    cordon(a, false)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortForwardArgs {
    /// Pod to forward to.
    #[serde(alias = "pod_name", alias = "name")]
    pub pod_name: String,
    pub namespace: String,
    /// Port to listen on, on the runtime host's loopback (0: any free port).
    #[serde(alias = "local_port")]
    pub local_port: i64,
    /// Port in the pod.
    #[serde(alias = "pod_port")]
    pub pod_port: i64,
    /// Listen address: only loopback (`127.0.0.1`, `localhost`) is allowed.
    #[serde(default)]
    pub address: Option<String>,
    /// How long the forward stays open (default 60 s; the runtime's policy caps it).
    #[serde(default, alias = "duration_seconds")]
    pub duration_seconds: Option<i64>,
    #[serde(flatten)]
    pub context: ContextArg,
}

fn port(value: i64, what: &str, allow_zero: bool) -> R<u16> {
    u16::try_from(value)
        .ok()
        .filter(|p| allow_zero || *p != 0)
        .ok_or_else(|| ToolError::invalid(format!("`{what}` must be a TCP port (got {value})")))
}

pub fn port_forward(a: PortForwardArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let pod = required("podName", &a.pod_name)?;
    let namespace = required("namespace", &a.namespace)?;
    if let Some(addr) = optional(&a.address).filter(|a| !matches!(a.as_str(), "127.0.0.1" | "localhost")) {
        return Err(ToolError::invalid(format!(
            "`address` {addr} refused: port forwards listen on loopback (127.0.0.1) only"
        )));
    }
    let seconds = u32::try_from(a.duration_seconds.unwrap_or(60))
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| ToolError::invalid("`durationSeconds` must be a positive number of seconds"))?;
    let mapping = kube::PortMapping {
        local_port: port(a.local_port, "localPort", true)?,
        remote_port: port(a.pod_port, "podPort", false)?,
    };
    let opts = kube::PortForwardOptions { ports: vec![mapping], duration_seconds: seconds };
    let session = kube::port_forward(namespace, pod, &opts)?;
    let listeners: Vec<Value> = session
        .listeners
        .iter()
        .map(|m| json!({"local": format!("127.0.0.1:{}", m.local_port), "podPort": m.remote_port}))
        .collect();
    Output::json(&json!({
        "pod": pod, "namespace": namespace, "listeners": listeners,
        "expiresInSeconds": session.expires_in_seconds,
    }))
}
