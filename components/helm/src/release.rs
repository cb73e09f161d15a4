//! Helm 3 release records, read without a helm binary: the runtime hands
//! over the Secrets (`sh.helm.release.v1.<name>.v<N>`) Helm stores releases
//! in, and this module decodes them (base64, gzip, JSON) and picks latest
//! revisions, histories and single revisions.

use base64::Engine as _;
use k8s_mcp_sdk::helm;
use k8s_mcp_sdk::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;

pub type R<T> = Result<T, ToolError>;

/// Largest decoded release accepted (Helm itself caps Secrets at 1 MiB encoded).
const MAX_DECODED: u64 = 64 * 1024 * 1024;

/// One stored revision, decoded lazily.
#[derive(Debug, Clone)]
pub struct Entry {
    pub namespace: String,
    pub name: String,
    pub version: i64,
    pub status: String,
    pub labels: BTreeMap<String, String>,
    blob: String,
}

#[derive(Deserialize)]
struct Wire {
    namespace: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    release: String,
}

impl Entry {
    /// The full release record as Helm wrote it.
    pub fn decode(&self) -> R<Value> {
        decode(&self.blob).map_err(|e| {
            ToolError::upstream(format!(
                "release {}/{} v{}: cannot decode: {e}",
                self.namespace, self.name, self.version
            ))
        })
    }
}

/// base64 (standard), then gzip when the magic bytes say so, then JSON.
pub fn decode(blob: &str) -> Result<Value, String> {
    let raw = base64::engine::general_purpose::STANDARD.decode(blob.trim()).map_err(|e| format!("base64: {e}"))?;
    let json = if raw.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .take(MAX_DECODED + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("gzip: {e}"))?;
        if out.len() as u64 > MAX_DECODED {
            return Err(format!("larger than {MAX_DECODED} bytes"));
        }
        out
    } else {
        raw
    };
    serde_json::from_slice(&json).map_err(|e| format!("JSON: {e}"))
}

/// Every stored revision matching `namespace` (none: all permitted) and an
/// optional extra label selector (e.g. `name=web`).
/// `latest_only`: only the newest revision of each release.
pub fn entries(namespace: Option<&str>, selector: Option<&str>, latest_only: bool) -> R<Vec<Entry>> {
    let text = helm::release_secrets(namespace.filter(|n| !n.is_empty()), selector, latest_only)?;
    let wire: Vec<Wire> = serde_json::from_str(&text)?;
    let mut out: Vec<Entry> = wire
        .into_iter()
        .filter_map(|w| {
            let name = w.labels.get("name")?.clone();
            let version = w.labels.get("version")?.parse().ok()?;
            let status = w.labels.get("status").cloned().unwrap_or_default();
            Some(Entry { namespace: w.namespace, name, version, status, labels: w.labels, blob: w.release })
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.name, a.version).cmp(&(&b.namespace, &b.name, b.version)));
    Ok(out)
}

/// The newest revision of each release, sorted by namespace and name.
pub fn latest(entries: Vec<Entry>) -> Vec<Entry> {
    let mut by: BTreeMap<(String, String), Entry> = BTreeMap::new();
    for e in entries {
        let key = (e.namespace.clone(), e.name.clone());
        match by.get(&key) {
            Some(have) if have.version >= e.version => {}
            _ => {
                by.insert(key, e);
            }
        }
    }
    by.into_values().collect()
}

/// Releases (newest revision each); uninstalled ones (kept history) only
/// when asked for.
pub fn releases(namespace: Option<&str>, selector: Option<&str>, with_uninstalled: bool) -> R<Vec<Entry>> {
    Ok(latest(entries(namespace, selector, true)?)
        .into_iter()
        .filter(|e| with_uninstalled || e.status != "uninstalled")
        .collect())
}

/// All revisions of one release, oldest first.
pub fn history(name: &str, namespace: &str) -> R<Vec<Entry>> {
    check_name(name)?;
    let all = entries(Some(namespace), Some(&format!("name={name}")), false)?;
    if all.is_empty() {
        return Err(ToolError::not_found(format!("release `{name}` not found in namespace `{namespace}`")));
    }
    Ok(all)
}

