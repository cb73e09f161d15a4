//! The error a tool returns; each variant maps onto the WIT `tool-error`.

use crate::bindings::k8s_mcp::tools::types::ToolError as WitError;
use std::fmt;

/// Why a tool call failed. The message is shown to the model and the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolError {
    InvalidArguments(String),
    NotFound(String),
    Denied(String),
    Upstream(String),
    Cancelled(String),
    Internal(String),
}

impl ToolError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidArguments(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub fn denied(msg: impl Into<String>) -> Self {
        Self::Denied(msg.into())
    }
    pub fn upstream(msg: impl Into<String>) -> Self {
        Self::Upstream(msg.into())
    }
    pub fn internal(msg: impl Into<String>) -> Self {
        Self::Internal(msg.into())
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidArguments(m) => write!(f, "invalid arguments: {m}"),
            Self::NotFound(m) => write!(f, "not found: {m}"),
            Self::Denied(m) => write!(f, "denied: {m}"),
            Self::Upstream(m) => write!(f, "upstream error: {m}"),
            Self::Cancelled(m) => write!(f, "cancelled: {m}"),
            Self::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for ToolError {}

impl From<ToolError> for WitError {
    fn from(e: ToolError) -> Self {
        match e {
            ToolError::InvalidArguments(m) => WitError::InvalidArguments(m),
            ToolError::NotFound(m) => WitError::NotFound(m),
            ToolError::Denied(m) => WitError::Denied(m),
            ToolError::Upstream(m) => WitError::Upstream(m),
            ToolError::Cancelled(m) => WitError::Cancelled(m),
            ToolError::Internal(m) => WitError::Internal(m),
        }
    }
}

impl From<serde_json::Error> for ToolError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("JSON: {e}"))
    }
}
