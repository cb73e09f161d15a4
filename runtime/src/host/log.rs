//! `log` capability: guest log lines become tracing events tagged with the
//! service, tool and request, size-capped and with secrets redacted.

use crate::host::HostState;
use crate::host::config::redact;
use crate::sandbox::bindings::log::{Host, Level};
use std::sync::Arc;

const MAX_LINE: usize = 4096;
/// Log lines one call may emit; more are dropped (a chatty guest cannot flood logs).
const MAX_LINES: u32 = 1000;

pub struct LogState {
    pub service: Arc<str>,
    pub tool: String,
    pub request_id: String,
    pub lines: u32,
}

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.log.lines += 1;
        if self.log.lines > MAX_LINES {
            return Ok(());
        }
        let mut message = redact(&message, &self.config.settings);
        if message.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("...");
        }
        let (service, tool, request) = (&*self.log.service, self.log.tool.as_str(), self.log.request_id.as_str());
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
