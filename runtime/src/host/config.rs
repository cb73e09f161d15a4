//! `config` capability: the component's settings and secrets from the
//! runtime configuration. Tool arguments never reach this map.

use crate::host::HostState;
use crate::sandbox::bindings::config::Host;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Settings and secrets of one component (shared by all its calls).
#[derive(Debug, Default, Clone)]
pub struct ComponentSettings {
    pub settings: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
}

impl ComponentSettings {
    /// Secret values worth redacting from output and logs.
    pub fn secret_values(&self) -> impl Iterator<Item = &str> {
        self.secrets.values().map(String::as_str).filter(|v| v.len() >= 4)
    }
}

pub struct ConfigState {
    pub settings: Arc<ComponentSettings>,
}

impl Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.config.settings.settings.get(&key).cloned())
    }

    fn get_secret(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.config.settings.secrets.get(&key).cloned())
    }

    fn keys(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.config.settings.settings.keys().cloned().collect())
    }
}

/// Replace every secret value in `text` with `[REDACTED]`.
pub fn redact(text: &str, settings: &ComponentSettings) -> String {
    let mut out = text.to_string();
    for secret in settings.secret_values() {
        if out.contains(secret) {
            out = out.replace(secret, "[REDACTED]");
        }
    }
    out
}
