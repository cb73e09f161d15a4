//! Index tools: names, paged and filtered lists from `_cat/indices`, stats,
//! mappings (typed 2.x–6.x and typeless 7.x+ shapes) and one index in detail.

use crate::client::{Es, index_path};
use crate::common::{self, descending, full_output, limit, num, offset, page, text, wildcard};
use k8s_mcp_sdk::prelude::*;

const CAT_COLUMNS: &str = "index,health,status,docs.count,docs.deleted,pri,rep,store.size";
const MAX_FIELDS: u64 = 1000;

/// `_cat/indices` rows (optionally for a pattern), normalised: numbers are
/// numbers, sizes are bytes. A pattern matching nothing is an empty list.
pub fn cat_indices(es: &Es, pattern: Option<&str>) -> Result<Vec<Value>, ToolError> {
    let path = match pattern.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => format!("/_cat/indices/{}", index_path("indexPattern", p)?),
        None => "/_cat/indices".to_string(),
    };
    let q = [("format", Some("json".into())), ("bytes", Some("b".into())), ("h", Some(CAT_COLUMNS.into()))];
    let rows = match es.get(&path, &q) {
        Ok(v) => v,
        Err(ToolError::NotFound(_)) if pattern.is_some() => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let rows = rows.as_array().cloned().unwrap_or_default();
    let mut out: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "name": text(r, "index"),
                "health": r.get("health").cloned().unwrap_or(Value::Null),
                "status": text(r, "status"),
                "docs": num(r, "docs.count"),
                "deleted_docs": num(r, "docs.deleted"),
                "primaries": num(r, "pri"),
                "replicas": num(r, "rep"),
                "size_bytes": num(r, "store.size"),
            })
        })
        .collect();
    out.sort_by(|a, b| text(a, "name").cmp(text(b, "name")));
    Ok(out)
}

#[derive(Deserialize, JsonSchema)]
pub struct ListArgs {
    /// Most names to return (default 500, at most 5000).
    limit: Option<f64>,
}

pub fn list_indices(a: ListArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit("limit", a.limit, 500, 5000)?;
    let rows = cat_indices(&Es::from_context(ctx)?, None)?;
    let total = rows.len();
    let names: Vec<&str> = rows.iter().take(n).map(|r| text(r, "name")).collect();
    Output::json(&json!({ "total": total, "truncated": total > n, "indices": names }))
}

#[derive(Deserialize, JsonSchema)]
pub struct IndexArgs {
    /// Index name (or a pattern such as `logs-*`).
    index: String,
}

