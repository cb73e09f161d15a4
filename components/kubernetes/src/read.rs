//! Listing and reading objects of any kind.

use crate::common::*;
use crate::events::object_events;
use crate::jsonpath;
use crate::summary::{conditions, summarize};
use crate::table;
use k8s_mcp_sdk::kube::{self, ListOptions, ResourceRef};
use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListArgs {
    /// Kind, plural or singular name (`Pod`, `deployments`, `configmap`).
    pub kind: String,
    /// API version (`apps/v1`); empty: resolved through discovery, core group first.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
    /// Namespace; omitted: all namespaces.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default, alias = "label_selector")]
    pub label_selector: Option<String>,
    #[serde(default, alias = "field_selector")]
    pub field_selector: Option<String>,
    /// Page size (default 30, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
    /// `continue` token of the previous page.
    #[serde(default, alias = "continue_token", alias = "continue")]
    pub continue_token: Option<String>,
    /// Project every item through one JSONPath (`{.status.phase}`).
    #[serde(default)]
    pub jsonpath: Option<String>,
    /// Several JSONPath columns per item.
    #[serde(default)]
    pub jsonpaths: Option<Vec<String>>,
    /// Summary rows: include labels.
    #[serde(default, alias = "include_labels")]
    pub include_labels: Option<bool>,
    /// list_resources: complete objects instead of compact summary rows.
    #[serde(default)]
    pub full: Option<bool>,
    /// list_resources_full: keep `.status` (default true).
    #[serde(default, alias = "include_status")]
    pub include_status: Option<bool>,
    /// Result format: `json` (default) or `yaml`.
    #[serde(default)]
    pub output: Option<String>,
    /// Kubeconfig context (default: the runtime's default context).
    #[serde(default)]
    pub context: Option<String>,
}

/// Target and options of the page `a` asks for.
fn page_request(a: &ListArgs, default: u32, cap: u32) -> R<(ResourceRef, ListOptions)> {
    select_context(&a.context)?;
    let limit = limit(a.limit, default, cap, "limit")?;
    let target = resource_ref(&a.kind, &a.api_version, &a.namespace, None)?;
    let all = optional(&a.namespace).is_none();
    Ok((target, list_opts(&a.label_selector, &a.field_selector, Some(limit), &a.continue_token, all)))
}

fn list_page(a: &ListArgs, default: u32, cap: u32) -> R<(Value, Vec<Value>)> {
    let (target, o) = page_request(a, default, cap)?;
    let list = list(&target, &o)?;
    let items = items(&list);
    Ok((list, items))
}

fn with_page(mut out: Value, list: &Value) -> Value {
    let (cont, remaining) = page_info(list);
    out["hasMore"] = json!(cont.is_some());
    out["continue"] = json!(cont);
    out["remainingItemCount"] = json!(remaining);
    out
}

pub fn list_resources(a: ListArgs, ctx: &Context) -> R<Output> {
    let paths: Vec<String> = a.jsonpaths.clone().unwrap_or_default().into_iter().chain(optional(&a.jsonpath)).collect();
    if paths.is_empty() && !a.full.unwrap_or(false) {
        return list_resources_summary(a, ctx);
    }
    let (list, items) = list_page(&a, 30, 500)?;
    let items: Vec<Value> = if paths.is_empty() {
        items
    } else {
        let mut rows = Vec::new();
        for item in &items {
            let mut row = json!({"name": str_at(item, "/metadata/name")});
            if let Some(ns) = item.pointer("/metadata/namespace") {
                row["namespace"] = ns.clone();
            }
            for p in &paths {
                row[p.as_str()] = match jsonpath::eval(item, p) {
                    Ok(v) => v,
                    Err(ToolError::NotFound(_)) => Value::Null,
                    Err(e) => return Err(e),
                };
            }
            rows.push(row);
        }
        rows
    };
    let out = json!({"kind": a.kind, "count": items.len(), "items": items});
    render(&with_page(out, &list), &a.output)
}

