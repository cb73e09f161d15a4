//! The crate's error type, for start-up and configuration failures. Errors of
//! individual tool calls are [`crate::sandbox::CallError`]; both are mapped to
//! MCP in `mcp.rs` only.

pub mod api;

use std::io;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is missing or invalid; `key` names it (and its file).
    #[error("invalid configuration `{key}`: {message}")]
    Config { key: String, message: String },
    #[error("{0}: {1}")]
    Io(String, #[source] io::Error),
    /// A component could not be loaded.
    #[error("component `{name}`: {message}")]
    Component { name: String, message: String },
    #[error("wasm engine: {0}")]
    Engine(String),
    #[error("transport: {0}")]
    Transport(String),
}

impl Error {
    pub fn invalid(key: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Config { key: key.into(), message: message.to_string() }
    }

    pub fn component(name: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Component { name: name.into(), message: message.to_string() }
    }
}
