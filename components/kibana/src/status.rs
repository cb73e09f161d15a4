//! Kibana status (`GET /api/status`, Kibana docs: "Get Kibana's current status").

use crate::client::{Kibana, kibana, optional};
use crate::saved_objects::{COMMON_TYPES, Find, find};
use k8s_mcp_sdk::prelude::*;

fn status(k: &Kibana) -> Result<Value, ToolError> {
    k.global("GET", "/api/status", None)
}

/// `level` of a v8 status entry (`{level, summary}`).
fn level(v: &Value) -> Value {
    v.get("level").or_else(|| v.get("state")).cloned().unwrap_or(Value::Null)
}

fn plugin_counts(s: &Value) -> (Value, Vec<Value>) {
    let mut counts = serde_json::Map::new();
    let mut not_available = Vec::new();
    for (name, p) in s.pointer("/status/plugins").and_then(Value::as_object).into_iter().flatten() {
        let l = level(p).as_str().unwrap_or("unknown").to_string();
        let n = counts.get(&l).and_then(Value::as_u64).unwrap_or(0) + 1;
        counts.insert(l.clone(), json!(n));
        if l != "available" {
            not_available.push(json!({ "plugin": name, "level": l, "summary": p["summary"] }));
        }
    }
    (Value::Object(counts), not_available)
}

#[derive(Deserialize, JsonSchema)]
pub struct NoArgs {}

pub fn test_connection(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = kibana(ctx, None)?;
    let s = status(&k)?;
    Output::json(&json!({
        "connected": true,
        "name": s["name"],
        "version": s["version"]["number"],
        "overall": level(&s["status"]["overall"]),
        "space": k.space(),
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct StatusArgs {
    /// Return Kibana's full status document (all plugins and metrics).
    raw: Option<bool>,
}

pub fn get_status(a: StatusArgs, ctx: &Context) -> Result<Output, ToolError> {
    let k = kibana(ctx, None)?;
    let s = status(&k)?;
    if a.raw.unwrap_or(false) {
        return Output::json(&s);
    }
    let (counts, degraded) = plugin_counts(&s);
    Output::json(&json!({
        "name": s["name"], "uuid": s["uuid"], "version": s["version"],
        "overall": s["status"]["overall"], "core": s["status"]["core"],
        "plugins": { "by_level": counts, "not_available": degraded },
        "metrics": {
            "last_updated": s.pointer("/metrics/last_updated"),
            "concurrent_connections": s.pointer("/metrics/concurrent_connections"),
            "response_times": s.pointer("/metrics/response_times"),
        },
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct HealthArgs {
    /// `basic` (default) or `detailed` (adds plugins that are not available and metrics).
    level: Option<String>,
    /// Count saved objects per common type in the space.
    #[serde(alias = "includeSavedObjects")]
    include_saved_objects: Option<bool>,
    /// Kibana space for the saved-object counts (default: the configured one).
    space: Option<String>,
}

pub fn health_summary(a: HealthArgs, ctx: &Context) -> Result<Output, ToolError> {
    let detailed = match optional(&a.level).as_deref() {
        None | Some("basic") => false,
        Some("detailed") => true,
        Some(o) => return Err(ToolError::invalid(format!("`level` must be basic or detailed, got `{o}`"))),
    };
    let k = kibana(ctx, a.space.as_deref())?;
    let s = status(&k)?;
    let overall = level(&s["status"]["overall"]);
    let mut out = json!({
        "healthy": overall == json!("available") || overall == json!("green"),
        "version": s["version"]["number"],
        "overall": overall,
        "summary": s["status"]["overall"]["summary"],
        "elasticsearch": level(&s["status"]["core"]["elasticsearch"]),
        "savedObjects": level(&s["status"]["core"]["savedObjects"]),
        "level": if detailed { "detailed" } else { "basic" },
    });
    if detailed {
        let (counts, degraded) = plugin_counts(&s);
        out["plugins"] = json!({ "by_level": counts, "not_available": degraded });
        out["metrics"] = json!({
            "concurrent_connections": s.pointer("/metrics/concurrent_connections"),
            "response_times": s.pointer("/metrics/response_times"),
        });
    }
    if a.include_saved_objects.unwrap_or(false) {
        let mut counts = serde_json::Map::new();
        for t in COMMON_TYPES {
            let f = Find { types: vec![t.to_string()], page: 1, per_page: 1, ..Find::default() };
            counts.insert(t.to_string(), find(&k, &f)?["total"].clone());
        }
        out["saved_objects"] = json!({ "space": k.space(), "counts": counts });
    }
    Output::json(&out)
}
