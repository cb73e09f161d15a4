//! Result cache for read-only tools (moka). Entries live for the TTL their
//! component's policy gives the tool; the key holds the tenant, the caller,
//! the tool and the canonical (key-sorted) arguments, so no two callers or
//! argument sets ever share an entry.

use crate::sandbox::CallOutput;
use moka::Expiry;
use moka::future::Cache;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

const MAX_ENTRIES: u64 = 10_000;

#[derive(Clone)]
struct Entry {
    output: CallOutput,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Entry, _now: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

pub struct ResultCache {
    entries: Cache<String, Entry>,
}

impl Default for ResultCache {
    fn default() -> Self {
        Self { entries: Cache::builder().max_capacity(MAX_ENTRIES).expire_after(PerEntryTtl).build() }
    }
}

impl ResultCache {
    pub fn key(tenant: &str, caller: Option<&str>, tool: &str, arguments: &Map<String, Value>) -> String {
        let mut key = format!("{tenant}\u{0}{}\u{0}{tool}\u{0}", caller.unwrap_or(""));
        canonical(&Value::Object(arguments.clone()), &mut key);
        key
    }

    pub async fn get(&self, key: &str) -> Option<CallOutput> {
        self.entries.get(key).await.map(|e| e.output)
    }

    pub async fn insert(&self, key: String, output: CallOutput, ttl: Duration) {
        self.entries.insert(key, Entry { output, ttl }).await;
    }
}

/// JSON with object keys sorted, whatever the map's iteration order.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Block;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn key_ignores_argument_order_but_not_values_tenant_or_caller() {
        let a = ResultCache::key("t", None, "x", &obj(json!({"a": 1, "b": {"d": 2, "c": 3}})));
        let b = ResultCache::key("t", None, "x", &obj(json!({"b": {"c": 3, "d": 2}, "a": 1})));
        assert_eq!(a, b);
        assert_ne!(a, ResultCache::key("t", None, "x", &obj(json!({"a": 2, "b": {"c": 3, "d": 2}}))));
        assert_ne!(a, ResultCache::key("u", None, "x", &obj(json!({"a": 1, "b": {"c": 3, "d": 2}}))));
        assert_ne!(a, ResultCache::key("t", Some("bob"), "x", &obj(json!({"a": 1, "b": {"c": 3, "d": 2}}))));
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl() {
        let cache = ResultCache::default();
        let out = CallOutput { content: vec![Block::Text("x".into())], structured: None, is_error: false };
        cache.insert("k".into(), out.clone(), Duration::from_millis(50)).await;
        assert_eq!(cache.get("k").await, Some(out));
        let deadline = Instant::now() + Duration::from_secs(5);
        while cache.get("k").await.is_some() {
            assert!(Instant::now() < deadline, "entry never expired");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
