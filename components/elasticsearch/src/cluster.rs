//! Cluster tools: info, health, nodes (roles from 5.x+ `roles` or 2.x
//! `attributes`), and the cluster deep-dive.

use crate::client::Es;
use crate::common::{full_output, limit, text};
use crate::indices::cat_indices;
use k8s_mcp_sdk::prelude::*;
use std::collections::BTreeMap;

const MAX_ROWS: usize = 100;

#[derive(Deserialize, JsonSchema)]
pub struct NoArgs {}

pub fn info(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&Es::from_context(ctx)?.get("/", &[])?)
}

fn level(value: Option<&str>) -> Result<Option<String>, ToolError> {
    match value.map(|l| l.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(None),
        Some(l @ ("cluster" | "indices" | "shards")) => Ok(Some(l.to_string())),
        Some(other) => Err(ToolError::invalid(format!("`level` must be cluster, indices or shards, got `{other}`"))),
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct HealthArgs {
    /// `cluster` (default), `indices` or `shards`.
    level: Option<String>,
}

pub fn health(a: HealthArgs, ctx: &Context) -> Result<Output, ToolError> {
    let level = level(a.level.as_deref())?;
    Output::json(&Es::from_context(ctx)?.get("/_cluster/health", &[("level", level)])?)
}

fn health_core(h: &Value) -> Value {
    json!({
        "cluster": h["cluster_name"],
        "status": h["status"],
        "timed_out": h["timed_out"],
        "nodes": h["number_of_nodes"],
        "data_nodes": h["number_of_data_nodes"],
        "shards": {
            "active_primary": h["active_primary_shards"],
            "active": h["active_shards"],
            "relocating": h["relocating_shards"],
            "initializing": h["initializing_shards"],
            "unassigned": h["unassigned_shards"],
        },
        "active_shards_percent": h["active_shards_percent_as_number"],
        "pending_tasks": h["number_of_pending_tasks"],
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthSummaryArgs {
    /// `cluster` (default), `indices` or `shards`.
    level: Option<String>,
    /// Add per-index health (not green first; at most 100 rows).
    include_indices: Option<bool>,
}

pub fn health_summary(a: HealthSummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let level = level(a.level.as_deref())?;
    let es = Es::from_context(ctx)?;
    let h = es.get("/_cluster/health", &[])?;
    let mut out = health_core(&h);
    if a.include_indices.unwrap_or(false) || matches!(level.as_deref(), Some("indices" | "shards")) {
        let mut rows = cat_indices(&es, None)?;
        let rank = |r: &Value| match text(r, "health") {
            "red" => 0,
            "yellow" => 1,
            "green" => 3,
            _ => 2,
        };
        rows.sort_by_key(rank);
        out["by_index_health"] = json!(count(rows.iter().map(|r| text(r, "health").to_string())));
        out["indices_total"] = json!(rows.len());
        out["indices"] = json!(
            rows.into_iter()
                .take(MAX_ROWS)
                .map(|r| json!({"name": r["name"], "health": r["health"], "status": r["status"], "docs": r["docs"]}))
                .collect::<Vec<_>>()
        );
    }
    Output::json(&out)
}

fn count(keys: impl Iterator<Item = String>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for k in keys {
        *m.entry(if k.is_empty() { "unknown".into() } else { k }).or_insert(0) += 1;
    }
    m
}

pub fn nodes(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&Es::from_context(ctx)?.get("/_nodes", &[])?)
}

/// Roles of a node: 5.x+ list them; 2.x marks non-default ones in
/// `attributes` (`master`/`data` "false", `client` "true").
pub fn roles(node: &Value) -> Vec<String> {
    if let Some(list) = node.get("roles").and_then(Value::as_array) {
        return list.iter().filter_map(Value::as_str).map(str::to_string).collect();
    }
    let attr = |k: &str| node["attributes"].get(k).and_then(Value::as_str).map(str::to_string);
    let mut roles = Vec::new();
    if attr("master").as_deref() != Some("false") {
        roles.push("master".to_string());
    }
    if attr("data").as_deref() != Some("false") {
        roles.push("data".to_string());
    }
    if attr("client").as_deref() == Some("true") {
        roles.push("client".to_string());
    }
    roles
}

/// Heap, CPU, load and disk from `_nodes/stats` in both shapes
/// (`os.cpu.percent` in 5.x+, `os.cpu_percent` in 2.x).
fn metrics(stats: &Value) -> Value {
    let os = &stats["os"];
    let cpu = os["cpu"]["percent"].as_u64().or_else(|| os["cpu_percent"].as_u64());
    let load = os["cpu"]["load_average"]["1m"].as_f64().or_else(|| os["load_average"].as_f64());
    json!({
        "heap_used_percent": stats["jvm"]["mem"]["heap_used_percent"],
        "cpu_percent": cpu,
        "load_1m": load,
        "disk_available_bytes": stats["fs"]["total"]["available_in_bytes"],
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodesSummaryArgs {
    /// Only nodes with this role (`master`, `data`, `ingest`, ...; `data` also matches `data_hot` etc.).
    role: Option<String>,
    /// Add heap, CPU, load and free disk from node stats.
    include_metrics: Option<bool>,
    /// Most nodes (default 50, at most 100).
    limit: Option<f64>,
}

pub fn nodes_summary(a: NodesSummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit("limit", a.limit, 50, 100)?;
    let es = Es::from_context(ctx)?;
    let data = es.get("/_nodes", &[])?;
    let stats = if a.include_metrics.unwrap_or(false) { Some(es.get("/_nodes/stats/jvm,os,fs", &[])?) } else { None };
    let role = a.role.as_deref().map(|r| r.trim().to_ascii_lowercase()).filter(|r| !r.is_empty());
    let mut rows: Vec<Value> = data["nodes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, node)| {
            let mut row = json!({
                "id": id,
                "name": node["name"],
                "host": node["host"],
                "ip": node["ip"],
                "version": node["version"],
                "roles": roles(node),
            });
            if let Some(stats) = &stats {
                row["metrics"] = metrics(&stats["nodes"][id.as_str()]);
            }
            row
        })
        .filter(|row| {
            role.as_deref().is_none_or(|want| {
                row["roles"].as_array().into_iter().flatten().filter_map(Value::as_str).any(|r| r.starts_with(want))
            })
        })
        .collect();
    rows.sort_by(|x, y| text(x, "name").cmp(text(y, "name")));
    let total = rows.len();
    rows.truncate(n);
    Output::json(&json!({
        "cluster": data["cluster_name"],
        "total": total,
        "shown": rows.len(),
        "nodes": rows,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDetailArgs {
    include_nodes: Option<bool>,
    include_indices: Option<bool>,
    include_settings: Option<bool>,
    include_stats: Option<bool>,
    /// Shard allocation: counts by state and the shards not started.
    include_shards: Option<bool>,
    /// `summary` (default) or `full` (Elasticsearch's answers, lists capped).
    output_format: Option<String>,
}

pub fn cluster_detail(a: ClusterDetailArgs, ctx: &Context) -> Result<Output, ToolError> {
    let full = full_output(a.output_format.as_deref())?;
    let es = Es::from_context(ctx)?;
    let info = es.get("/", &[])?;
    let h = es.get("/_cluster/health", &[])?;
    let mut out = json!({
        "cluster": info["cluster_name"],
        "cluster_uuid": info["cluster_uuid"],
        "version": info["version"]["number"],
        "distribution": info["version"].get("distribution").cloned().unwrap_or(json!("elasticsearch")),
        "health": if full { h } else { health_core(&h) },
    });
    if a.include_nodes.unwrap_or(false) {
        let nodes = es.get("/_nodes", &[])?;
        out["nodes"] = if full {
            nodes["nodes"].clone()
        } else {
            json!(
                nodes["nodes"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .take(MAX_ROWS)
                    .map(|(id, n)| json!({"id": id, "name": n["name"], "version": n["version"], "roles": roles(n)}))
                    .collect::<Vec<_>>()
            )
        };
    }
    if a.include_indices.unwrap_or(false) {
        let rows = cat_indices(&es, None)?;
        out["indices_total"] = json!(rows.len());
        out["indices"] = json!(rows.into_iter().take(if full { 1000 } else { MAX_ROWS }).collect::<Vec<_>>());
    }
    if a.include_settings.unwrap_or(false) {
        let s = es.get("/_cluster/settings", &[])?;
        out["settings"] = json!({ "persistent": s["persistent"], "transient": s["transient"] });
    }
    if a.include_stats.unwrap_or(false) {
        let s = es.get("/_cluster/stats", &[])?;
        out["stats"] = if full {
            s
        } else {
            json!({
                "indices": s["indices"]["count"],
                "shards": s["indices"]["shards"]["total"],
                "docs": s["indices"]["docs"]["count"],
                "store_bytes": s["indices"]["store"]["size_in_bytes"],
                "nodes": s["nodes"]["count"],
                "jvm_heap_used_bytes": s["nodes"]["jvm"]["mem"]["heap_used_in_bytes"],
            })
        };
    }
    if a.include_shards.unwrap_or(false) {
        let q = [("format", Some("json".to_string())), ("h", Some("index,shard,prirep,state,docs,node".into()))];
        let shards = es.get("/_cat/shards", &q)?;
        let list = shards.as_array().cloned().unwrap_or_default();
        let by_state = count(list.iter().map(|s| text(s, "state").to_string()));
        let not_started: Vec<Value> =
            list.iter().filter(|s| text(s, "state") != "STARTED").take(MAX_ROWS).cloned().collect();
        out["shards"] = json!({ "total": list.len(), "by_state": by_state, "not_started": not_started });
        if full {
            out["shards"]["all"] = json!(list.into_iter().take(1000).collect::<Vec<_>>());
        }
    }
    Output::json(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_of_old_and_new_nodes() {
        assert_eq!(roles(&json!({ "roles": ["data_hot", "ingest"] })), ["data_hot", "ingest"]);
        assert_eq!(roles(&json!({ "attributes": {} })), ["master", "data"]);
        assert_eq!(
            roles(&json!({ "attributes": { "data": "false", "master": "false", "client": "true" } })),
            ["client"]
        );
        let old = metrics(&json!({ "os": { "cpu_percent": 7, "load_average": 1.5 } }));
        let new = metrics(&json!({ "os": { "cpu": { "percent": 7, "load_average": { "1m": 1.5 } } } }));
        assert_eq!(old, new);
    }
}