/// One revision (none: the newest), decoded.
pub fn get(name: &str, namespace: &str, revision: Option<i64>) -> R<(Entry, Value)> {
    let all = history(name, namespace)?;
    let entry = match revision {
        Some(r) => all.into_iter().find(|e| e.version == r).ok_or_else(|| {
            ToolError::not_found(format!("release `{name}` in namespace `{namespace}` has no revision {r}"))
        })?,
        None => all.into_iter().max_by_key(|e| e.version).expect("history is never empty"),
    };
    let value = entry.decode()?;
    Ok((entry, value))
}

/// Release names as Helm allows them; anything else cannot exist.
pub fn check_name(name: &str) -> R<()> {
    let ok = !name.is_empty()
        && name.len() <= 53
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!("`{name}` is not a valid release name (lower-case letters, digits, '-', '.')")))
    }
}

/// `chart-version` as `helm list` shows it.
pub fn chart_label(rel: &Value) -> String {
    let m = &rel["chart"]["metadata"];
    format!("{}-{}", m["name"].as_str().unwrap_or("?"), m["version"].as_str().unwrap_or("?"))
}

pub fn str_of<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

/// The compact view `helm list` gives of a release.
pub fn list_item(e: &Entry, rel: &Value) -> Value {
    json!({
        "name": e.name,
        "namespace": e.namespace,
        "revision": e.version,
        "status": str_of(rel, "/info/status"),
        "updated": str_of(rel, "/info/last_deployed"),
        "chart": chart_label(rel),
        "chartName": str_of(rel, "/chart/metadata/name"),
        "chartVersion": str_of(rel, "/chart/metadata/version"),
        "appVersion": str_of(rel, "/chart/metadata/appVersion"),
        "description": str_of(rel, "/info/description"),
    })
}

/// User-supplied values, or (all) chart defaults coalesced with them the
/// way Helm does: maps merge recursively, user values win, `null` deletes.
pub fn values(rel: &Value, all: bool) -> Value {
    let config = match &rel["config"] {
        Value::Object(_) => rel["config"].clone(),
        _ => json!({}),
    };
    if !all {
        return config;
    }
    let mut base = match &rel["chart"]["values"] {
        Value::Object(_) => rel["chart"]["values"].clone(),
        _ => json!({}),
    };
    coalesce(&mut base, &config);
    base
}

fn coalesce(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else if let Some(existing) = b.get_mut(k)
                    && existing.is_object()
                    && v.is_object()
                {
                    coalesce(existing, v);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

const MASK: &str = "***REDACTED***";

/// The manifest with the values of every Secret masked, as the `kube`
/// capability masks Secrets by default; other documents are left as written.
pub fn mask_secrets(manifest: &str) -> String {
    let mut out = String::with_capacity(manifest.len());
    let mut doc = String::new();
    for line in manifest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            out.push_str(&mask_doc(&doc));
            doc.clear();
            out.push_str(line);
        } else {
            doc.push_str(line);
        }
    }
    out.push_str(&mask_doc(&doc));
    out
}

fn mask_doc(doc: &str) -> String {
    let secret =
        doc.lines().any(|l| l.strip_prefix("kind:").is_some_and(|k| k.trim().trim_matches(['"', '\'']) == "Secret"));
    if !secret {
        return doc.to_string();
    }
    let comments: String = doc.lines().take_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    let masked = serde_saphyr::from_str::<Value>(doc).ok().and_then(|mut v| {
        for field in ["data", "stringData"] {
            if let Some(map) = v.get_mut(field).and_then(Value::as_object_mut) {
                map.values_mut().for_each(|x| *x = json!(MASK));
            }
        }
        serde_saphyr::to_string(&v).ok()
    });
    // Never hand out a Secret that could not be parsed and masked.
    comments + &masked.unwrap_or_else(|| "# a Secret whose values are masked\n".into())
}

