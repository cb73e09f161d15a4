//! Document search, count and data streams. Hits are read in both shapes:
//! `hits.total` a number (2.x–6.x) or `{value, relation}` (7.x+), `_type`
//! present or not.

use crate::client::{Es, index_path};
use crate::common::{cell, limit};
use k8s_mcp_sdk::prelude::*;
use std::collections::BTreeMap;

/// Elasticsearch's default `index.max_result_window`.
const MAX_WINDOW: usize = 10_000;
const MAX_SIZE: u64 = 100;
const CELL_CHARS: usize = 160;
/// Longest string value kept in a compact hit's `_source` (raw=true keeps all).
const SOURCE_CHARS: usize = 2_000;

/// Cut long strings inside a document, so one huge field cannot flood the answer.
fn clip(v: &Value) -> Value {
    match v {
        Value::String(s) if s.chars().count() > SOURCE_CHARS => cell(v, SOURCE_CHARS),
        Value::Array(a) => Value::Array(a.iter().map(clip).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), clip(v))).collect()),
        other => other.clone(),
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Index, comma list or pattern (default all indices).
    index: Option<String>,
    /// Query DSL object, e.g. `{"match": {"message": "timeout"}}`.
    query: Option<Value>,
    /// Query-string (Lucene) syntax instead of `query`, e.g. `level:error AND service:api`.
    q: Option<String>,
    /// Hits to return (default 10, at most 100).
    size: Option<f64>,
    /// Hits to skip, for paging (from + size at most 10000).
    from: Option<f64>,
    /// Sort: `"@timestamp:desc"`, `[{"ts": "desc"}]`, ...
    sort: Option<Value>,
    /// Only these source fields.
    fields: Option<Vec<String>>,
    /// Aggregations (DSL object), returned as `aggregations`.
    aggs: Option<Value>,
    /// Date field for `start_time`/`end_time`, e.g. `@timestamp`.
    time_field: Option<String>,
    /// Only documents at or after this time (RFC 3339 or date math such as `now-15m`).
    start_time: Option<String>,
    /// Only documents at or before this time.
    end_time: Option<String>,
    /// Return Elasticsearch's answer as it is.
    raw: Option<bool>,
}

/// Add a time-range filter: the query (or query string) becomes the `must`
/// of a `bool` whose `filter` is the range, which every version since 2.0
/// understands. Returns the new query; the query string is folded in.
fn with_time_range(
    query: Option<Value>,
    q: Option<String>,
    field: Option<&str>,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<(Option<Value>, Option<String>), ToolError> {
    let nonblank = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let (start, end) = (nonblank(start), nonblank(end));
    if start.is_none() && end.is_none() {
        return Ok((query, q));
    }
    let field = nonblank(field).ok_or_else(|| ToolError::invalid("`start_time`/`end_time` need `time_field`"))?;
    let mut range = serde_json::Map::new();
    if let Some(s) = start {
        range.insert("gte".into(), json!(s));
    }
    if let Some(e) = end {
        range.insert("lte".into(), json!(e));
    }
    let must = match (query, q) {
        (Some(query), _) => query,
        (None, Some(q)) => json!({ "query_string": { "query": q } }),
        (None, None) => json!({ "match_all": {} }),
    };
    Ok((Some(json!({ "bool": { "must": [must], "filter": [{ "range": { field: range } }] } })), None))
}

fn target(index: Option<&str>, endpoint: &str) -> Result<String, ToolError> {
    Ok(match index.map(str::trim).filter(|i| !i.is_empty()) {
        Some(i) => format!("/{}/{endpoint}", index_path("index", i)?),
        None => format!("/{endpoint}"),
    })
}

/// The `query` part of a body, or the `q` URL parameter.
fn query_parts(query: Option<Value>, q: Option<String>) -> Result<(Option<Value>, Option<String>), ToolError> {
    let q = q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
    let query = match query {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) if o.is_empty() => None,
        Some(v @ Value::Object(_)) => Some(v),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(v @ Value::Object(_)) => Some(v),
            _ => {
                return Err(ToolError::invalid(
                    "`query` must be a query DSL object such as {\"match\": {\"message\": \"error\"}}; use `q` for query-string syntax",
                ));
            }
        },
        Some(_) => {
            return Err(ToolError::invalid("`query` must be a query DSL object; use `q` for query-string syntax"));
        }
    };
    if query.is_some() && q.is_some() {
        return Err(ToolError::invalid("give either `query` (DSL) or `q` (query string), not both"));
    }
    Ok((query, q))
}

/// The number of hits and whether it is exact (`eq`) or a lower bound (`gte`).
fn total(hits: &Value) -> (Value, &str) {
    match &hits["total"] {
        Value::Object(t) => {
            (t.get("value").cloned().unwrap_or(Value::Null), t.get("relation").and_then(Value::as_str).unwrap_or("eq"))
        }
        other => (other.clone(), "eq"),
    }
}

