//! Log search through Kibana's documented Console proxy
//! (`POST /api/console/proxy?path=<index>/_search&method=POST`, Kibana docs:
//! "Run an Elasticsearch query"). The `/internal/search/es` route Kibana's
//! own UI uses is internal and may change without notice, so it is not used.

use crate::client::{clip, kibana, optional};
use k8s_mcp_sdk::prelude::*;

const DEFAULT_SIZE: u32 = 20;
/// Most hits one call returns.
const MAX_SIZE: u32 = 500;
const MESSAGE_CHARS: usize = 500;

#[derive(Deserialize, JsonSchema)]
pub struct QueryArgs {
    /// Index pattern to search, e.g. `logs-*` (default `logs-*`).
    #[serde(rename = "indexPattern", alias = "index_pattern", alias = "index")]
    index_pattern: Option<String>,
    /// Lucene query string, e.g. `level:error AND service:api` (default `*`).
    query: Option<String>,
    /// Hits to return (default 20, at most 500).
    size: Option<u32>,
    /// Field to sort by (default `@timestamp`).
    #[serde(rename = "sortBy", alias = "sort_by")]
    sort_by: Option<String>,
    /// `asc` or `desc` (default desc).
    #[serde(rename = "sortOrder", alias = "sort_order")]
    sort_order: Option<String>,
    /// Start of the time range: Elasticsearch date math or ISO 8601, e.g. `now-1h`.
    #[serde(rename = "timeFrom", alias = "time_from", alias = "from")]
    time_from: Option<String>,
    /// End of the time range (default now when timeFrom is given).
    #[serde(rename = "timeTo", alias = "time_to", alias = "to")]
    time_to: Option<String>,
    /// The documents' time field (default `@timestamp`).
    #[serde(rename = "timeField", alias = "time_field")]
    time_field: Option<String>,
    /// Return each hit's full `_source` instead of timestamp/level/service/message.
    raw: Option<bool>,
}

fn field<'a>(src: &'a Value, dotted: &str) -> Option<&'a Value> {
    src.get(dotted).or_else(|| src.pointer(&format!("/{}", dotted.replace('.', "/")))).filter(|v| !v.is_null())
}

fn valid_index(i: &str) -> bool {
    !i.is_empty()
        && !i.starts_with('_')
        && !i.chars().any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '\\' | '"' | '<' | '>' | '|'))
}

pub fn query_logs(a: QueryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let index = optional(&a.index_pattern).unwrap_or_else(|| "logs-*".into());
    if !valid_index(&index) {
        return Err(ToolError::invalid(format!("`indexPattern` `{index}` is not a valid index pattern")));
    }
    let requested = a.size.unwrap_or(DEFAULT_SIZE);
    if requested == 0 {
        return Err(ToolError::invalid("`size` must be at least 1"));
    }
    let size = requested.min(MAX_SIZE);
    let order = match optional(&a.sort_order).map(|o| o.to_ascii_lowercase()).as_deref() {
        None | Some("desc") => "desc",
        Some("asc") => "asc",
        Some(o) => return Err(ToolError::invalid(format!("`sortOrder` must be asc or desc, got `{o}`"))),
    };
    let sort_by = optional(&a.sort_by).unwrap_or_else(|| "@timestamp".into());
    let time_field = optional(&a.time_field).unwrap_or_else(|| "@timestamp".into());
    let query = optional(&a.query).unwrap_or_else(|| "*".into());
    let mut filter = Vec::new();
    let (from, to) = (optional(&a.time_from), optional(&a.time_to));
    if from.is_some() || to.is_some() {
        let mut range = json!({ "format": "strict_date_optional_time||epoch_millis" });
        if let Some(f) = &from {
            range["gte"] = json!(f);
        }
        range["lte"] = json!(to.clone().unwrap_or_else(|| "now".into()));
        filter.push(json!({ "range": { time_field.clone(): range } }));
    }
    let body = json!({
        "size": size,
        "track_total_hits": true,
        "sort": [{ sort_by.clone(): { "order": order, "unmapped_type": "date" } }],
        "query": { "bool": { "must": [{ "query_string": { "query": query, "analyze_wildcard": true } }], "filter": filter } },
    });
    let k = kibana(ctx, None)?;
    let path_value = format!("{index}/_search");
    let req = k
        .request("POST", "/api/console/proxy", &[("path", Some(path_value)), ("method", Some("POST".into()))])
        .json_body(&body)?;
    let resp = k.send(req)?;
    let hits = resp.pointer("/hits/hits").and_then(Value::as_array).cloned().unwrap_or_default();
    let total =
        resp.pointer("/hits/total/value").or_else(|| resp.pointer("/hits/total")).cloned().unwrap_or(Value::Null);
    let raw = a.raw.unwrap_or(false);
    let mut levels = serde_json::Map::new();
    let mut times: Vec<String> = Vec::new();
    let rows: Vec<Value> = hits
        .iter()
        .map(|h| {
            let src = &h["_source"];
            let lvl = field(src, "log.level").or_else(|| field(src, "level")).cloned().unwrap_or(Value::Null);
            let key = lvl.as_str().unwrap_or("unknown").to_string();
            let n = levels.get(&key).and_then(Value::as_u64).unwrap_or(0) + 1;
            levels.insert(key, json!(n));
            let ts = field(src, &time_field).cloned().unwrap_or(Value::Null);
            if let Some(t) = ts.as_str() {
                times.push(t.to_string());
            }
            if raw {
                return json!({ "_index": h["_index"], "_id": h["_id"], "_source": src });
            }
            let msg =
                field(src, "message").or_else(|| field(src, "event.original")).and_then(Value::as_str).unwrap_or("");
            json!({
                "timestamp": ts, "level": lvl,
                "service": field(src, "service.name").or_else(|| field(src, "service")).cloned(),
                "message": clip(msg, MESSAGE_CHARS), "_id": h["_id"], "_index": h["_index"],
            })
        })
        .collect();
    times.sort();
    Output::json(&json!({
        "index": index,
        "query": query,
        "total": total,
        "returned": rows.len(),
        "size": size,
        "size_capped": requested > MAX_SIZE,
        "took_ms": resp["took"],
        "summary": {
            "levels": levels,
            "earliest": times.first(),
            "latest": times.last(),
        },
        "hits": rows,
    }))
}
