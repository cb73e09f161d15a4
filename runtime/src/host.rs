//! Host capabilities imported by components. Each submodule owns one
//! capability: its per-call state and its WIT `Host` implementation.
//! [`HostState`] is the data of one call's `Store`.

pub mod config;
pub mod helm;
pub mod http;
pub mod kube;
pub mod log;
pub mod progress;

use crate::sandbox::limits::CallLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Everything one tool call's store holds; dropped with the store.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) http_ctx: WasiHttpCtx,
    pub(crate) egress: http::EgressHooks,
    pub(crate) limiter: CallLimiter,
    pub(crate) config: config::ConfigState,
    pub(crate) log: log::LogState,
    pub(crate) progress: progress::ProgressState,
    pub(crate) kube: kube::KubeState,
    pub(crate) helm: helm::HelmState,
    pub(crate) stderr: MemoryOutputPipe,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { hooks: &mut self.egress, table: &mut self.table, ctx: &mut self.http_ctx }
    }
}
