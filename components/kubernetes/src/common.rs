//! Helpers shared by every tool: the SDK's argument helpers, discovery
//! lookups, limits, JSON parsing, timestamps and JSONPath.

use k8s_mcp_sdk::kube::{self, ListOptions, ResourceRef};
use k8s_mcp_sdk::prelude::*;

pub type R<T> = Result<T, ToolError>;

pub use k8s_mcp_sdk::args::{ContextArg, DryRun, ObjectRef, optional, required, select_context};
pub use k8s_mcp_sdk::kube::{expand_short, resource_ref};

/// `limit` with a default and a cap; 0 or negative is invalid.
pub fn limit(value: Option<i64>, default: u32, cap: u32, what: &str) -> R<u32> {
    match value {
        None => Ok(default),
        Some(n) if n <= 0 => Err(ToolError::invalid(format!("`{what}` must be at least 1 (got {n})"))),
        Some(n) => Ok(n.min(i64::from(cap)) as u32),
    }
}

pub fn list_opts(
    label_selector: &Option<String>,
    field_selector: &Option<String>,
    limit: Option<u32>,
    continue_token: &Option<String>,
    all_namespaces: bool,
) -> ListOptions {
    ListOptions {
        label_selector: optional(label_selector),
        field_selector: optional(field_selector),
        limit,
        continue_token: optional(continue_token),
        all_namespaces,
    }
}

/// Render a result as JSON (default) or YAML (`output: "yaml"`).
pub fn render(value: &Value, format: &Option<String>) -> R<Output> {
    match optional(format).map(|f| f.to_ascii_lowercase()).as_deref() {
        None | Some("json") => Output::json(value),
        Some("yaml" | "yml") => serde_saphyr::to_string(value)
            .map(Output::text)
            .map_err(|e| ToolError::upstream(format!("cannot render YAML: {e}"))),
        Some(other) => Err(ToolError::invalid(format!("`output` must be `json` or `yaml` (got `{other}`)"))),
    }
}

pub fn parse(text: &str) -> R<Value> {
    serde_json::from_str(text).map_err(|e| ToolError::upstream(format!("API server answered non-JSON: {e}")))
}

/// Accept an object/array argument, or the same as a JSON string (legacy clients).
pub fn json_arg(value: &Value, what: &str) -> R<Value> {
    match value {
        Value::String(s) => serde_json::from_str(s)
            .map_err(|e| ToolError::invalid(format!("`{what}` is a string that is not valid JSON: {e}"))),
        Value::Null => Err(ToolError::invalid(format!("`{what}` must not be null"))),
        other => Ok(other.clone()),
    }
}

/// LIST; list items carry no kind/apiVersion on the wire, so they get the
/// list's (`PodList` -> `Pod`).
pub fn list(target: &ResourceRef, o: &ListOptions) -> R<Value> {
    Ok(with_item_kinds(parse(&kube::list(target, o)?)?, target))
}

/// A list answer with kind and apiVersion on every item.
pub fn with_item_kinds(mut list: Value, target: &ResourceRef) -> Value {
    let kind = list["kind"].as_str().and_then(|k| k.strip_suffix("List")).filter(|k| !k.is_empty()).map(String::from);
    let kind = match kind {
        Some(k) => Some(k),
        None if list["items"].as_array().is_some_and(|i| !i.is_empty()) => {
            resolve(&target.kind, &Some(target.api_version.clone())).ok().map(|t| t.kind)
        }
        None => None,
    };
    let api_version = list["apiVersion"].clone();
    if let (Some(kind), Some(items)) = (kind, list["items"].as_array_mut()) {
        for o in items.iter_mut().filter_map(Value::as_object_mut) {
            o.entry("kind").or_insert_with(|| json!(kind));
            o.entry("apiVersion").or_insert_with(|| api_version.clone());
        }
    }
    list
}

pub fn get(target: &ResourceRef) -> R<Value> {
    parse(&kube::get(target)?)
}

