//! Events, pod logs and pod exec.

use crate::common::*;
use crate::summary::{event_compact, sort_events};
use k8s_mcp_sdk::kube::{self, ExecOptions, ListOptions, LogOptions, ResourceRef};
use k8s_mcp_sdk::prelude::*;

/// Events about one object (by its kind and name), oldest first.
pub fn object_events(obj: &Value, limit: u32) -> R<Vec<Value>> {
    let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).map(String::from);
    let involved = ResourceRef {
        api_version: String::new(),
        kind: str_at(obj, "/kind").to_string(),
        namespace: ns.clone(),
        name: Some(str_at(obj, "/metadata/name").to_string()),
    };
    let o = ListOptions {
        label_selector: None,
        field_selector: None,
        limit: Some(500),
        continue_token: None,
        all_namespaces: ns.is_none(),
    };
    let mut ev = items(&parse(&kube::events(ns.as_deref(), Some(&involved), &o)?)?);
    sort_events(&mut ev);
    let skip = ev.len().saturating_sub(limit as usize);
    Ok(ev.split_off(skip))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventArgs {
    /// Namespace; omitted: all namespaces.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Field selector (`involvedObject.name=web`, `type=Warning`, `reason=BackOff`).
    #[serde(default, alias = "field_selector")]
    pub field_selector: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default, alias = "continue_token", alias = "continue")]
    pub continue_token: Option<String>,
    /// get_events_detail: include Normal events too (default false).
    #[serde(default, alias = "include_normal_events")]
    pub include_normal_events: Option<bool>,
    #[serde(flatten)]
    pub context: ContextArg,
}

fn fetch_events(a: &EventArgs, extra: Option<&str>, default: u32, cap: u32) -> R<(Vec<Value>, Value)> {
    a.context.select()?;
    let limit = limit(a.limit, default, cap, "limit")?;
    let fs: Vec<String> = optional(&a.field_selector).into_iter().chain(extra.map(String::from)).collect();
    let ns = optional(&a.namespace);
    let o = ListOptions {
        label_selector: None,
        field_selector: (!fs.is_empty()).then(|| fs.join(",")),
        limit: Some(limit),
        continue_token: optional(&a.continue_token),
        all_namespaces: ns.is_none(),
    };
    let list = parse(&kube::events(ns.as_deref(), None, &o)?)?;
    let mut ev = items(&list);
    sort_events(&mut ev);
    ev.reverse(); // newest first
    Ok((ev, list))
}

fn page(list: &Value) -> (Value, Value) {
    let (c, r) = page_info(list);
    (json!(c), json!(r))
}

pub fn get_events(a: EventArgs, _: &Context) -> R<Output> {
    let (ev, list) = fetch_events(&a, None, 30, 500)?;
    let (c, r) = page(&list);
    let events: Vec<Value> = ev.iter().map(event_compact).collect();
    Output::json(&json!({"count": events.len(), "events": events, "continue": c, "remainingItemCount": r}))
}

pub fn get_recent_events(a: EventArgs, _: &Context) -> R<Output> {
    let (ev, _) = fetch_events(&a, Some("type!=Normal"), 20, 200)?;
    let events: Vec<Value> = ev.iter().map(event_compact).collect();
    Output::json(&json!({"count": events.len(), "events": events}))
}

pub fn get_events_detail(a: EventArgs, _: &Context) -> R<Output> {
    let extra = (!a.include_normal_events.unwrap_or(false)).then_some("type!=Normal");
    let (ev, list) = fetch_events(&a, extra, 50, 500)?;
    let (c, r) = page(&list);
    Output::json(&json!({"count": ev.len(), "events": ev, "continue": c, "remainingItemCount": r}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogArgs {
    /// Pod name.
    #[serde(alias = "podName", alias = "pod_name", alias = "pod")]
    pub name: String,
    /// Namespace (default `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Container (needed when the pod has several).
    #[serde(default, alias = "containerName", alias = "container_name")]
    pub container: Option<String>,
    /// Last N lines (default 50, at most 5000).
    #[serde(default, alias = "tail_lines")]
    pub tail_lines: Option<i64>,
    /// Logs of the previous (crashed) container instance.
    #[serde(default)]
    pub previous: Option<bool>,
    #[serde(default, alias = "since_seconds")]
    pub since_seconds: Option<i64>,
    #[serde(default)]
    pub timestamps: Option<bool>,
    #[serde(flatten)]
    pub context: ContextArg,
}

const MAX_LOG_BYTES: i64 = 2 * 1024 * 1024;

pub fn get_pod_logs(a: LogArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let pod = required("name", &a.name)?;
    let ns = optional(&a.namespace).unwrap_or_else(|| "default".into());
    let tail = limit(a.tail_lines, 50, 5000, "tailLines")?;
    if let Some(s) = a.since_seconds.filter(|s| *s <= 0) {
        return Err(ToolError::invalid(format!("`sinceSeconds` must be positive (got {s})")));
    }
    let o = LogOptions {
        container: optional(&a.container),
        tail_lines: Some(i64::from(tail)),
        since_seconds: a.since_seconds,
        previous: a.previous.unwrap_or(false),
        timestamps: a.timestamps.unwrap_or(false),
        limit_bytes: Some(MAX_LOG_BYTES),
    };
    let log = kube::logs(&ns, pod, &o)?;
    let lines = log.lines().count();
    Output::json(&json!({
        "pod": pod, "namespace": ns, "container": o.container, "tailLines": tail,
        "lines": lines, "truncated": log.len() as i64 >= MAX_LOG_BYTES, "log": log,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecArgs {
    #[serde(alias = "pod_name", alias = "name")]
    pub pod_name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// Command: a JSON array of arguments, or a string split on whitespace.
    pub command: Value,
    #[serde(default, alias = "container_name", alias = "container")]
    pub container_name: Option<String>,
    /// Default 30, at most 300.
    #[serde(default, alias = "timeout_seconds")]
    pub timeout_seconds: Option<i64>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn pod_exec(a: ExecArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let pod = required("podName", &a.pod_name)?;
    let ns = optional(&a.namespace).unwrap_or_else(|| "default".into());
    let command: Vec<String> = match &a.command {
        Value::Array(parts) => parts
            .iter()
            .map(|p| {
                p.as_str().map(String::from).ok_or_else(|| ToolError::invalid("`command` array must hold strings"))
            })
            .collect::<R<_>>()?,
        Value::String(s) if s.trim_start().starts_with('[') => serde_json::from_str(s)
            .map_err(|e| ToolError::invalid(format!("`command` looks like a JSON array but is not one: {e}")))?,
        Value::String(s) => s.split_whitespace().map(String::from).collect(),
        _ => return Err(ToolError::invalid("`command` must be an array of strings or a string")),
    };
    if command.is_empty() {
        return Err(ToolError::invalid("`command` must not be empty"));
    }
    let timeout = limit(a.timeout_seconds, 30, 300, "timeoutSeconds")?;
    let o = ExecOptions {
        container: optional(&a.container_name),
        command: command.clone(),
        timeout_ms: Some(timeout * 1000),
        max_output_bytes: Some(1024 * 1024),
    };
    let r = kube::exec(&ns, pod, &o)?;
    Output::json(&json!({
        "pod": pod, "namespace": ns, "command": command, "exitCode": r.exit_code,
        "stdout": r.stdout, "stderr": r.stderr, "truncated": r.truncated,
    }))
}
