//! Release reads: lists, one release, its status, values, manifest and
//! history, and the comparison of two revisions. Decoded from the release
//! records in the cluster; no helm binary involved.

use crate::common::*;
use crate::release::{self, Entry, chart_label, list_item, str_of};
use k8s_mcp_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
pub struct ReleaseArgs {
    /// Release name.
    pub name: String,
    /// Namespace of the release.
    pub namespace: String,
    /// Kubeconfig context (default: the runtime's default context).
    #[serde(default)]
    pub context: Option<String>,
}

impl ReleaseArgs {
    /// The newest revision of the release, in the selected context.
    pub fn get(&self) -> R<(Entry, Value)> {
        select_context(&self.context)?;
        release::get(required("name", &self.name)?, required("namespace", &self.namespace)?, None)
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Namespace; omitted: all namespaces the policy permits.
    #[serde(default)]
    pub namespace: Option<String>,
    /// List across all namespaces (ignores `namespace`).
    #[serde(default, alias = "allNamespaces")]
    pub all_namespaces: Option<bool>,
    #[serde(default)]
    pub context: Option<String>,
}

fn items(entries: &[Entry]) -> R<Vec<Value>> {
    entries.iter().map(|e| Ok(list_item(e, &e.decode()?))).collect()
}

pub fn list_releases(a: ListArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let ns = if a.all_namespaces.unwrap_or(false) { None } else { optional(&a.namespace) };
    let list = items(&release::releases(ns.as_deref(), None, false)?)?;
    Output::json(&json!({ "count": list.len(), "namespace": ns, "releases": list }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagedArgs {
    #[serde(default)]
    pub namespace: Option<String>,
    /// Only releases in this state (deployed, failed, pending-install, uninstalled, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// Page size (default 50, at most 100).
    #[serde(default)]
    pub limit: Option<i64>,
    /// `offset:N` token of the next page.
    #[serde(default, alias = "continue_token")]
    pub continue_token: Option<String>,
    /// Include the release's storage labels.
    #[serde(default, alias = "include_labels")]
    pub include_labels: Option<Value>,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn list_releases_paginated(a: PagedArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let limit = limit(a.limit, 50, 100, "limit")?;
    let offset = offset_token(&a.continue_token)?;
    let status = optional(&a.status).map(|s| s.to_ascii_lowercase());
    let uninstalled = status.as_deref() == Some("uninstalled");
    let entries: Vec<Entry> = release::releases(optional(&a.namespace).as_deref(), None, uninstalled)?
        .into_iter()
        .filter(|e| status.as_deref().is_none_or(|s| e.status == s))
        .collect();
    let mut list = items(&entries)?;
    if truthy(&a.include_labels) {
        for (item, e) in list.iter_mut().zip(&entries) {
            item["labels"] = json!(e.labels);
        }
    }
    let (page, next, total) = page(list, offset, limit);
    Output::json(&json!({
        "count": page.len(), "total": total, "releases": page,
        "continueToken": next, "hasMore": next.is_some(),
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct SummaryListArgs {
    #[serde(default)]
    pub namespace: Option<String>,
    /// Page size (default 50, at most 200).
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn list_releases_summary(a: SummaryListArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let limit = limit(a.limit, 50, 200, "limit")?;
    let offset = match a.offset {
        Some(o) if o < 0 => return Err(ToolError::invalid("`offset` must not be negative")),
        Some(o) => o as usize,
        None => 0,
    };
    let list: Vec<Value> = items(&release::releases(optional(&a.namespace).as_deref(), None, false)?)?
        .into_iter()
        .map(|i| json!({"name": i["name"], "namespace": i["namespace"], "status": i["status"], "chart": i["chart"], "revision": i["revision"]}))
        .collect();
    let (page, next, total) = page(list, offset, limit);
    Output::json(
        &json!({ "count": page.len(), "total": total, "offset": offset, "releases": page, "hasMore": next.is_some() }),
    )
}

#[derive(Deserialize, JsonSchema)]
pub struct NamespaceArgs {
    /// Namespace to list.
    pub namespace: String,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn list_releases_in_namespace(a: NamespaceArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let ns = required("namespace", &a.namespace)?;
    let list = items(&release::releases(Some(ns), None, false)?)?;
    Output::json(&json!({ "namespace": ns, "count": list.len(), "releases": list }))
}

#[derive(Deserialize, JsonSchema)]
pub struct GetArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// Revision (default: the newest).
    #[serde(default)]
    pub revision: Option<i64>,
}

/// Mask Secret values in the manifest and hook manifests of a release.
fn mask_release(rel: &mut Value) {
    if let Some(m) = rel.get("manifest").and_then(Value::as_str) {
        rel["manifest"] = json!(release::mask_secrets(m));
    }
    for hook in rel.get_mut("hooks").and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(m) = hook.get("manifest").and_then(Value::as_str) {
            hook["manifest"] = json!(release::mask_secrets(m));
        }
    }
}

/// The release record without the chart's template and file bodies, Secret
/// values in its manifests masked.
pub fn get_release(a: GetArgs, _: &Context) -> R<Output> {
    let (name, namespace) = a.release.select()?;
    let (_, mut rel) = release::get(name, namespace, a.revision)?;
    mask_release(&mut rel);
    if let Some(chart) = rel.get_mut("chart").and_then(Value::as_object_mut) {
        for key in ["templates", "files"] {
            if let Some(list) = chart.get(key).and_then(Value::as_array) {
                let names: Vec<Value> = list.iter().map(|t| t["name"].clone()).collect();
                chart.insert(key.into(), Value::Array(names));
            }
        }
    }
    Output::json(&rel)
}

fn status_of(e: &Entry, rel: &Value) -> Value {
    json!({
        "name": e.name,
        "namespace": e.namespace,
        "revision": e.version,
        "status": str_of(rel, "/info/status"),
        "description": str_of(rel, "/info/description"),
        "firstDeployed": str_of(rel, "/info/first_deployed"),
        "lastDeployed": str_of(rel, "/info/last_deployed"),
        "deleted": rel.pointer("/info/deleted").and_then(Value::as_str).filter(|d| !d.is_empty()),
        "chart": chart_label(rel),
        "appVersion": str_of(rel, "/chart/metadata/appVersion"),
        "notes": str_of(rel, "/info/notes"),
    })
}

pub fn get_release_status(a: ReleaseArgs, _: &Context) -> R<Output> {
    let (e, rel) = a.get()?;
    Output::json(&status_of(&e, &rel))
}

pub fn get_release_summary(a: ReleaseArgs, _: &Context) -> R<Output> {
    let (e, rel) = a.get()?;
    let resources = release::manifest_objects(str_of(&rel, "/manifest")).map(|o| o.len()).unwrap_or(0);
    let mut out = status_of(&e, &rel);
    out.as_object_mut().map(|o| o.remove("notes"));
    out["resources"] = json!(resources);
    out["userValues"] = json!(release::values(&rel, false).as_object().map_or(0, |m| m.len()));
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct ValuesArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// All values (chart defaults coalesced with the user's), not only the user-supplied ones.
    #[serde(default)]
    pub all: Option<bool>,
    #[serde(default)]
    pub revision: Option<i64>,
}

pub fn get_release_values(a: ValuesArgs, _: &Context) -> R<Output> {
    let (name, namespace) = a.release.select()?;
    let (e, rel) = release::get(name, namespace, a.revision)?;
    let all = a.all.unwrap_or(false);
    Output::json(&json!({
        "name": e.name, "namespace": e.namespace, "revision": e.version,
        "allValues": all, "values": release::values(&rel, all),
    }))
}

pub fn get_release_manifest(a: GetArgs, _: &Context) -> R<Output> {
    let (name, namespace) = a.release.select()?;
    let (e, rel) = release::get(name, namespace, a.revision)?;
    Output::json(&json!({
        "name": e.name, "namespace": e.namespace, "revision": e.version,
        "manifest": release::mask_secrets(str_of(&rel, "/manifest")),
    }))
}

fn history_item(e: &Entry, rel: &Value, with_status: bool) -> Value {
    let mut v = json!({
        "revision": e.version,
        "updated": str_of(rel, "/info/last_deployed"),
        "chart": chart_label(rel),
        "appVersion": str_of(rel, "/chart/metadata/appVersion"),
        "description": str_of(rel, "/info/description"),
    });
    if with_status {
        v["status"] = json!(str_of(rel, "/info/status"));
    }
    v
}

#[derive(Deserialize, JsonSchema)]
pub struct HistoryArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// Keep only the newest `max` revisions.
    #[serde(default)]
    pub max: Option<i64>,
}

pub fn get_release_history(a: HistoryArgs, _: &Context) -> R<Output> {
    let (name, namespace) = a.release.select()?;
    let all = release::history(name, namespace)?;
    let max = limit(a.max, usize::MAX, usize::MAX, "max")?;
    let skip = all.len().saturating_sub(max);
    let revisions: Vec<Value> =
        all.iter().skip(skip).map(|e| Ok(history_item(e, &e.decode()?, true))).collect::<R<_>>()?;
    Output::json(&json!({ "name": name, "namespace": namespace, "count": revisions.len(), "history": revisions }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPageArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// Page size (default 20, at most 50); newest revisions first.
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default, alias = "continue_token")]
    pub continue_token: Option<String>,
    /// Include each revision's status (default true).
    #[serde(default, alias = "include_status")]
    pub include_status: Option<bool>,
}

pub fn get_release_history_paginated(a: HistoryPageArgs, _: &Context) -> R<Output> {
    select_context(&a.release.context)?;
    let limit = limit(a.limit, 20, 50, "limit")?;
    let offset = offset_token(&a.continue_token)?;
    let (name, namespace) = a.release.names()?;
    let mut all = release::history(name, namespace)?;
    all.reverse();
    let with_status = a.include_status.unwrap_or(true);
    let total = all.len();
    let revisions: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| Ok(history_item(e, &e.decode()?, with_status)))
        .collect::<R<_>>()?;
    let next = (offset + revisions.len() < total).then(|| format!("offset:{}", offset + revisions.len()));
    Output::json(&json!({
        "name": name, "namespace": namespace, "count": revisions.len(), "total": total,
        "history": revisions, "continueToken": next, "hasMore": next.is_some(),
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct CompareArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    pub revision1: i64,
    pub revision2: i64,
}

/// Paths (`a.b.c`) whose values differ between two documents.
fn value_changes(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                value_changes(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), &p, out);
            }
        }
        _ if a != b => out.push(if path.is_empty() { "(root)".into() } else { path.to_string() }),
        _ => {}
    }
}

pub fn compare_revisions(a: CompareArgs, _: &Context) -> R<Output> {
    let (name, ns) = a.release.select()?;
    let all = release::history(name, ns)?;
    let pick = |r: i64| -> R<(Entry, Value)> {
        let e =
            all.iter().find(|e| e.version == r).cloned().ok_or_else(|| {
                ToolError::not_found(format!("release `{name}` in namespace `{ns}` has no revision {r}"))
            })?;
        let v = e.decode()?;
        Ok((e, v))
    };
    let (e1, r1) = pick(a.revision1)?;
    let (e2, r2) = pick(a.revision2)?;
    let (v1, v2) = (release::values(&r1, false), release::values(&r2, false));
    let mut changed = Vec::new();
    value_changes(&v1, &v2, "", &mut changed);
    let objs = |r: &Value| -> Vec<String> {
        release::manifest_objects(str_of(r, "/manifest"))
            .unwrap_or_default()
            .into_iter()
            .map(|(k, _, n, _)| format!("{k}/{n}"))
            .collect()
    };
    let (o1, o2) = (objs(&r1), objs(&r2));
    let side = |e: &Entry, r: &Value, v: &Value| {
        let mut s = history_item(e, r, true);
        s["values"] = v.clone();
        s
    };
    Output::json(&json!({
        "name": name, "namespace": ns,
        "revision1": side(&e1, &r1, &v1),
        "revision2": side(&e2, &r2, &v2),
        "differences": {
            "chartChanged": chart_label(&r1) != chart_label(&r2),
            "valuesChanged": changed,
            "manifestChanged": str_of(&r1, "/manifest") != str_of(&r2, "/manifest"),
            "resourcesAdded": o2.iter().filter(|o| !o1.contains(o)).collect::<Vec<_>>(),
            "resourcesRemoved": o1.iter().filter(|o| !o2.contains(o)).collect::<Vec<_>>(),
        },
    }))
}
