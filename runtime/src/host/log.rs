//! `log` capability: guest log lines become tracing events tagged with the
//! service, tool and request, size-capped and with secrets redacted.

use super::bindings::log::{Host, Level, add_to_linker};
use super::{CallEnv, Capability};
use crate::policy::{ComponentSettings, Grant, redact};
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

const MAX_LINE: usize = 4096;
/// Log lines one call may emit; more are dropped (a chatty guest cannot flood logs).
const MAX_LINES: u32 = 1000;

pub struct LogState {
    pub service: Arc<str>,
    pub tool: String,
    pub request_id: String,
    pub lines: u32,
    /// Secret values are redacted from every line.
    pub settings: Arc<ComponentSettings>,
    /// Without the grant, lines are dropped (and the denial counted once).
    granted: bool,
}

impl Capability for LogState {
    fn for_call(env: &CallEnv<'_>) -> Self {
        Self {
            service: env.service.clone(),
            tool: env.tool.to_string(),
            request_id: env.request_id.to_string(),
            lines: 0,
            settings: env.settings.clone(),
            granted: env.grants.contains(Grant::Log),
        }
    }

    fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut Self) -> wasmtime::Result<()> {
        add_to_linker::<T, HasSelf<Self>>(linker, get)
    }
}

impl Host for LogState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.lines += 1;
        if !self.granted {
            if self.lines == 1 {
                super::denied(&self.service, Grant::Log);
            }
            return Ok(());
        }
        if self.lines > MAX_LINES {
            return Ok(());
        }
        let mut message = redact(&message, &self.settings);
        if message.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("...");
        }
        let (service, tool, request) = (&*self.service, self.tool.as_str(), self.request_id.as_str());
        match level {
            Level::Trace => tracing::trace!(target: "guest", service, tool, request, "{message}"),
            Level::Debug => tracing::debug!(target: "guest", service, tool, request, "{message}"),
            Level::Info => tracing::info!(target: "guest", service, tool, request, "{message}"),
            Level::Warn => tracing::warn!(target: "guest", service, tool, request, "{message}"),
            Level::Error => tracing::error!(target: "guest", service, tool, request, "{message}"),
        }
        Ok(())
    }
}