/// One row of a summary list: the list names the kind (and the namespace,
/// when it is one), so rows carry only what differs, status fields inline.
fn summary_row(item: &Value, labels: bool, one_namespace: bool) -> Value {
    let mut row = summarize(item, labels);
    if let Some(o) = row.as_object_mut() {
        o.remove("kind");
        if one_namespace {
            o.remove("namespace");
        }
        if let Some(Value::Object(status)) = o.remove("status") {
            o.extend(status);
        }
    }
    row
}

/// Summary rows are the API server's table (the columns kubectl prints,
/// rendered server-side, so only kilobytes cross); a server without tables
/// answers with the plain list, summarized here.
pub fn list_resources_summary(a: ListArgs, _: &Context) -> R<Output> {
    let (target, o) = page_request(&a, 30, 500)?;
    let labels = a.include_labels.unwrap_or(false);
    let namespace = optional(&a.namespace);
    let answer = parse(&kube::list_table(&target, &o, labels || namespace.is_none())?)?;
    let mut out = with_page(json!({"kind": a.kind}), &answer);
    if let Some(ns) = &namespace {
        out["namespace"] = json!(ns);
    }
    let rows = if answer["kind"] == "Table" {
        table::rows(&answer, labels, namespace.is_some())
    } else {
        let list = with_item_kinds(answer, &target);
        json!({"items": items(&list).iter().map(|i| summary_row(i, labels, namespace.is_some())).collect::<Vec<_>>()})
    };
    out["count"] = json!(rows["items"].as_array().map_or(0, Vec::len));
    if let (Some(out), Value::Object(rows)) = (out.as_object_mut(), rows) {
        out.extend(rows);
    }
    match optional(&a.output) {
        None => Output::json_compact(&out),
        Some(_) => render(&out, &a.output),
    }
}