pub fn index_stats(a: IndexArgs, ctx: &Context) -> Result<Output, ToolError> {
    let path = format!("/{}/_stats", index_path("index", &a.index)?);
    Output::json(&Es::from_context(ctx)?.get(&path, &[])?)
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagedArgs {
    /// Token from the previous page's `continueToken`.
    continue_token: Option<String>,
    /// Page size (default 20, at most 100).
    limit: Option<f64>,
    /// Only indices matching this pattern, e.g. `logs-*`.
    index_pattern: Option<String>,
    /// Add the health column.
    include_health: Option<bool>,
}

pub fn list_indices_paginated(a: PagedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let size = limit("limit", a.limit, 20, 100)?;
    let start = offset(a.continue_token.as_deref())?;
    let rows = cat_indices(&Es::from_context(ctx)?, a.index_pattern.as_deref())?;
    let health = a.include_health.unwrap_or(false);
    let rows = rows
        .into_iter()
        .map(|mut r| {
            if !health && let Some(o) = r.as_object_mut() {
                o.remove("health");
            }
            r
        })
        .collect();
    Output::json(&page(rows, start, size))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchIndicesArgs {
    /// Index name filter: wildcards (`logs-*`) or a substring.
    query: Option<String>,
    /// `green`, `yellow` or `red`.
    health_status: Option<String>,
    /// `open` or `close`.
    index_status: Option<String>,
    min_doc_count: Option<f64>,
    max_doc_count: Option<f64>,
    /// `name` (default), `docs`, `size` or `health`.
    sort_by: Option<String>,
    /// `asc` (default for name) or `desc` (default for docs and size).
    sort_order: Option<String>,
    /// Page size (default 30, at most 200).
    limit: Option<f64>,
    continue_token: Option<String>,
}

pub fn search_indices(a: SearchIndicesArgs, ctx: &Context) -> Result<Output, ToolError> {
    let size = limit("limit", a.limit, 30, 200)?;
    let start = offset(a.continue_token.as_deref())?;
    let min = common::count_arg("minDocCount", a.min_doc_count)?;
    let max = common::count_arg("maxDocCount", a.max_doc_count)?;
    let health = match a.health_status.as_deref().map(|h| h.trim().to_ascii_lowercase()) {
        None => None,
        Some(h) if h.is_empty() => None,
        Some(h) if ["green", "yellow", "red"].contains(&h.as_str()) => Some(h),
        Some(h) => return Err(ToolError::invalid(format!("`healthStatus` must be green, yellow or red, got `{h}`"))),
    };
    let status = match a.index_status.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
        None => None,
        Some(s) if s.is_empty() => None,
        Some(s) if s == "open" => Some(s),
        Some(s) if s == "close" || s == "closed" => Some("close".to_string()),
        Some(s) => return Err(ToolError::invalid(format!("`indexStatus` must be open or close, got `{s}`"))),
    };
    let sort_by = a.sort_by.as_deref().map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
    let key = match sort_by.as_str() {
        "" | "name" | "index" => "name",
        "docs" | "doccount" | "docs.count" | "doc_count" => "docs",
        "size" | "store.size" | "storesize" => "size_bytes",
        "health" => "health",
        other => {
            return Err(ToolError::invalid(format!("`sortBy` must be name, docs, size or health, got `{other}`")));
        }
    };
    let desc = descending(a.sort_order.as_deref(), matches!(key, "docs" | "size_bytes"))?;
    let mut rows: Vec<Value> = cat_indices(&Es::from_context(ctx)?, None)?
        .into_iter()
        .filter(|r| a.query.as_deref().map(str::trim).is_none_or(|q| q.is_empty() || wildcard(q, text(r, "name"))))
        .filter(|r| health.as_deref().is_none_or(|h| text(r, "health") == h))
        .filter(|r| status.as_deref().is_none_or(|s| text(r, "status") == s))
        .filter(|r| min.is_none_or(|m| num(r, "docs").unwrap_or(0) >= m))
        .filter(|r| max.is_none_or(|m| num(r, "docs").unwrap_or(0) <= m))
        .collect();
    rows.sort_by(|x, y| {
        let o = match key {
            "docs" | "size_bytes" => num(x, key).cmp(&num(y, key)),
            _ => text(x, key).cmp(text(y, key)),
        };
        let o = if desc { o.reverse() } else { o };
        o.then_with(|| text(x, "name").cmp(text(y, "name")))
    });
    Output::json(&page(rows, start, size))
}

/// Field paths and types of a `_mapping` answer, for both shapes:
/// `{idx: {mappings: {properties}}}` (7.x+) and
/// `{idx: {mappings: {<type>: {properties}}}}` (2.x–6.x).
pub fn mapping_fields(mapping: &Value) -> Vec<Value> {
    fn walk(props: &Value, prefix: &str, index: &str, doc_type: Option<&str>, out: &mut Vec<Value>) {
        let Some(props) = props.as_object() else { return };
        for (name, def) in props {
            let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
            let kind = def.get("type").and_then(Value::as_str).unwrap_or("object");
            let mut field = json!({ "index": index, "field": path, "type": kind });
            if let Some(t) = doc_type {
                field["doc_type"] = json!(t);
            }
            out.push(field);
            if let Some(sub) = def.get("properties") {
                walk(sub, &path, index, doc_type, out);
            }
            if let Some(multi) = def.get("fields") {
                walk(multi, &path, index, doc_type, out);
            }
        }
    }
    let mut out = Vec::new();
    for (index, body) in mapping.as_object().into_iter().flatten() {
        let Some(mappings) = body.get("mappings") else { continue };
        if let Some(props) = mappings.get("properties") {
            walk(props, "", index, None, &mut out);
        } else if let Some(types) = mappings.as_object() {
            for (doc_type, m) in types {
                if let Some(props) = m.get("properties") {
                    walk(props, "", index, Some(doc_type), &mut out);
                }
            }
        }
    }
    out
}

#[derive(Deserialize, JsonSchema)]
pub struct MappingArgs {
    /// Index name or pattern.
    index: String,
    /// Return Elasticsearch's mapping as it is instead of the field table.
    raw: Option<bool>,
    /// Most fields in the table (default 200, at most 1000).
    limit: Option<f64>,
}

pub fn get_mapping(a: MappingArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit("limit", a.limit, 200, MAX_FIELDS)?;
    let path = format!("/{}/_mapping", index_path("index", &a.index)?);
    let mapping = Es::from_context(ctx)?.get(&path, &[])?;
    if a.raw.unwrap_or(false) {
        return Output::json(&mapping);
    }
    let fields = mapping_fields(&mapping);
    let total = fields.len();
    let fields: Vec<Value> = fields.into_iter().take(n).collect();
    Output::json(&json!({
        "indices": mapping.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default(),
        "total_fields": total,
        "truncated": total > n,
        "fields": fields,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DetailArgs {
    /// Index name.
    index: String,
    /// Field table (or the raw mapping with outputFormat=full). Default true.
    include_mappings: Option<bool>,
    /// Shards, replicas, creation date, UUID. Default true.
    include_settings: Option<bool>,
    /// Document and storage statistics. Default true.
    include_stats: Option<bool>,
    /// Lucene segment counts. Default false.
    include_segments: Option<bool>,
    /// `summary` (default) or `full` (Elasticsearch's answers as they are).
    output_format: Option<String>,
}

pub fn get_index_detail(a: DetailArgs, ctx: &Context) -> Result<Output, ToolError> {
    let full = full_output(a.output_format.as_deref())?;
    let index = index_path("index", &a.index)?;
    let es = Es::from_context(ctx)?;
    let mut out = json!({ "index": a.index.trim() });
    if a.include_stats.unwrap_or(true) {
        let stats = es.get(&format!("/{index}/_stats"), &[])?;
        out["stats"] = if full {
            stats
        } else {
            let p = &stats["_all"]["primaries"];
            let t = &stats["_all"]["total"];
            json!({
                "docs": p["docs"]["count"],
                "deleted_docs": p["docs"]["deleted"],
                "primary_size_bytes": p["store"]["size_in_bytes"],
                "total_size_bytes": t["store"]["size_in_bytes"],
                "indexing_total": p["indexing"]["index_total"],
                "search_query_total": t["search"]["query_total"],
            })
        };
    }
    if a.include_settings.unwrap_or(true) {
        let settings = es.get(&format!("/{index}/_settings"), &[])?;
        out["settings"] = if full {
            settings
        } else {
            let s: serde_json::Map<String, Value> = settings
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, v)| {
                    let i = &v["settings"]["index"];
                    (
                        name.clone(),
                        json!({
                            "shards": i["number_of_shards"],
                            "replicas": i["number_of_replicas"],
                            "uuid": i["uuid"],
                            "creation_date": i["creation_date"],
                            "version_created": i["version"]["created"],
                        }),
                    )
                })
                .collect();
            Value::Object(s)
        };
    }
    if a.include_mappings.unwrap_or(true) {
        let mapping = es.get(&format!("/{index}/_mapping"), &[])?;
        out["mappings"] = if full {
            mapping
        } else {
            let fields = mapping_fields(&mapping);
            json!({ "total_fields": fields.len(), "fields": fields.into_iter().take(200).collect::<Vec<_>>() })
        };
    }
    if a.include_segments.unwrap_or(false) {
        let segments = es.get(&format!("/{index}/_segments"), &[])?;
        out["segments"] = if full { segments } else { segment_summary(&segments) };
    }
    Output::json(&out)
}

fn segment_summary(v: &Value) -> Value {
    let (mut count, mut bytes, mut docs) = (0u64, 0u64, 0u64);
    for index in v["indices"].as_object().into_iter().flat_map(|m| m.values()) {
        for copies in index["shards"].as_object().into_iter().flat_map(|m| m.values()) {
            for copy in copies.as_array().into_iter().flatten() {
                for seg in copy["segments"].as_object().into_iter().flat_map(|m| m.values()) {
                    count += 1;
                    bytes += seg["size_in_bytes"].as_u64().unwrap_or(0);
                    docs += seg["num_docs"].as_u64().unwrap_or(0);
                }
            }
        }
    }
    json!({ "segments": count, "size_bytes": bytes, "docs": docs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_fields_of_typed_and_typeless_mappings() {
        let typed = json!({ "i": { "mappings": { "event": { "properties": {
            "http": { "properties": { "status": { "type": "integer" } } } } } } } });
        let typeless = json!({ "i": { "mappings": { "properties": {
            "msg": { "type": "text", "fields": { "keyword": { "type": "keyword" } } } } } } });
        let f = mapping_fields(&typed);
        assert_eq!(f[1]["field"], "http.status");
        assert_eq!(f[1]["doc_type"], "event");
        let f = mapping_fields(&typeless);
        assert_eq!((f[1]["field"].clone(), f[1]["type"].clone()), (json!("msg.keyword"), json!("keyword")));
        assert!(f[0].get("doc_type").is_none());
    }
}
