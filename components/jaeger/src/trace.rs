//! Reading Jaeger traces (the query service's UI JSON model: `spans` with
//! `references`, `processes` keyed by `processID`) into compact views:
//! one-line trace summaries, span tables, self time, slowest spans and the
//! critical path (the chain of work that determined the trace's duration).

use crate::times::{ms, rfc3339};
use k8s_mcp_sdk::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct Span {
    pub id: String,
    pub parent: Option<String>,
    pub service: String,
    pub operation: String,
    pub start: i64,
    pub duration: i64,
    pub error: bool,
}

impl Span {
    fn end(&self) -> i64 {
        self.start + self.duration
    }
}

fn tag<'a>(tags: &'a Value, key: &str) -> Option<&'a Value> {
    tags.as_array()?.iter().find(|t| t["key"].as_str() == Some(key)).map(|t| &t["value"])
}

/// Error spans: `error=true`, OpenTelemetry status ERROR, or HTTP 5xx.
fn is_error(tags: &Value) -> bool {
    let truthy = |v: &Value| v.as_bool() == Some(true) || v.as_str() == Some("true");
    tag(tags, "error").is_some_and(truthy)
        || tag(tags, "otel.status_code").and_then(Value::as_str) == Some("ERROR")
        || tag(tags, "http.status_code")
            .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .is_some_and(|c| c >= 500)
}

pub fn spans(trace: &Value) -> Vec<Span> {
    let processes = &trace["processes"];
    trace["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let pid = s["processID"].as_str().unwrap_or("");
            let parent = s["references"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["refType"].as_str() == Some("CHILD_OF"))
                .or_else(|| s["references"].get(0))
                .and_then(|r| r["spanID"].as_str())
                .map(str::to_string);
            Span {
                id: s["spanID"].as_str().unwrap_or("").to_string(),
                parent,
                service: processes[pid]["serviceName"].as_str().unwrap_or("unknown").to_string(),
                operation: s["operationName"].as_str().unwrap_or("").to_string(),
                start: s["startTime"].as_i64().unwrap_or(0),
                duration: s["duration"].as_i64().unwrap_or(0),
                error: is_error(&s["tags"]),
            }
        })
        .collect()
}

/// The root: a span whose parent is not in the trace, earliest first.
fn root(spans: &[Span]) -> Option<&Span> {
    let ids: BTreeSet<&str> = spans.iter().map(|s| s.id.as_str()).collect();
    spans.iter().filter(|s| s.parent.as_deref().is_none_or(|p| !ids.contains(p))).min_by_key(|s| (s.start, -s.duration))
}

fn bounds(spans: &[Span]) -> (i64, i64) {
    let start = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let end = spans.iter().map(Span::end).max().unwrap_or(0);
    (start, end)
}

/// One line per trace.
pub fn summary(trace: &Value) -> Value {
    let spans = spans(trace);
    let (start, end) = bounds(&spans);
    let root = root(&spans);
    let services: BTreeSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    json!({
        "trace_id": trace["traceID"],
        "root_service": root.map(|r| r.service.clone()),
        "root_operation": root.map(|r| r.operation.clone()),
        "start": rfc3339(start),
        "duration_ms": ms(end - start),
        "spans": spans.len(),
        "services": services,
        "error_spans": spans.iter().filter(|s| s.error).count(),
    })
}

fn children(spans: &[Span]) -> HashMap<&str, Vec<usize>> {
    let mut map: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in spans.iter().enumerate() {
        if let Some(p) = &s.parent {
            map.entry(p.as_str()).or_default().push(i);
        }
    }
    map
}

/// Time of `span` not covered by any of its children.
fn self_time(span: &Span, kids: &[usize], spans: &[Span]) -> i64 {
    let mut iv: Vec<(i64, i64)> = kids
        .iter()
        .map(|&k| (spans[k].start.max(span.start), spans[k].end().min(span.end())))
        .filter(|(a, b)| b > a)
        .collect();
    iv.sort();
    let (mut covered, mut cur) = (0, None::<(i64, i64)>);
    for (a, b) in iv {
        match cur {
            Some((ca, cb)) if a <= cb => cur = Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                covered += cb - ca;
                cur = Some((a, b));
            }
            None => cur = Some((a, b)),
        }
    }
    if let Some((ca, cb)) = cur {
        covered += cb - ca;
    }
    (span.duration - covered).max(0)
}

/// Walk back from the end of `i`: the last-finishing child is on the path,
/// then the parent's own work until that child started, then the last child
/// that finished before then, and so on (the Jaeger UI's critical path; a
/// child outliving its parent is clipped to the parent's end).
fn critical(i: usize, bound: i64, spans: &[Span], kids: &HashMap<&str, Vec<usize>>, out: &mut Vec<(usize, i64, i64)>) {
    let span = &spans[i];
    let mut cursor = span.end().min(bound);
    let mut list: Vec<usize> = kids.get(span.id.as_str()).cloned().unwrap_or_default();
    list.sort_by_key(|&k| std::cmp::Reverse(spans[k].end()));
    let mut first = true;
    for k in list {
        let child = &spans[k];
        // After the first pick only children that finished before the
        // cursor can be on the path; overlapping ones were not waited for.
        if cursor <= span.start || child.start >= cursor || (!first && child.end() > cursor) {
            continue;
        }
        first = false;
        let child_end = child.end().min(cursor);
        if child_end < cursor {
            out.push((i, child_end, cursor));
        }
        critical(k, child_end, spans, kids, out);
        cursor = child.start.max(span.start);
    }
    if cursor > span.start {
        out.push((i, span.start, cursor));
    }
}

