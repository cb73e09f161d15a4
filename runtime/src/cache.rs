//! Result cache for read-only tools (moka). Entries live for the TTL their
//! component's policy gives the tool; the key holds the tenant, the caller
//! (subject, the credential it used and its roles: what decides what it may
//! see), the tool and the canonical (key-sorted) arguments, so no two
//! callers, credentials, role sets or argument sets ever share an entry.

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

/// The caller a cached result was computed for. `None` in a key: the
/// local (stdio) user.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub subject: &'a str,
    /// The credential's stable name (API key, user, JWT issuer and subject)
    /// and how it was checked.
    pub credential: &'a str,
    pub method: &'a str,
    /// The caller's roles: they decide the tools it may call and, with
    /// impersonation, what the cluster shows it. Order does not matter.
    pub roles: &'a [String],
}

impl ResultCache {
    /// A key that no other tenant, caller, credential, role set, tool or
    /// argument set shares: the parts are JSON-encoded (so no separator can
    /// be forged inside a value), then the canonical arguments.
    pub fn key(tenant: &str, caller: Option<Caller<'_>>, tool: &str, arguments: &Map<String, Value>) -> String {
        let caller = caller.map(|c| {
            let mut roles: Vec<&str> = c.roles.iter().map(String::as_str).collect();
            roles.sort_unstable();
            roles.dedup();
            serde_json::json!([c.subject, c.method, c.credential, roles])
        });
        let mut key = serde_json::json!([tenant, caller, tool]).to_string();
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

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    fn caller<'a>(subject: &'a str, credential: &'a str, roles: &'a [String]) -> Option<Caller<'a>> {
        Some(Caller { subject, credential, method: "api_key", roles })
    }

    #[test]
    fn key_ignores_argument_order_but_not_values_tenant_or_caller() {
        let a = ResultCache::key("t", None, "x", &obj(json!({"a": 1, "b": {"d": 2, "c": 3}})));
        let b = ResultCache::key("t", None, "x", &obj(json!({"b": {"c": 3, "d": 2}, "a": 1})));
        assert_eq!(a, b);
        assert_ne!(a, ResultCache::key("t", None, "x", &obj(json!({"a": 2, "b": {"c": 3, "d": 2}}))));
        assert_ne!(a, ResultCache::key("u", None, "x", &obj(json!({"a": 1, "b": {"c": 3, "d": 2}}))));
        let none = roles(&[]);
        assert_ne!(
            a,
            ResultCache::key("t", caller("bob", "k", &none), "x", &obj(json!({"a": 1, "b": {"c": 3, "d": 2}})))
        );
    }

    #[test]
    fn one_subject_with_other_roles_does_not_share_an_entry() {
        let (ops, viewer) = (roles(&["ops", "viewer"]), roles(&["viewer"]));
        let args = obj(json!({"q": "up"}));
        let key = |c| ResultCache::key("t", c, "svc_read", &args);
        assert_ne!(key(caller("alice", "jwt:iss:alice", &ops)), key(caller("alice", "jwt:iss:alice", &viewer)));
    }

    #[test]
    fn one_subject_with_another_credential_does_not_share_an_entry() {
        let viewer = roles(&["viewer"]);
        let args = obj(json!({"q": "up"}));
        let key = |c| ResultCache::key("t", c, "svc_read", &args);
        assert_ne!(key(caller("alice", "apikey:one", &viewer)), key(caller("alice", "apikey:two", &viewer)));
    }

    #[test]
    fn the_order_of_roles_does_not_matter() {
        let (a, b) = (roles(&["ops", "viewer"]), roles(&["viewer", "ops", "ops"]));
        let args = obj(json!({}));
        assert_eq!(
            ResultCache::key("t", caller("alice", "k", &a), "x", &args),
            ResultCache::key("t", caller("alice", "k", &b), "x", &args)
        );
    }

    #[test]
    fn no_value_can_forge_another_callers_key() {
        let none = roles(&[]);
        let args = obj(json!({}));
        // Joined with a separator, both would read `a␀b␀c`.
        let forged = ResultCache::key("t", caller("a\u{0}b", "c", &none), "x", &args);
        assert_ne!(forged, ResultCache::key("t", caller("a", "b\u{0}c", &none), "x", &args));
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