/// `get`, with NotFound as `None`.
pub fn get_opt(target: &ResourceRef) -> R<Option<Value>> {
    match kube::get(target) {
        Ok(t) => Ok(Some(parse(&t)?)),
        Err(kube::KubeError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// One resource type as discovery describes it.
#[derive(Clone, Debug)]
pub struct ApiType {
    pub kind: String,
    pub plural: String,
    pub api_version: String,
    pub group: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

/// One API group: `(name, versions, preferred version, resource types)`.
pub type ApiGroup = (String, Vec<String>, String, Vec<ApiType>);

pub fn discovery() -> R<Vec<ApiGroup>> {
    let d = parse(&kube::discovery()?)?;
    let mut out = Vec::new();
    for g in d["groups"].as_array().into_iter().flatten() {
        let group = g["group"].as_str().unwrap_or_default().to_string();
        let versions = g["versions"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from));
        let preferred = g["preferredVersion"].as_str().unwrap_or_default().to_string();
        let types = g["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| ApiType {
                kind: r["kind"].as_str().unwrap_or_default().into(),
                plural: r["plural"].as_str().unwrap_or_default().into(),
                api_version: r["apiVersion"].as_str().unwrap_or_default().into(),
                group: group.clone(),
                namespaced: r["namespaced"].as_bool().unwrap_or(false),
                verbs: r["verbs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
            })
            .collect();
        out.push((group, versions.collect(), preferred, types));
    }
    Ok(out)
}

/// Resolve a kind (Kind, plural or singular; optional apiVersion) the way the
/// host does: core group first.
pub fn resolve(kind: &str, api_version: &Option<String>) -> R<ApiType> {
    let wanted = expand_short(required("kind", kind)?).to_ascii_lowercase();
    let av = optional(api_version);
    let mut groups = discovery()?;
    groups.sort_by_key(|g| !g.0.is_empty());
    for (_, _, _, types) in groups {
        for t in types {
            let kind_ok = t.kind.to_ascii_lowercase() == wanted || t.plural == wanted;
            let av_ok =
                av.as_deref().is_none_or(|a| a == t.api_version || t.group == a.split('/').next().unwrap_or(""));
            if kind_ok && av_ok {
                let mut t = t;
                if let Some(a) = &av {
                    t.api_version = a.clone();
                }
                return Ok(t);
            }
        }
    }
    Err(ToolError::invalid(match av {
        Some(a) => format!("the API server serves no kind `{kind}` in `{a}` (see get_api_resources)"),
        None => format!("the API server serves no kind `{kind}` (see get_api_resources)"),
    }))
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn parse_time(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts).ok().map(|t| t.timestamp())
}

/// kubectl-style age: 45s, 12m, 3h, 5d.
pub fn age(ts: Option<&str>) -> Option<String> {
    let secs = (now_secs() - parse_time(ts?)?).max(0);
    Some(match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    })
}

pub fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

pub fn int_at(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

/// The metadata list fields of a LIST answer.
pub fn page_info(list: &Value) -> (Option<String>, Option<i64>) {
    let cont = list.pointer("/metadata/continue").and_then(Value::as_str).filter(|c| !c.is_empty()).map(String::from);
    let remaining = list.pointer("/metadata/remainingItemCount").and_then(Value::as_i64);
    (cont, remaining)
}

pub fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

/// Deadline-aware timeout: at most `wanted` seconds and within the call's
/// own deadline (minus a margin for the final answer).
pub fn bounded_timeout(ctx: &Context, wanted: i64, default: i64) -> R<u64> {
    let wanted = if wanted == 0 { default } else { wanted };
    if wanted < 0 {
        return Err(ToolError::invalid(format!("`timeoutSeconds` must not be negative (got {wanted})")));
    }
    let budget = (ctx.deadline_ms() / 1000).saturating_sub(5).max(1);
    Ok((wanted as u64).min(budget))
}

/// Sleep up to `secs` in short slices, stopping early on cancellation.
pub fn sleep_cancellable(ctx: &Context, millis: u64) -> R<()> {
    let mut left = millis;
    while left > 0 {
        if ctx.cancelled() {
            return Err(ToolError::Cancelled("cancelled by the client".into()));
        }
        let step = left.min(250);
        std::thread::sleep(std::time::Duration::from_millis(step));
        left -= step;
    }
    if ctx.cancelled() {
        return Err(ToolError::Cancelled("cancelled by the client".into()));
    }
    Ok(())
}

/// `"Kind/name"` of an object.
pub fn obj_ref(v: &Value) -> String {
    format!("{}/{}", str_at(v, "/kind"), str_at(v, "/metadata/name"))
}
