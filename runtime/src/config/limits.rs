//! Limits as written (component manifests, `[components.<c>] limits`, tenants).

use crate::error::{Error, Result};
use serde::Deserialize;

/// Resource limits as written; absent fields keep the value below them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsDocument {
    pub fuel: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub memory_mb: Option<u64>,
    pub max_output_bytes: Option<usize>,
}

impl LimitsDocument {
    pub fn is_empty(&self) -> bool {
        self.fuel.is_none() && self.timeout_ms.is_none() && self.memory_mb.is_none() && self.max_output_bytes.is_none()
    }
}

/// Parse TOML with errors naming the file and the offending key path.
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    let de = toml::Deserializer::parse(text)
        .map_err(|e| Error::Config { key: origin.to_string(), message: e.to_string() })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        Error::Config { key: format!("{origin}: {path}"), message: e.into_inner().message().to_string() }
    })
}