struct Search {
    answer: Value,
    size: usize,
    from: usize,
}

fn run(a: SearchArgs, ctx: &Context, default_size: u64) -> Result<Search, ToolError> {
    let size = limit("size", a.size, default_size, MAX_SIZE)?;
    let from = match a.from {
        None => 0,
        Some(f) if f.is_finite() && f.fract() == 0.0 && f >= 0.0 => f as usize,
        Some(f) => return Err(ToolError::invalid(format!("`from` must be a whole number ≥ 0, got {f}"))),
    };
    if from + size > MAX_WINDOW {
        return Err(ToolError::invalid(format!(
            "from + size must be at most {MAX_WINDOW} (Elasticsearch's result window); narrow the query instead"
        )));
    }
    let (query, q) = query_parts(a.query, a.q)?;
    let (query, q) =
        with_time_range(query, q, a.time_field.as_deref(), a.start_time.as_deref(), a.end_time.as_deref())?;
    let mut body = json!({ "size": size, "from": from });
    if let Some(query) = query {
        body["query"] = query;
    }
    match a.sort {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            let list: Vec<Value> = s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once(':') {
                    Some((f, o)) => json!({ f: { "order": o } }),
                    None => json!(p),
                })
                .collect();
            body["sort"] = json!(list);
        }
        Some(v @ (Value::Array(_) | Value::Object(_))) => body["sort"] = v,
        Some(_) => return Err(ToolError::invalid("`sort` must be a string like `ts:desc` or a sort DSL list")),
    }
    if let Some(fields) = a.fields.filter(|f| !f.is_empty()) {
        body["_source"] = json!(fields);
    }
    match a.aggs {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => body["aggs"] = v,
        Some(_) => return Err(ToolError::invalid("`aggs` must be an aggregations DSL object")),
    }
    let path = target(a.index.as_deref(), "_search")?;
    let answer = Es::from_context(ctx)?.post(&path, &[("q", q)], &body)?;
    Ok(Search { answer, size, from })
}

fn envelope(s: &Search) -> Value {
    let a = &s.answer;
    let (total, relation) = total(&a["hits"]);
    let returned = a["hits"]["hits"].as_array().map_or(0, Vec::len);
    let more = total.as_u64().is_some_and(|t| (s.from + returned) < t as usize) || relation == "gte";
    json!({
        "total": total,
        "total_relation": relation,
        "took_ms": a["took"],
        "timed_out": a["timed_out"],
        "shards": { "total": a["_shards"]["total"], "failed": a["_shards"]["failed"] },
        "from": s.from,
        "size": s.size,
        "returned": returned,
        "next_from": more.then_some(s.from + returned),
    })
}

pub fn search(a: SearchArgs, ctx: &Context) -> Result<Output, ToolError> {
    let raw = a.raw.unwrap_or(false);
    let s = run(a, ctx, 10)?;
    if raw {
        return Output::json(&s.answer);
    }
    let mut out = envelope(&s);
    let hits: Vec<Value> = s.answer["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            let mut hit =
                json!({ "_index": h["_index"], "_id": h["_id"], "_score": h["_score"], "_source": clip(&h["_source"]) });
            if let Some(sort) = h.get("sort") {
                hit["sort"] = sort.clone();
            }
            hit
        })
        .collect();
    out["hits"] = json!(hits);
    if let Some(aggs) = s.answer.get("aggregations") {
        out["aggregations"] = aggs.clone();
    }
    Output::json(&out)
}

/// A dotted path in a document (`http.status`).
fn field<'a>(doc: &'a Value, path: &str) -> &'a Value {
    if let Some(v) = doc.get(path) {
        return v;
    }
    path.split('.').try_fold(doc, |v, k| v.get(k)).unwrap_or(&Value::Null)
}

/// The most common top-level fields of the hits, for an unasked-for table.
fn common_fields(hits: &[Value], n: usize) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for h in hits {
        for k in h["_source"].as_object().into_iter().flat_map(|o| o.keys()) {
            *seen.entry(k.clone()).or_insert(0) += 1;
        }
    }
    let mut keys: Vec<(String, usize)> = seen.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    keys.into_iter().take(n).map(|(k, _)| k).collect()
}