/// One object of a rendered manifest: `(kind, apiVersion, name, namespace)`.
pub type ManifestObject = (String, String, String, Option<String>);

/// Objects of a rendered manifest, in order.
pub fn manifest_objects(manifest: &str) -> R<Vec<ManifestObject>> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(manifest)
        .map_err(|e| ToolError::upstream(format!("release manifest is not valid YAML: {e}")))?;
    Ok(docs
        .iter()
        .filter(|d| d.is_object() && d["kind"].is_string())
        .map(|d| {
            (
                str_of(d, "/kind").to_string(),
                str_of(d, "/apiVersion").to_string(),
                str_of(d, "/metadata/name").to_string(),
                d.pointer("/metadata/namespace").and_then(Value::as_str).map(String::from),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn encode(json: &Value) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(json.to_string().as_bytes()).unwrap();
        base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
    }

    fn entry(name: &str, version: i64) -> Entry {
        Entry {
            namespace: "ns".into(),
            name: name.into(),
            version,
            status: "deployed".into(),
            labels: BTreeMap::new(),
            blob: encode(&json!({"name": name, "version": version})),
        }
    }

    #[test]
    fn records_decode_from_base64_gzip_json() {
        let rel = json!({"name": "web", "version": 3, "info": {"status": "deployed"}});
        assert_eq!(decode(&encode(&rel)).unwrap(), rel);
        // older records may be stored without compression
        let plain = base64::engine::general_purpose::STANDARD.encode(rel.to_string());
        assert_eq!(decode(&plain).unwrap(), rel);
        assert!(decode("not base64!").unwrap_err().starts_with("base64"));
        let truncated = base64::engine::general_purpose::STANDARD.encode([0x1f, 0x8b, 0x08, 0, 0]);
        assert!(decode(&truncated).unwrap_err().starts_with("gzip"));
    }

    #[test]
    fn latest_keeps_the_newest_revision_of_each_release() {
        let picked = latest(vec![entry("a", 1), entry("b", 2), entry("a", 3), entry("a", 2)]);
        let got: Vec<(String, i64)> = picked.iter().map(|e| (e.name.clone(), e.version)).collect();
        assert_eq!(got, vec![("a".to_string(), 3), ("b".to_string(), 2)]);
        assert_eq!(picked[0].decode().unwrap()["version"], 3);
    }

    #[test]
    fn manifest_objects_are_listed_in_order() {
        let m = "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n  namespace: other\n";
        let objs = manifest_objects(m).unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0], ("ConfigMap".into(), "v1".into(), "a".into(), None));
        assert_eq!(objs[1].3.as_deref(), Some("other"));
        assert!(manifest_objects("a: [unclosed").is_err());
    }

    #[test]
    fn secret_values_are_masked_in_manifests() {
        let m = "---\n# Source: c/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: visible\n---\n# Source: c/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\ndata:\n  token: aHVudGVyMg==\n";
        let masked = mask_secrets(m);
        assert!(masked.contains("k: visible") && masked.contains("# Source: c/secret.yaml"), "{masked}");
        assert!(!masked.contains("hunter2") && !masked.contains("aHVudGVyMg=="), "{masked}");
        assert_eq!(masked.matches(MASK).count(), 2);
        assert_eq!(manifest_objects(&masked).unwrap().len(), 2);
        let broken = "kind: Secret\ndata: [password: hunter2\n";
        assert!(!mask_secrets(broken).contains("hunter2"));
        assert_eq!(mask_secrets("kind: ConfigMap\n"), "kind: ConfigMap\n");
    }

    #[test]
    fn values_coalesce_like_helm() {
        let rel = json!({"config": {"a": {"b": 2}, "c": null, "e": [1]},
                         "chart": {"values": {"a": {"b": 1, "x": 0}, "c": 3, "d": 4, "e": [0, 0]}}});
        assert_eq!(values(&rel, false), json!({"a": {"b": 2}, "c": null, "e": [1]}));
        assert_eq!(values(&rel, true), json!({"a": {"b": 2, "x": 0}, "d": 4, "e": [1]}));
    }
}
