//! Query evaluation for the stub's `_search` and `_count`: a small subset of
//! the query DSL (match_all, match, term, terms, range, exists, bool,
//! query_string) and of URI search (`q`), with Elasticsearch 8's answers
//! and errors (`parsing_exception` for an unknown query, the result-window
//! check, `terms` aggregations).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::data::Index;

/// An Elasticsearch error: (HTTP status, type, reason).
pub type EsError = (u16, &'static str, String);

fn field<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    doc.get(path).or_else(|| path.split('.').try_fold(doc, |v, k| v.get(k)))
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string(),
    }
}

/// Analysed-text match: any query word occurs as a word of the field.
fn text_match(v: Option<&Value>, query: &str) -> bool {
    let Some(v) = v else { return false };
    let words: Vec<String> = as_text(v).split(|c: char| !c.is_alphanumeric()).map(str::to_string).collect();
    query.to_lowercase().split_whitespace().any(|q| words.iter().any(|w| w == q))
}

fn all_fields_match(doc: &Value, q: &str) -> bool {
    fn walk(v: &Value, q: &str) -> bool {
        match v {
            Value::Object(m) => m.values().any(|x| walk(x, q)),
            other => text_match(Some(other), q),
        }
    }
    walk(doc, q)
}

fn cmp(v: &Value, bound: &Value) -> Option<std::cmp::Ordering> {
    match (v.as_f64(), bound.as_f64()) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(as_text(v).cmp(&as_text(bound))),
    }
}

/// `level:error AND service:payments`, `timeout`, `http.status:504`.
fn query_string(doc: &Value, q: &str) -> bool {
    q.split(" AND ").all(|clause| match clause.trim().split_once(':') {
        Some((f, v)) => field(doc, f).is_some_and(|x| text_match(Some(x), v.trim_matches('"'))),
        None => clause.trim() == "*" || all_fields_match(doc, clause.trim()),
    })
}

fn single(clause: &Value) -> Result<(&String, &Value), EsError> {
    let obj = clause.as_object().filter(|o| o.len() == 1).ok_or((
        400,
        "parsing_exception",
        "[_na] query malformed, must start with start_object".to_string(),
    ))?;
    Ok(obj.iter().next().expect("one entry"))
}

pub fn matches(doc: &Value, query: &Value) -> Result<bool, EsError> {
    let (kind, body) = single(query)?;
    let first = || body.as_object().and_then(|o| o.iter().next());
    Ok(match kind.as_str() {
        "match_all" => true,
        "match" | "match_phrase" => match first() {
            Some((f, v)) => {
                text_match(field(doc, f), v.get("query").and_then(Value::as_str).or(v.as_str()).unwrap_or(""))
            }
            None => false,
        },
        "term" => match first() {
            Some((f, v)) => {
                let want = v.get("value").unwrap_or(v);
                field(doc, f).is_some_and(|x| x == want)
            }
            None => false,
        },
        "terms" => match first() {
            Some((f, Value::Array(vs))) => field(doc, f).is_some_and(|x| vs.contains(x)),
            _ => false,
        },
        "exists" => body.get("field").and_then(Value::as_str).is_some_and(|f| field(doc, f).is_some()),
        "range" => match first() {
            Some((f, bounds)) => field(doc, f).is_some_and(|x| {
                use std::cmp::Ordering::*;
                bounds.as_object().into_iter().flatten().all(|(op, b)| match (op.as_str(), cmp(x, b)) {
                    ("gte", Some(o)) => o != Less,
                    ("gt", Some(o)) => o == Greater,
                    ("lte", Some(o)) => o != Greater,
                    ("lt", Some(o)) => o == Less,
                    _ => true,
                })
            }),
            None => false,
        },
        "query_string" => query_string(doc, body.get("query").and_then(Value::as_str).unwrap_or("")),
        "bool" => {
            let list = |k: &str| -> Vec<Value> {
                match body.get(k) {
                    Some(Value::Array(a)) => a.clone(),
                    Some(v @ Value::Object(_)) => vec![v.clone()],
                    _ => vec![],
                }
            };
            let mut ok = true;
            for c in list("must").iter().chain(list("filter").iter()) {
                ok &= matches(doc, c)?;
            }
            for c in list("must_not") {
                ok &= !matches(doc, &c)?;
            }
            let should = list("should");
            if !should.is_empty() && list("must").is_empty() && list("filter").is_empty() {
                let mut any = false;
                for c in &should {
                    any |= matches(doc, c)?;
                }
                ok &= any;
            }
            ok
        }
        other => return Err((400, "parsing_exception", format!("unknown query [{other}]"))),
    })
}