pub fn search_summary(a: SearchArgs, ctx: &Context) -> Result<Output, ToolError> {
    let asked: Vec<String> = a.fields.clone().unwrap_or_default();
    let s = run(SearchArgs { raw: None, ..a }, ctx, 20)?;
    let hits: Vec<Value> = s.answer["hits"]["hits"].as_array().cloned().unwrap_or_default();
    let columns = if asked.is_empty() { common_fields(&hits, 6) } else { asked };
    let rows: Vec<Value> = hits
        .iter()
        .map(|h| {
            let mut row = vec![h["_index"].clone(), h["_id"].clone()];
            row.extend(columns.iter().map(|c| cell(field(&h["_source"], c), CELL_CHARS)));
            Value::Array(row)
        })
        .collect();
    let mut out = envelope(&s);
    let mut header = vec!["_index".to_string(), "_id".to_string()];
    header.extend(columns);
    out["columns"] = json!(header);
    out["rows"] = json!(rows);
    if let Some(aggs) = s.answer.get("aggregations") {
        out["aggregations"] = aggs.clone();
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct CountArgs {
    /// Index, comma list or pattern (default all indices).
    index: Option<String>,
    /// Query DSL object.
    query: Option<Value>,
    /// Query-string syntax instead of `query`.
    q: Option<String>,
}

pub fn count(a: CountArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (query, q) = query_parts(a.query, a.q)?;
    let path = target(a.index.as_deref(), "_count")?;
    let es = Es::from_context(ctx)?;
    let answer = match query {
        Some(query) => es.post(&path, &[], &json!({ "query": query }))?,
        None => es.get(&path, &[("q", q)])?,
    };
    Output::json(&json!({
        "index": a.index.as_deref().map(str::trim).filter(|i| !i.is_empty()).unwrap_or("_all"),
        "count": answer["count"],
        "shards": { "total": answer["_shards"]["total"], "failed": answer["_shards"]["failed"] },
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct DataStreamArgs {
    /// Data stream name or pattern (default all).
    name: Option<String>,
    /// Most data streams in the table (default 100, at most 1000).
    limit: Option<f64>,
    /// Return Elasticsearch's answer as it is.
    raw: Option<bool>,
}

pub fn data_streams(a: DataStreamArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit("limit", a.limit, 100, 1000)?;
    let path = match a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("/_data_stream/{}", index_path("name", n)?),
        None => "/_data_stream".to_string(),
    };
    let hint = " (data streams need Elasticsearch 7.9 or later)";
    let answer = Es::from_context(ctx)?.get(&path, &[]).map_err(|e| match e {
        ToolError::InvalidArguments(m) if m.contains("_data_stream") => ToolError::InvalidArguments(m + hint),
        other => other,
    })?;
    if a.raw.unwrap_or(false) {
        return Output::json(&answer);
    }
    let streams: Vec<Value> = answer["data_streams"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            json!({
                "name": d["name"],
                "status": d["status"],
                "generation": d["generation"],
                "backing_indices": d["indices"].as_array().map_or(0, Vec::len),
                "write_index": d["indices"].as_array().and_then(|i| i.last()).map(|i| i["index_name"].clone()),
                "timestamp_field": d["timestamp_field"]["name"],
                "template": d["template"],
                "ilm_policy": d.get("ilm_policy"),
            })
        })
        .collect();
    let total = streams.len();
    let streams: Vec<Value> = streams.into_iter().take(n).collect();
    Output::json(&json!({ "total": total, "truncated": total > n, "data_streams": streams }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_strings_are_cut() {
        let doc = json!({ "a": "x".repeat(5000), "b": [{ "c": "short" }] });
        let out = clip(&doc);
        assert_eq!(out["a"].as_str().unwrap().chars().count(), SOURCE_CHARS + 1);
        assert_eq!(out["b"], doc["b"]);
    }

    #[test]
    fn time_range_wraps_the_query() {
        let (q, s) = with_time_range(None, Some("level:error".into()), Some("ts"), Some("now-1h"), None).unwrap();
        assert_eq!(s, None);
        assert_eq!(q.unwrap()["bool"]["filter"][0]["range"]["ts"], json!({ "gte": "now-1h" }));
        assert!(with_time_range(None, None, None, Some("now-1h"), None).is_err());
        assert_eq!(with_time_range(None, None, None, None, None).unwrap(), (None, None));
    }

    #[test]
    fn totals_of_every_version() {
        assert_eq!(total(&json!({ "total": 12 })), (json!(12), "eq"));
        assert_eq!(total(&json!({ "total": { "value": 10000, "relation": "gte" } })), (json!(10000), "gte"));
    }

    #[test]
    fn query_or_query_string() {
        assert!(query_parts(Some(json!({"match_all": {}})), Some("x".into())).is_err());
        assert!(query_parts(Some(json!("level:error")), None).is_err());
        let (q, s) = query_parts(Some(json!("{\"term\": {\"a\": 1}}")), None).unwrap();
        assert_eq!((q, s), (Some(json!({"term": {"a": 1}})), None));
        assert_eq!(field(&json!({"http": {"status": 5}}), "http.status"), &json!(5));
    }
}