pub fn list_resources_full(a: ListArgs, _: &Context) -> R<Output> {
    let (list, mut items) = list_page(&a, 10, 100)?;
    if !a.include_status.unwrap_or(true) {
        items.iter_mut().for_each(|i| {
            i.as_object_mut().map(|o| o.remove("status"));
        });
    }
    let out = json!({"kind": a.kind, "count": items.len(), "items": items});
    render(&with_page(out, &list), &a.output)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetArgs {
    /// Kind, plural or singular name.
    pub kind: String,
    /// Object name.
    pub name: String,
    /// Namespace (default `default` for namespaced kinds).
    #[serde(default)]
    pub namespace: Option<String>,
    /// API version (`v1`, `apps/v1`); omitted: resolved through discovery, core group first.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
    /// get_resource: project a field (`{.status.phase}`, `status.phase`, `spec.containers[0].image`).
    #[serde(default)]
    pub jsonpath: Option<String>,
    #[serde(default, alias = "include_labels")]
    pub include_labels: Option<bool>,
    /// Result format: `json` (default) or `yaml`.
    #[serde(default)]
    pub output: Option<String>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn fetch(a: &GetArgs) -> R<Value> {
    a.context.select()?;
    let name = required("name", &a.name)?;
    get(&resource_ref(&a.kind, &a.api_version, &a.namespace, Some(name))?)
}

pub fn get_resource(a: GetArgs, _: &Context) -> R<Output> {
    let obj = fetch(&a)?;
    match optional(&a.jsonpath) {
        Some(p) => Output::json(&json!({"name": a.name, "jsonpath": p, "value": jsonpath::eval(&obj, &p)?})),
        None => render(&obj, &a.output),
    }
}

pub fn get_resource_details(a: GetArgs, _: &Context) -> R<Output> {
    render(&fetch(&a)?, &a.output)
}

pub fn get_resource_summary(a: GetArgs, _: &Context) -> R<Output> {
    let obj = fetch(&a)?;
    let mut s = summarize(&obj, a.include_labels.unwrap_or(true));
    let cs = conditions(&obj);
    if !cs.is_empty() {
        s["conditions"] = json!(cs);
    }
    render(&s, &a.output)
}

pub fn describe_resource(a: GetArgs, _: &Context) -> R<Output> {
    let obj = fetch(&a)?;
    let events = object_events(&obj, 50).unwrap_or_default();
    Ok(Output::text(crate::describe::describe(&obj, &events)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchArgs {
    pub kind: String,
    /// Object names (at most 50).
    pub names: Vec<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    /// API version (`v1`, `apps/v1`); omitted: resolved through discovery, core group first.
    #[serde(default, alias = "api_version")]
    pub api_version: Option<String>,
    #[serde(default, alias = "include_events")]
    pub include_events: Option<bool>,
    /// Keep `.status` (default true).
    #[serde(default, alias = "include_status")]
    pub include_status: Option<bool>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn get_resources_detail(a: BatchArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    if a.names.is_empty() || a.names.len() > 50 {
        return Err(ToolError::invalid("`names` must hold 1 to 50 object names"));
    }
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for n in &a.names {
        let name = required("names[]", n)?;
        match get(&resource_ref(&a.kind, &a.api_version, &a.namespace, Some(name))?) {
            Ok(mut obj) => {
                if a.include_events.unwrap_or(false) {
                    let ev = object_events(&obj, 20)?;
                    obj["events"] = json!(ev.iter().map(crate::summary::event_compact).collect::<Vec<_>>());
                }
                if !a.include_status.unwrap_or(true) {
                    obj.as_object_mut().map(|o| o.remove("status"));
                }
                found.push(obj);
            }
            Err(ToolError::NotFound(m)) => errors.push(json!({"name": name, "error": m})),
            Err(e) => return Err(e),
        }
    }
    Output::json(&json!({"kind": a.kind, "items": found, "notFound": errors}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedArgs {
    #[serde(flatten)]
    pub target: ObjectRef,
    /// Default true.
    #[serde(default, alias = "include_events")]
    pub include_events: Option<bool>,
    /// Owners and, for workloads, their pods (default true).
    #[serde(default, alias = "include_relationships")]
    pub include_relationships: Option<bool>,
    /// Conditions not in their good state, rule-based findings (default true).
    #[serde(default, alias = "include_diagnostics")]
    pub include_diagnostics: Option<bool>,
    /// Include `.spec` (default false).
    #[serde(default, alias = "include_configuration")]
    pub include_configuration: Option<bool>,
    /// compact (default), structured or verbose (the whole object).
    #[serde(default, alias = "output_format")]
    pub output_format: Option<String>,
    #[serde(flatten)]
    pub context: ContextArg,
}

pub fn get_resource_detail_advanced(a: AdvancedArgs, _: &Context) -> R<Output> {
    a.context.select()?;
    let format = optional(&a.output_format).unwrap_or_else(|| "compact".into());
    if !["compact", "structured", "verbose"].contains(&format.as_str()) {
        return Err(ToolError::invalid(format!(
            "`outputFormat` must be compact, structured or verbose (got `{format}`)"
        )));
    }
    let obj = get(&a.target.resource()?)?;
    let mut out = summarize(&obj, true);
    if format == "verbose" {
        out["object"] = obj.clone();
    } else if a.include_configuration.unwrap_or(format == "structured") {
        out["spec"] = obj.get("spec").cloned().unwrap_or(Value::Null);
    }
    if a.include_events.unwrap_or(true) {
        let ev = object_events(&obj, 20)?;
        out["events"] = json!(ev.iter().map(crate::summary::event_compact).collect::<Vec<_>>());
    }
    if a.include_relationships.unwrap_or(true) {
        out["relationships"] = crate::diagnose::relationships(&obj)?;
    }
    if a.include_diagnostics.unwrap_or(true) {
        let bad: Vec<Value> = conditions(&obj)
            .into_iter()
            .filter(|c| {
                let t = c["type"].as_str().unwrap_or_default();
                let good =
                    if t.ends_with("Pressure") || t == "NetworkUnavailable" || t == "Failed" || t == "ReplicaFailure" {
                        "False"
                    } else {
                        "True"
                    };
                c["status"] != good
            })
            .collect();
        out["diagnostics"] = json!({"problem": crate::summary::problem(&obj), "conditionsNotOk": bad});
    }
    Output::json(&out)
}