/// Documents of `indices` matching `q` (URI search) or the body's query.
pub fn hits<'a>(indices: &[&'a Index], q: Option<&str>, body: &Value) -> Result<Vec<(&'a Index, usize)>, EsError> {
    let query = body.get("query");
    let mut out = Vec::new();
    for index in indices {
        for (i, doc) in index.docs.iter().enumerate() {
            let ok = match (q, query) {
                (Some(q), _) => query_string(doc, q),
                (None, Some(query)) => matches(doc, query)?,
                (None, None) => true,
            };
            if ok {
                out.push((*index, i));
            }
        }
    }
    Ok(out)
}

fn sort_keys(body: &Value) -> Vec<(String, bool)> {
    let one = |v: &Value| -> Option<(String, bool)> {
        match v {
            Value::String(f) => Some((f.clone(), false)),
            Value::Object(o) => o.iter().next().map(|(f, spec)| {
                let order = spec.get("order").and_then(Value::as_str).or(spec.as_str()).unwrap_or("asc");
                (f.clone(), order == "desc")
            }),
            _ => None,
        }
    };
    match body.get("sort") {
        Some(Value::Array(a)) => a.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => vec![],
    }
}

fn source(doc: &Value, body: &Value) -> Value {
    match body.get("_source") {
        Some(Value::Array(fields)) => {
            let mut out = serde_json::Map::new();
            for f in fields.iter().filter_map(Value::as_str) {
                if let Some(v) = field(doc, f) {
                    out.insert(f.to_string(), v.clone());
                }
            }
            Value::Object(out)
        }
        Some(Value::Bool(false)) => Value::Null,
        _ => doc.clone(),
    }
}

fn aggregations(found: &[(&Index, usize)], aggs: &Value) -> Result<Value, EsError> {
    let mut out = serde_json::Map::new();
    for (name, spec) in aggs.as_object().into_iter().flatten() {
        let Some(terms) = spec.get("terms") else {
            let kind = spec.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
            return Err((
                400,
                "x_content_parse_exception",
                format!("[1:1] unknown aggregation type [{kind}] for [{name}]"),
            ));
        };
        let f = terms.get("field").and_then(Value::as_str).unwrap_or("");
        let size = terms.get("size").and_then(Value::as_u64).unwrap_or(10) as usize;
        let mut counts: BTreeMap<String, (Value, u64)> = BTreeMap::new();
        for (index, i) in found {
            if let Some(v) = field(&index.docs[*i], f) {
                counts.entry(v.to_string()).or_insert((v.clone(), 0)).1 += 1;
            }
        }
        let mut buckets: Vec<(Value, u64)> = counts.into_values().collect();
        buckets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.to_string().cmp(&b.0.to_string())));
        let other: u64 = buckets.iter().skip(size).map(|b| b.1).sum();
        let list: Vec<Value> =
            buckets.into_iter().take(size).map(|(k, n)| json!({ "key": k, "doc_count": n })).collect();
        out.insert(
            name.clone(),
            json!({ "doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": list }),
        );
    }
    Ok(Value::Object(out))
}

pub fn search(
    indices: &[&Index],
    q: Option<&str>,
    body: &Value,
    params: &[(String, String)],
) -> Result<Value, EsError> {
    let param = |k: &str| k8s_mcp_stubs::first(params, k).and_then(|v| v.parse::<u64>().ok());
    let size = body.get("size").and_then(Value::as_u64).or(param("size")).unwrap_or(10);
    let from = body.get("from").and_then(Value::as_u64).or(param("from")).unwrap_or(0);
    if from + size > 10_000 {
        return Err((
            400,
            "illegal_argument_exception",
            format!(
                "Result window is too large, from + size must be less than or equal to: [10000] but was [{}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.",
                from + size
            ),
        ));
    }
    let mut found = hits(indices, q, body)?;
    for (f, desc) in sort_keys(body).into_iter().rev() {
        found.sort_by(|a, b| {
            let (x, y) = (field(&a.0.docs[a.1], &f), field(&b.0.docs[b.1], &f));
            let o = x.map(as_text).cmp(&y.map(as_text));
            if desc { o.reverse() } else { o }
        });
    }
    let sorted = body.get("sort").is_some();
    let page: Vec<Value> = found
        .iter()
        .skip(from as usize)
        .take(size as usize)
        .map(|(index, i)| {
            json!({
                "_index": index.name,
                "_id": format!("{}-{i}", &index.uuid[..6]),
                "_score": if sorted { Value::Null } else { json!(1.0) },
                "_source": source(&index.docs[*i], body),
            })
        })
        .collect();
    let mut answer = json!({
        "took": 2,
        "timed_out": false,
        "_shards": { "total": indices.len(), "successful": indices.len(), "skipped": 0, "failed": 0 },
        "hits": {
            "total": { "value": found.len(), "relation": "eq" },
            "max_score": if page.is_empty() || sorted { Value::Null } else { json!(1.0) },
            "hits": page,
        },
    });
    if let Some(aggs) = body.get("aggs").or_else(|| body.get("aggregations")) {
        answer["aggregations"] = aggregations(&found, aggs)?;
    }
    Ok(answer)
}
