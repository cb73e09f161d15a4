//! Per-component policy: the manifest beside each `.wasm` (document), compiled
//! into limits and an egress allowlist that the sandbox consults per call.

pub mod backend;
pub mod egress;
pub mod grants;
pub mod net;
pub mod secrets;

use crate::config::{LimitsDocument, parse_toml};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub use egress::{Denial, EgressPolicy, HostRule, RuleError};
pub use grants::{Grant, Grants};
pub use secrets::{ComponentSettings, redact};

/// Defaults for a component without a manifest: no network, modest limits.
pub const DEFAULT_FUEL: u64 = 1_000_000_000;
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
pub const DEFAULT_MEMORY_MB: u64 = 64;
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1024 * 1024;
const MAX_MEMORY_MB: u64 = 4096;

/// `<name>.policy.toml` as written by the component author or operator.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Service name; tools are exposed as `<name>_<tool>`. Defaults to the file stem.
    pub name: Option<String>,
    #[serde(default)]
    pub limits: LimitsDocument,
    #[serde(default)]
    pub http: HttpDocument,
    /// Non-secret default settings handed to the component.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Per-tool overrides (keyed by the component-local tool name).
    #[serde(default)]
    pub tools: BTreeMap<String, ToolPolicyDocument>,
    /// The backend service this component talks to, if any.
    pub backend: Option<BackendDocument>,
    #[serde(default)]
    pub cache: CacheDocument,
    /// Host capabilities the component asks for (`config`, `log`,
    /// `progress`, `http`, `kube`, `helm`). A request only narrows what the
    /// operator grants; absent: everything granted.
    pub capabilities: Option<Vec<String>>,
}

/// How a component finds its backend. Configuring the backend's URL (in the
/// config file or through `env`) grants egress to exactly that origin.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendDocument {
    /// Setting holding the backend base URL (comma-separated for several).
    pub url_setting: String,
    /// Settings read from environment variables at start-up: `setting = "VAR"`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Secrets read from environment variables at start-up: `secret = "VAR"`.
    #[serde(default)]
    pub secret_env: BTreeMap<String, String>,
}

/// Result caching for read-only tools.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheDocument {
    /// Time to live of cached results of read-only tools; 0 or absent: no caching.
    pub ttl_ms: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpDocument {
    /// `scheme://host[:port][/path-prefix]`; host may be `*.example.com` or `*`.
    #[serde(default)]
    pub allow: Vec<String>,
    pub max_request_bytes: Option<u64>,
    pub max_response_bytes: Option<u64>,
    pub timeout_ms: Option<u64>,
    /// Retries of GET/HEAD on connection errors and 502/503/504 (default 2).
    pub retries: Option<u32>,
    /// Consecutive failures that open the circuit breaker (default 5; 0 disables).
    pub breaker_failures: Option<u32>,
    pub breaker_cooldown_ms: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolPolicyDocument {
    #[serde(default)]
    pub limits: LimitsDocument,
    /// Overrides `cache.ttl_ms` for this tool (0 disables caching).
    pub cache_ttl_ms: Option<u64>,
}

impl LimitsDocument {
    /// Overlay these overrides on `base`; `key` names the section in errors.
    pub fn apply(&self, base: Limits, key: &str) -> Result<Limits> {
        base.overlay(self, key)
    }
}

/// Resource limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub fuel: u64,
    pub timeout: Duration,
    pub memory_bytes: usize,
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: DEFAULT_FUEL,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            memory_bytes: (DEFAULT_MEMORY_MB * 1024 * 1024) as usize,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
        }
    }
}

impl Limits {
    /// Apply a document's overrides on top of `self`, validating each key.
    fn overlay(mut self, doc: &LimitsDocument, key: &str) -> Result<Self> {
        if let Some(fuel) = doc.fuel {
            if fuel == 0 {
                return Err(Error::invalid(format!("{key}.fuel"), "must be greater than 0"));
            }
            self.fuel = fuel;
        }
        if let Some(ms) = doc.timeout_ms {
            if ms == 0 || ms > 24 * 3600 * 1000 {
                return Err(Error::invalid(format!("{key}.timeout_ms"), "must be between 1 and 86400000"));
            }
            self.timeout = Duration::from_millis(ms);
        }
        if let Some(mb) = doc.memory_mb {
            if mb == 0 || mb > MAX_MEMORY_MB {
                return Err(Error::invalid(
                    format!("{key}.memory_mb"),
                    format!("must be between 1 and {MAX_MEMORY_MB}"),
                ));
            }
            self.memory_bytes = (mb * 1024 * 1024) as usize;
        }
        if let Some(n) = doc.max_output_bytes {
            if n == 0 {
                return Err(Error::invalid(format!("{key}.max_output_bytes"), "must be greater than 0"));
            }
            self.max_output_bytes = n;
        }
        Ok(self)
    }
}

impl Limits {
    /// Each field the smaller of the two.
    pub fn capped_by(self, cap: Limits) -> Limits {
        Limits {
            fuel: self.fuel.min(cap.fuel),
            timeout: self.timeout.min(cap.timeout),
            memory_bytes: self.memory_bytes.min(cap.memory_bytes),
            max_output_bytes: self.max_output_bytes.min(cap.max_output_bytes),
        }
    }
}

