//! The tool-call side of the front door: who is calling (from the HTTP
//! request's extensions), may they call this tool, and — once the call is
//! over — its metrics and audit line.

use super::FrontDoor;
use super::audit::AuditRecord;
use super::errors::{ApiError, ErrorKind};
use super::identity::Identity;
use super::metrics;
use crate::sandbox::{CallError, CallStats};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Map, Value};
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

/// The authenticated caller of an MCP request over HTTP. `None` over stdio,
/// where the caller is the local user who started the server.
pub fn identity_of(context: &RequestContext<RoleServer>) -> Option<Identity> {
    context.extensions.get::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<Identity>()).cloned()
}

/// The HTTP request headers of an MCP request (none over stdio).
pub fn headers_of(context: &RequestContext<RoleServer>) -> Option<&axum::http::HeaderMap> {
    context.extensions.get::<axum::http::request::Parts>().map(|p| &p.headers)
}

/// May `identity` use this tool? Local (stdio) callers may use every tool.
pub fn allows(fd: &FrontDoor, identity: Option<&Identity>, service: &str, tool: &str, read_only: bool) -> bool {
    identity.is_none_or(|id| fd.access().authorizer.allows(id, service, tool, read_only))
}

pub fn forbidden(tool: &str) -> rmcp::ErrorData {
    ApiError::new(ErrorKind::Forbidden, format!("forbidden: your roles do not grant the tool `{tool}`")).to_error_data()
}

/// The caller's tenant is not one this server hosts.
pub fn unknown_tenant(message: &str) -> rmcp::ErrorData {
    ApiError::new(ErrorKind::Forbidden, format!("forbidden: {message}")).to_error_data()
}

/// The caller's tenant used up its tool-call rate.
pub fn tenant_rate_limited(tenant: &str) -> rmcp::ErrorData {
    ApiError::new(ErrorKind::RateLimited, format!("rate limit exceeded for tenant `{tenant}`")).to_error_data()
}

/// The metric label of a failed call's cause.
pub fn cause(e: &CallError) -> &'static str {
    match e {
        CallError::UnknownTool(_) => "unknown_tool",
        CallError::InvalidArguments(_) => "invalid_arguments",
        CallError::FuelExhausted { .. } => "fuel",
        CallError::Deadline { .. } => "deadline",
        CallError::MemoryLimit { .. } => "memory",
        CallError::Trap(_) => "trap",
        CallError::OutputTooLarge { .. } => "output_too_large",
        CallError::Cancelled => "cancelled",
        CallError::Busy(_) => "busy",
        CallError::Internal(_) => "internal",
    }
}

/// One tool call from admission to its audit line; counts as in flight
/// until dropped.
pub struct CallScope<'a> {
    fd: &'a FrontDoor,
    tool: String,
    service: String,
    tenant: String,
    subject: String,
    request_id: String,
    arguments: Value,
    started: Instant,
    tag: Option<String>,
}

impl<'a> CallScope<'a> {
    pub fn begin(
        fd: &'a FrontDoor,
        identity: Option<&Identity>,
        service: &str,
        tool: &str,
        request_id: &str,
        arguments: &Map<String, Value>,
    ) -> Self {
        fd.in_flight.fetch_add(1, Ordering::AcqRel);
        metrics::get().in_flight.inc();
        let (tenant, subject) = match identity {
            Some(id) => (id.tenant.clone(), id.subject.clone()),
            None => (fd.default_tenant.clone(), "local".to_string()),
        };
        let arguments = match &fd.audit {
            Some(log) => log.redact(&Value::Object(arguments.clone())),
            None => Value::Null,
        };
        Self {
            fd,
            tool: tool.into(),
            service: service.into(),
            tenant,
            subject,
            request_id: request_id.into(),
            arguments,
            started: Instant::now(),
            tag: None,
        }
    }

    /// The tenant's audit tag, written into the call's audit line.
    pub fn tagged(mut self, tag: Option<&str>) -> Self {
        self.tag = tag.map(str::to_string);
        self
    }

    /// Record the outcome (`ok`, `tool_error`, `cached`, `error`, `denied`):
    /// metrics, then the audit line (on disk before this returns when the
    /// audit log syncs every line).
    pub async fn finish(mut self, outcome: &'static str, error: Option<&CallError>, stats: CallStats) {
        let elapsed = self.started.elapsed();
        let m = metrics::get();
        m.tool_calls.with_label_values(&[&self.tool, outcome]).inc();
        m.tool_duration.with_label_values(&[&self.tool]).observe(elapsed.as_secs_f64());
        if stats.fuel_used > 0 {
            m.fuel_used.with_label_values(&[&self.service]).observe(stats.fuel_used as f64);
        }
        if let Some(t) = stats.instantiation {
            m.instantiation.with_label_values(&[&self.service]).observe(t.as_secs_f64());
        }
        if let Some(e) = error {
            m.traps.with_label_values(&[cause(e)]).inc();
        }
        if let Some(log) = &self.fd.audit {
            let record = AuditRecord {
                time: super::timefmt::format(SystemTime::now()),
                request_id: std::mem::take(&mut self.request_id),
                tenant: std::mem::take(&mut self.tenant),
                tag: self.tag.take(),
                subject: std::mem::take(&mut self.subject),
                tool: self.tool.clone(),
                arguments: std::mem::take(&mut self.arguments),
                outcome,
                error: error.map(ToString::to_string),
                duration_ms: elapsed.as_millis() as u64,
                fuel_used: stats.fuel_used,
            };
            log.record(record).await;
        }
    }
}

impl Drop for CallScope<'_> {
    fn drop(&mut self) {
        self.fd.in_flight.fetch_sub(1, Ordering::AcqRel);
        metrics::get().in_flight.dec();
    }
}
