//! `progress` capability: progress reports flow to the MCP layer (which
//! turns them into notifications when the client sent a progress token);
//! cancellation flows back to the guest.

use super::bindings::progress::{Host, add_to_linker};
use super::{CallEnv, Capability};
use crate::policy::Grant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wasmtime::component::{HasSelf, Linker};

/// One progress report from a guest.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressUpdate {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

pub struct ProgressState {
    /// `None` also without the grant: reports are then dropped.
    pub sink: Option<mpsc::UnboundedSender<ProgressUpdate>>,
    pub cancel: CancellationToken,
    pub reports: u32,
}

/// Reports beyond this are dropped: progress is advisory.
const MAX_REPORTS: u32 = 10_000;

impl Capability for ProgressState {
    fn for_call(env: &CallEnv<'_>) -> Self {
        let granted = env.grants.contains(Grant::Progress);
        if !granted && env.progress.is_some() {
            super::denied(env.service, Grant::Progress);
        }
        Self { sink: env.progress.filter(|_| granted).cloned(), cancel: env.cancel.clone(), reports: 0 }
    }

    fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut Self) -> wasmtime::Result<()> {
        add_to_linker::<T, HasSelf<Self>>(linker, get)
    }
}

impl Host for ProgressState {
    fn report(&mut self, progress: f64, total: Option<f64>, message: Option<String>) -> wasmtime::Result<()> {
        self.reports += 1;
        if self.reports > MAX_REPORTS || !progress.is_finite() {
            return Ok(());
        }
        if let Some(sink) = &self.sink {
            let message = message.map(|m| m.chars().take(512).collect());
            let _ = sink.send(ProgressUpdate { progress, total: total.filter(|t| t.is_finite()), message });
        }
        Ok(())
    }

    fn cancelled(&mut self) -> wasmtime::Result<bool> {
        Ok(self.cancel.is_cancelled())
    }
}