const MAX_TABLE: usize = 200;
const TOP: usize = 10;

/// Overview, span table, slowest spans (by self time) and critical path.
pub fn analyse(trace: &Value) -> Value {
    let spans = spans(trace);
    let (start, end) = bounds(&spans);
    let kids = children(&spans);
    let total = (end - start).max(1);
    let self_times: Vec<i64> =
        spans.iter().map(|s| self_time(s, kids.get(s.id.as_str()).map_or(&[][..], Vec::as_slice), &spans)).collect();
    let row = |i: usize| {
        let s = &spans[i];
        json!({
            "span_id": s.id,
            "parent_id": s.parent,
            "service": s.service,
            "operation": s.operation,
            "start_offset_ms": ms(s.start - start),
            "duration_ms": ms(s.duration),
            "self_ms": ms(self_times[i]),
            "error": s.error,
        })
    };
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start, spans[i].id.clone()));
    let mut slow: Vec<usize> = (0..spans.len()).collect();
    slow.sort_by_key(|&i| (std::cmp::Reverse(self_times[i]), std::cmp::Reverse(spans[i].duration)));

    let mut path = Vec::new();
    if let Some(r) = root(&spans).and_then(|r| spans.iter().position(|s| std::ptr::eq(s, r))) {
        critical(r, i64::MAX, &spans, &kids, &mut path);
    }
    path.reverse();
    let mut on_path: BTreeMap<usize, i64> = BTreeMap::new();
    for (i, a, b) in &path {
        *on_path.entry(*i).or_insert(0) += b - a;
    }
    let mut contributors: Vec<(usize, i64)> = on_path.into_iter().collect();
    contributors.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
    let mut segments: Vec<Value> = Vec::new();
    for (i, a, b) in path {
        let s = &spans[i];
        if let Some(last) = segments.last_mut()
            && last["span_id"] == json!(s.id)
        {
            last["duration_ms"] = json!(last["duration_ms"].as_f64().unwrap_or(0.0) + ms(b - a));
            continue;
        }
        segments.push(json!({
            "span_id": s.id, "service": s.service, "operation": s.operation,
            "start_offset_ms": ms(a - start), "duration_ms": ms(b - a),
        }));
    }
    let mut services: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in &spans {
        let e = services.entry(s.service.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(s.error);
    }
    let mut out = summary(trace);
    out["services"] = json!(
        services.iter().map(|(k, (n, e))| json!({"service": k, "spans": n, "error_spans": e})).collect::<Vec<_>>()
    );
    out["slowest_spans"] = json!(slow.iter().take(TOP).map(|&i| row(i)).collect::<Vec<_>>());
    out["critical_path"] = json!({
        "contributors": contributors.iter().take(TOP).map(|&(i, t)| {
            json!({
                "span_id": spans[i].id, "service": spans[i].service, "operation": spans[i].operation,
                "on_path_ms": ms(t), "percent": ((t as f64 / total as f64) * 1000.0).round() / 10.0,
            })
        }).collect::<Vec<_>>(),
        "segments": segments.into_iter().take(50).collect::<Vec<_>>(),
    });
    out["span_table_truncated"] = json!(spans.len() > MAX_TABLE);
    out["span_table"] = json!(order.iter().take(MAX_TABLE).map(|&i| row(i)).collect::<Vec<_>>());
    if let Some(w) = trace.get("warnings").filter(|w| !w.is_null()) {
        out["warnings"] = w.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, start: i64, duration: i64) -> Value {
        let refs = parent.map_or(json!([]), |p| json!([{ "refType": "CHILD_OF", "spanID": p }]));
        json!({ "spanID": id, "operationName": id, "references": refs, "startTime": start, "duration": duration,
                "processID": "p1", "tags": [] })
    }

    #[test]
    fn critical_path_follows_the_last_finishing_child() {
        // root 0..100; a 10..40 and b 20..90 overlap; c 30..80 inside b.
        let trace = json!({ "traceID": "t", "processes": { "p1": { "serviceName": "svc" } }, "spans": [
            span("root", None, 0, 100), span("a", Some("root"), 10, 30), span("b", Some("root"), 20, 70),
            span("c", Some("b"), 30, 50),
        ]});
        let a = analyse(&trace);
        let on_path: BTreeMap<String, f64> = a["critical_path"]["contributors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["span_id"].as_str().unwrap().to_string(), c["on_path_ms"].as_f64().unwrap()))
            .collect();
        // root 90..100 and 0..20, b 80..90 and 20..30, c 30..80; a is hidden behind b.
        assert_eq!(on_path["root"], 0.03);
        assert_eq!(on_path["b"], 0.02);
        assert_eq!(on_path["c"], 0.05);
        assert!(!on_path.contains_key("a"));
        let self_ms: BTreeMap<String, f64> = a["span_table"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["span_id"].as_str().unwrap().to_string(), r["self_ms"].as_f64().unwrap()))
            .collect();
        assert_eq!(self_ms["root"], 0.02); // 100 minus the union 10..90
        assert_eq!(self_ms["b"], 0.02);
        assert_eq!(a["slowest_spans"][0]["span_id"], "c");
    }

    #[test]
    fn errors_and_roots_are_found() {
        let mut failing = span("x", Some("missing-parent"), 5, 10);
        failing["tags"] = json!([{ "key": "http.status_code", "type": "int64", "value": 503 }]);
        let trace = json!({ "traceID": "t", "processes": { "p1": { "serviceName": "svc" } }, "spans": [failing] });
        let s = summary(&trace);
        assert_eq!(s["root_operation"], "x");
        assert_eq!(s["error_spans"], 1);
    }
}
