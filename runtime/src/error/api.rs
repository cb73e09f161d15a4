//! Error kinds and their one mapping to HTTP statuses, JSON-RPC codes, the
//! `{code, message, data}` body of plain HTTP endpoints, and the MCP channel
//! a refused tool call goes out on ([`ErrorKind::channel`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What went wrong, independent of the transport that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    MissingParameter,
    InvalidParameter,
    /// A tools/call naming a tool the caller's tenant does not have.
    UnknownTool,
    /// The caller's tenant is not one this server hosts.
    UnknownTenant,
    /// A tool refused its arguments (schema or meaning).
    InvalidArguments,
    NotFound,
    Unauthorized,
    Forbidden,
    RateLimited,
    Internal,
}

impl ErrorKind {
    pub fn http_status(self) -> StatusCode {
        match self {
            Self::MissingParameter | Self::InvalidParameter | Self::InvalidArguments => StatusCode::BAD_REQUEST,
            Self::NotFound | Self::UnknownTool => StatusCode::NOT_FOUND,
            Self::UnknownTenant => StatusCode::FORBIDDEN,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// JSON-RPC error code. Parameter errors use the standard -32602;
    /// the others are server-defined codes in the -32000..-32099 range.
    pub fn jsonrpc_code(self) -> i32 {
        match self {
            Self::MissingParameter | Self::InvalidParameter | Self::InvalidArguments | Self::UnknownTool => -32602,
            Self::NotFound => -32002,
            Self::UnknownTenant => -32003,
            Self::Unauthorized => -32001,
            Self::Forbidden => -32003,
            Self::RateLimited => -32029,
            Self::Internal => -32603,
        }
    }

    /// Stable machine-readable name, carried in `data.kind`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MissingParameter => "missing_parameter",
            Self::InvalidParameter => "invalid_parameter",
            Self::UnknownTool => "unknown_tool",
            Self::UnknownTenant => "unknown_tenant",
            Self::InvalidArguments => "invalid_arguments",
            Self::NotFound => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }
}

/// How MCP reports a tools/call that produced no normal result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A JSON-RPC error: the request could not be routed to a tool.
    JsonRpc,
    /// A tool result with `isError: true` and the message as text, so the
    /// model reads the cause and can correct itself.
    ToolResult,
}

impl ErrorKind {
    /// The one rule for refusals (docs/ARCHITECTURE.md, "Refusals"): a
    /// tools/call that cannot be routed — unknown tool, unknown tenant, a
    /// malformed request — is a JSON-RPC error; everything else (policy,
    /// role, quota, rate, bad arguments, faults) is an `isError` result.
    pub fn channel(self) -> Channel {
        match self {
            Self::MissingParameter | Self::InvalidParameter | Self::UnknownTool | Self::UnknownTenant => {
                Channel::JsonRpc
            }
            Self::InvalidArguments
            | Self::NotFound
            | Self::Unauthorized
            | Self::Forbidden
            | Self::RateLimited
            | Self::Internal => Channel::ToolResult,
        }
    }
}

/// An error answered by the front door itself (before MCP handles the
/// request), or by the MCP layer as a JSON-RPC error.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    pub data: serde_json::Map<String, Value>,
    /// Seconds, for `Retry-After`.
    pub retry_after: Option<u64>,
    /// The `WWW-Authenticate` challenge of a 401.
    pub challenge: Option<String>,
    /// Answer as a JSON-RPC error envelope (MCP endpoints) instead of the
    /// plain `{code, message, data}` body.
    pub jsonrpc: bool,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            data: serde_json::Map::new(),
            retry_after: None,
            challenge: None,
            jsonrpc: false,
        }
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self.data.insert("retry_after_secs".into(), json!(secs));
        self
    }

    pub fn challenge(mut self, value: String) -> Self {
        self.challenge = Some(value);
        self
    }

    pub fn as_jsonrpc(mut self, yes: bool) -> Self {
        self.jsonrpc = yes;
        self
    }

    fn body(&self) -> Value {
        let mut data = self.data.clone();
        data.insert("kind".into(), json!(self.kind.name()));
        let error = json!({"code": self.kind.jsonrpc_code(), "message": self.message, "data": data});
        if self.jsonrpc { json!({"jsonrpc": "2.0", "id": null, "error": error}) } else { error }
    }

    /// The same error as an MCP / JSON-RPC error object.
    pub fn to_error_data(&self) -> rmcp::ErrorData {
        let mut data = self.data.clone();
        data.insert("kind".into(), json!(self.kind.name()));
        rmcp::ErrorData::new(
            rmcp::model::ErrorCode(self.kind.jsonrpc_code()),
            self.message.clone(),
            Some(Value::Object(data)),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.kind.http_status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(challenge) = &self.challenge
            && let Ok(v) = HeaderValue::from_str(challenge)
        {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_consistently() {
        for kind in [
            ErrorKind::MissingParameter,
            ErrorKind::InvalidParameter,
            ErrorKind::UnknownTool,
            ErrorKind::UnknownTenant,
            ErrorKind::InvalidArguments,
            ErrorKind::NotFound,
            ErrorKind::Unauthorized,
            ErrorKind::Forbidden,
            ErrorKind::RateLimited,
            ErrorKind::Internal,
        ] {
            let e = ApiError::new(kind, "x");
            assert_eq!(e.to_error_data().code.0, kind.jsonrpc_code());
            let response = e.into_response();
            assert_eq!(response.status(), kind.http_status());
        }
        assert_eq!(ErrorKind::UnknownTool.channel(), Channel::JsonRpc);
        assert_eq!(ErrorKind::Forbidden.channel(), Channel::ToolResult);
        assert_eq!(ErrorKind::RateLimited.channel(), Channel::ToolResult);
        let r = ApiError::new(ErrorKind::RateLimited, "slow down").retry_after(3).into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "3");
    }
}
