//! The record of one tool call: counted in flight while it runs, then its
//! metrics and audit line.

use super::{CallRequest, Pipeline};
use crate::audit::AuditRecord;
use crate::sandbox::{CallError, CallStats};
use crate::telemetry as metrics;
use crate::tenant::Scope;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

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
    pipeline: &'a Pipeline,
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
    pub fn begin(pipeline: &'a Pipeline, service: &str, request: &CallRequest<'_>, scope: &Scope) -> Self {
        pipeline.in_flight.fetch_add(1, Ordering::AcqRel);
        metrics::get().in_flight.inc();
        let (tenant, subject) = match request.identity {
            Some(id) => (id.tenant.clone(), id.subject.clone()),
            None => (pipeline.tenant.clone(), "local".to_string()),
        };
        let arguments = match &pipeline.audit {
            Some(log) => log.redact(&Value::Object(request.arguments.clone())),
            None => Value::Null,
        };
        Self {
            pipeline,
            tool: request.tool.into(),
            service: service.into(),
            tenant,
            subject,
            request_id: request.request_id.clone(),
            arguments,
            started: Instant::now(),
            tag: scope.audit_tag.clone(),
        }
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
        if let Some(log) = &self.pipeline.audit {
            let record = AuditRecord {
                time: crate::audit::format_time(SystemTime::now()),
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
        self.pipeline.in_flight.fetch_sub(1, Ordering::AcqRel);
        metrics::get().in_flight.dec();
    }
}