/// A compiled, validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub limits: Limits,
    pub tool_limits: BTreeMap<String, Limits>,
    pub egress: EgressPolicy,
    pub settings: BTreeMap<String, String>,
    pub backend: Option<BackendDocument>,
    /// The manifest's capability request, if it made one.
    pub requested: Option<Grants>,
    /// Egress rules of an untrusted manifest: not a grant, only a narrowing
    /// of what the operator grants (tenant components).
    pub requested_egress: Option<Vec<HostRule>>,
    cache_ttl: Option<Duration>,
    tool_cache_ttl: BTreeMap<String, Option<Duration>>,
}

impl Policy {
    /// Compile a document. `origin` names the file in error messages.
    pub fn compile(doc: &PolicyDocument, default_name: &str, origin: &str) -> Result<Self> {
        let name = doc.name.clone().unwrap_or_else(|| default_name.to_string());
        validate_service_name(&name).map_err(|m| Error::invalid(format!("{origin}: name"), m))?;
        let limits = Limits::default().overlay(&doc.limits, &format!("{origin}: limits"))?;
        let mut tool_limits = BTreeMap::new();
        for (tool, t) in &doc.tools {
            tool_limits.insert(tool.clone(), limits.overlay(&t.limits, &format!("{origin}: tools.{tool}.limits"))?);
        }
        let egress = EgressPolicy::compile(&doc.http)
            .map_err(|(i, m)| Error::invalid(format!("{origin}: http.allow[{i}]"), m))?;
        let ttl = |ms: u64| (ms > 0).then(|| Duration::from_millis(ms));
        let tool_cache_ttl =
            doc.tools.iter().filter_map(|(tool, t)| t.cache_ttl_ms.map(|ms| (tool.clone(), ttl(ms)))).collect();
        if let Some(b) = &doc.backend
            && b.url_setting.is_empty()
        {
            return Err(Error::invalid(format!("{origin}: backend.url_setting"), "must not be empty"));
        }
        let requested = match &doc.capabilities {
            Some(list) => Some(Grants::parse(list).map_err(|e| Error::invalid(format!("{origin}: capabilities"), e))?),
            None => None,
        };
        Ok(Self {
            name,
            limits,
            tool_limits,
            egress,
            settings: doc.settings.clone(),
            backend: doc.backend.clone(),
            requested,
            requested_egress: None,
            cache_ttl: doc.cache.ttl_ms.and_then(ttl),
            tool_cache_ttl,
        })
    }

    /// Read `path` (TOML). A missing file yields the defaults.
    pub fn load(path: &Path, default_name: &str) -> Result<Self> {
        let origin = path.display().to_string();
        let doc = if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Io(origin.clone(), e))?;
            parse_toml::<PolicyDocument>(&text, &origin)?
        } else {
            PolicyDocument::default()
        };
        Self::compile(&doc, default_name, &origin)
    }

    /// How long results of `tool` may be cached (read-only tools only).
    pub fn cache_ttl_for(&self, tool: &str) -> Option<Duration> {
        self.tool_cache_ttl.get(tool).copied().unwrap_or(self.cache_ttl)
    }

    /// Limits for one tool: the tool override if any, else the component's.
    pub fn limits_for(&self, tool: &str) -> Limits {
        self.tool_limits.get(tool).copied().unwrap_or(self.limits)
    }
}

/// Service names become tool-name prefixes: keep them simple.
pub fn validate_service_name(name: &str) -> std::result::Result<(), RuleError> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(RuleError(format!("`{name}` must be 1-48 chars of a-z, 0-9, `_` or `-`, starting with a letter")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_override_narrows_component_limits() {
        let doc: PolicyDocument =
            parse_toml("[limits]\nfuel = 100\ntimeout_ms = 5000\n[tools.spin.limits]\ntimeout_ms = 10\n", "p.toml")
                .unwrap();
        let p = Policy::compile(&doc, "svc", "p.toml").unwrap();
        assert_eq!(p.limits_for("other").timeout, Duration::from_secs(5));
        assert_eq!(p.limits_for("spin").timeout, Duration::from_millis(10));
        assert_eq!(p.limits_for("spin").fuel, 100);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = parse_toml::<PolicyDocument>("[limits]\nfuell = 1\n", "x.policy.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("x.policy.toml") && msg.contains("fuell"), "{msg}");
    }

    #[test]
    fn zero_memory_is_rejected_with_its_key() {
        let doc: PolicyDocument = parse_toml("[limits]\nmemory_mb = 0\n", "p").unwrap();
        let msg = Policy::compile(&doc, "svc", "p").unwrap_err().to_string();
        assert!(msg.contains("limits.memory_mb"), "{msg}");
    }

    #[test]
    fn bad_service_names_are_rejected() {
        for bad in ["", "Upper", "1abc", "a b", "x".repeat(49).as_str()] {
            assert!(validate_service_name(bad).is_err(), "{bad}");
        }
        assert!(validate_service_name("kubernetes").is_ok());
    }
}
