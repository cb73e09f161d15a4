//! Finding releases (by labels, chart, state), overviews, the objects of a
//! release and checks of a release or of the Helm setup.

use crate::common::*;
use crate::reads::ReleaseArgs;
use crate::release::{self, Entry, list_item, str_of};
use k8s_mcp_sdk::prelude::*;
use k8s_mcp_sdk::{helm, kube};
use std::collections::BTreeMap;

/// States `helm list --failed --pending` shows.
const BROKEN: &[&str] =
    &["failed", "pending-install", "pending-upgrade", "pending-rollback", "unknown", "uninstalling"];

fn items(entries: &[Entry]) -> R<Vec<Value>> {
    entries.iter().map(|e| Ok(list_item(e, &e.decode()?))).collect()
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelArgs {
    /// Label selector over the release's storage labels (`k=v`, `k!=v`, comma = AND; e.g. `status=deployed`).
    #[serde(alias = "label_selector")]
    pub label_selector: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// At most this many releases (default 30, at most 100).
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn find_releases_by_labels(a: LabelArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let given = required("labelSelector", &a.label_selector)?;
    // Every release record carries owner=helm; the runtime adds that term itself.
    let terms: Vec<&str> = given.split(',').map(str::trim).filter(|t| !t.is_empty() && *t != "owner=helm").collect();
    let selector = terms.join(",");
    let limit = limit(a.limit, 30, 100, "limit")?;
    let found =
        release::releases(optional(&a.namespace).as_deref(), Some(selector.as_str()).filter(|s| !s.is_empty()), true)?;
    let total = found.len();
    let list: Vec<Value> = found
        .iter()
        .take(limit)
        .map(|e| {
            let mut item = list_item(e, &e.decode()?);
            item["labels"] = json!(e.labels);
            Ok(item)
        })
        .collect::<R<_>>()?;
    Output::json(&json!({ "labelSelector": given, "count": list.len(), "total": total, "releases": list }))
}

#[derive(Deserialize, JsonSchema)]
pub struct ChartArgs {
    /// Chart name (`nginx`, not `repo/nginx`).
    pub chart_name: String,
    /// Only this exact chart version.
    #[serde(default)]
    pub chart_version: Option<String>,
    /// At most this many releases (default 50, at most 100).
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn find_releases_by_chart(a: ChartArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let chart = required("chart_name", &a.chart_name)?;
    let chart = chart.rsplit('/').next().unwrap_or(chart);
    let version = optional(&a.chart_version);
    let limit = limit(a.limit, 50, 100, "limit")?;
    let mut list = Vec::new();
    for i in items(&release::releases(optional(&a.namespace).as_deref(), None, false)?)? {
        if i["chartName"] == chart && version.as_deref().is_none_or(|v| i["chartVersion"] == v) {
            list.push(i);
        }
    }
    let total = list.len();
    list.truncate(limit);
    Output::json(
        &json!({ "chart": chart, "chartVersion": version, "count": list.len(), "total": total, "releases": list }),
    )
}

#[derive(Deserialize, JsonSchema)]
pub struct BrokenArgs {
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn find_broken_releases(a: BrokenArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let broken: Vec<Entry> = release::releases(optional(&a.namespace).as_deref(), None, false)?
        .into_iter()
        .filter(|e| BROKEN.contains(&e.status.as_str()))
        .collect();
    let list = items(&broken)?;
    Output::json(&json!({ "count": list.len(), "releases": list }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailuresArgs {
    #[serde(default)]
    pub namespace: Option<String>,
    /// At most this many (default 20, at most 50), newest first.
    #[serde(default)]
    pub limit: Option<i64>,
    /// Also releases stuck in a pending state.
    #[serde(default, alias = "include_pending")]
    pub include_pending: Option<bool>,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn get_recent_failures(a: FailuresArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let limit = limit(a.limit, 20, 50, "limit")?;
    let pending = a.include_pending.unwrap_or(false);
    let chosen: Vec<Entry> = release::releases(optional(&a.namespace).as_deref(), None, false)?
        .into_iter()
        .filter(|e| e.status == "failed" || (pending && e.status.starts_with("pending")))
        .collect();
    let mut list = items(&chosen)?;
    list.sort_by(|x, y| y["updated"].as_str().cmp(&x["updated"].as_str()));
    let total = list.len();
    list.truncate(limit);
    Output::json(&json!({ "count": list.len(), "total": total, "includePending": pending, "releases": list }))
}

fn tally(list: &[Value], key: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in list {
        *m.entry(i[key].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
    }
    m
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewArgs {
    /// Accepted for compatibility; node details come from the kubernetes tools.
    #[serde(default, alias = "include_nodes")]
    pub include_nodes: Option<bool>,
    /// Accepted for compatibility; storage details come from the kubernetes tools.
    #[serde(default, alias = "include_storage")]
    pub include_storage: Option<bool>,
    #[serde(default)]
    pub context: Option<String>,
}

pub fn cluster_overview(a: OverviewArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let list = items(&release::releases(None, None, false)?)?;
    let mut out = json!({
        "totalReleases": list.len(),
        "byStatus": tally(&list, "status"),
        "byNamespace": tally(&list, "namespace"),
        "byChart": tally(&list, "chart"),
    });
    if a.include_nodes.unwrap_or(false) || a.include_storage.unwrap_or(false) {
        out["note"] = json!("node and storage details are served by the kubernetes_* tools");
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct NoArgs {
    #[serde(default)]
    pub context: Option<String>,
}

pub fn quick_info(a: NoArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let mut list = items(&release::releases(None, None, false)?)?;
    let by_status = tally(&list, "status");
    let namespaces = tally(&list, "namespace").len();
    list.sort_by(|x, y| y["updated"].as_str().cmp(&x["updated"].as_str()));
    list.truncate(10);
    let recent: Vec<Value> = list
        .iter()
        .map(|i| json!({"name": i["name"], "namespace": i["namespace"], "status": i["status"], "chart": i["chart"], "updated": i["updated"]}))
        .collect();
    let total: usize = by_status.values().sum();
    Output::json(
        &json!({ "totalReleases": total, "namespaces": namespaces, "byStatus": by_status, "recentlyUpdated": recent }),
    )
}

fn object_status(kind: &str, api_version: &str, name: &str, namespace: Option<String>) -> Value {
    let target = kube::ResourceRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace,
        name: Some(name.to_string()),
    };
    match kube::get(&target) {
        Ok(text) => {
            let obj: Value = serde_json::from_str(&text).unwrap_or_default();
            let mut s = json!({"exists": true});
            if let Some(ready) = obj.pointer("/status/readyReplicas") {
                s["readyReplicas"] = ready.clone();
                s["replicas"] = obj.pointer("/spec/replicas").cloned().unwrap_or(Value::Null);
            }
            if let Some(phase) = obj.pointer("/status/phase") {
                s["phase"] = phase.clone();
            }
            s
        }
        Err(kube::KubeError::NotFound(_)) => json!({"exists": false}),
        Err(e) => json!({"exists": null, "error": ToolError::from(e).to_string()}),
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourcesArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// Look each object up in the cluster (exists, replicas, phase).
    #[serde(default, alias = "include_status")]
    pub include_status: Option<bool>,
    /// At most this many objects (default 50, at most 200).
    #[serde(default)]
    pub limit: Option<i64>,
}

pub fn get_resources_of_release(a: ResourcesArgs, _: &Context) -> R<Output> {
    select_context(&a.release.context)?;
    let limit = limit(a.limit, 50, 200, "limit")?;
    let (name, namespace) = a.release.names()?;
    let (e, rel) = release::get(name, namespace, None)?;
    let objects = release::manifest_objects(str_of(&rel, "/manifest"))?;
    let total = objects.len();
    let with_status = a.include_status.unwrap_or(false);
    let list: Vec<Value> = objects
        .into_iter()
        .take(limit)
        .map(|(kind, api_version, name, ns)| {
            let mut item = json!({"kind": kind, "apiVersion": api_version, "name": name, "namespace": ns});
            if with_status {
                item["status"] = object_status(&kind, &api_version, &name, ns.or_else(|| Some(e.namespace.clone())));
            }
            item
        })
        .collect();
    Output::json(&json!({
        "name": e.name, "namespace": e.namespace, "revision": e.version,
        "count": list.len(), "total": total, "resources": list,
    }))
}

pub fn validate_release(a: ReleaseArgs, _: &Context) -> R<Output> {
    let (e, rel) = a.get()?;
    let (mut errors, mut warnings) = (Vec::<String>::new(), Vec::<String>::new());
    let status = str_of(&rel, "/info/status");
    match status {
        "deployed" => {}
        s if BROKEN.contains(&s) => {
            errors.push(format!("release is in state `{s}`: {}", str_of(&rel, "/info/description")))
        }
        s => warnings.push(format!("release is in state `{s}`")),
    }
    let mut missing = Vec::new();
    match release::manifest_objects(str_of(&rel, "/manifest")) {
        Ok(objs) => {
            if objs.is_empty() {
                warnings.push("the release manifest contains no objects".into());
            }
            for (kind, api_version, name, ns) in objs.iter().take(100) {
                let s = object_status(kind, api_version, name, ns.clone().or_else(|| Some(e.namespace.clone())));
                if s["exists"] == false {
                    missing.push(format!("{kind}/{name}"));
                }
            }
        }
        Err(err) => errors.push(err.to_string()),
    }
    if !missing.is_empty() {
        errors.push(format!("objects of the release missing from the cluster: {}", missing.join(", ")));
    }
    Output::json(&json!({
        "name": e.name, "namespace": e.namespace, "revision": e.version, "status": status,
        "valid": errors.is_empty(), "errors": errors, "warnings": warnings,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthArgs {
    /// Check the helm binary (default true).
    #[serde(default, alias = "check_client")]
    pub check_client: Option<bool>,
    /// Check that release records can be read from the cluster (default true).
    #[serde(default, alias = "check_kubernetes")]
    pub check_kubernetes: Option<bool>,
    /// Check the repository configuration (default true).
    #[serde(default, alias = "check_repositories")]
    pub check_repositories: Option<bool>,
    /// Check the repository cache (default true).
    #[serde(default, alias = "check_cache")]
    pub check_cache: Option<bool>,
}

pub fn health_check(a: HealthArgs, _: &Context) -> R<Output> {
    let mut checks = serde_json::Map::new();
    let mut healthy = true;
    let mut record = |name: &str, r: R<Value>| {
        let v = match r {
            Ok(details) => json!({"ok": true, "details": details}),
            Err(e) => {
                healthy = false;
                json!({"ok": false, "error": e.to_string()})
            }
        };
        checks.insert(name.into(), v);
    };
    if a.check_client.unwrap_or(true) {
        record("client", helm::version().map(|v| json!({"version": v})).map_err(Into::into));
    }
    if a.check_kubernetes.unwrap_or(true) {
        record("kubernetes", release::releases(None, None, false).map(|r| json!({"releases": r.len()})));
    }
    if a.check_repositories.unwrap_or(true) {
        let repos = helm::repo_list().map_err(ToolError::from).and_then(|t| Ok(serde_json::from_str::<Value>(&t)?));
        record("repositories", repos.map(|r| json!({"count": r.as_array().map_or(0, Vec::len)})));
    }
    if a.check_cache.unwrap_or(true) {
        let stats = helm::cache_stats().map_err(ToolError::from).and_then(|t| Ok(serde_json::from_str::<Value>(&t)?));
        record("cache", stats);
    }
    Output::json(&json!({ "healthy": healthy, "checks": checks }))
}
