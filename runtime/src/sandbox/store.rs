//! The data of one call's `Store`: WASI (no files, environment or sockets),
//! policy-checked wasi:http, the memory limiter, captured stderr, and the
//! state of every host capability. Dropped with the store.

use super::limits::CallLimiter;
use crate::host::config::ConfigState;
use crate::host::helm::HelmState;
use crate::host::http::HttpState;
use crate::host::kube::KubeState;
use crate::host::log::LogState;
use crate::host::progress::ProgressState;
use crate::host::{CallEnv, Capability, bindings};
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtxView, WasiHttpView};

/// Captured guest stdout/stderr (panic messages), bounded.
const PIPE_CAPACITY: usize = 16 * 1024;

/// The runtime's own capabilities, one line each: the field in
/// [`Capabilities`] and the state type (which implements [`Capability`]).
macro_rules! capabilities {
    ($($field:ident: $state:ty),* $(,)?) => {
        /// Every capability's per-call state.
        pub struct Capabilities {
            $(pub $field: $state,)*
        }

        impl Capabilities {
            fn for_call(env: &CallEnv<'_>) -> Self {
                Self { $($field: <$state as Capability>::for_call(env),)* }
            }

            fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
                $(<$state as Capability>::add_to_linker(linker, |s: &mut HostState| &mut s.caps.$field)?;)*
                Ok(())
            }
        }
    };
}

capabilities! {
    config: ConfigState,
    log: LogState,
    progress: ProgressState,
    kube: KubeState,
    helm: HelmState,
}

/// Everything one tool call's store holds.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) http: HttpState,
    pub(crate) limiter: CallLimiter,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) caps: Capabilities,
}

impl HostState {
    pub(crate) fn new(env: &CallEnv<'_>, memory_bytes: usize) -> Self {
        let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
        // No files, no environment, no sockets: outbound traffic goes only
        // through the policy-checked wasi:http.
        let wasi = WasiCtxBuilder::new()
            .stdout(MemoryOutputPipe::new(PIPE_CAPACITY))
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            http: HttpState::for_call(env),
            limiter: CallLimiter::new(memory_bytes),
            stderr,
            caps: Capabilities::for_call(env),
        }
    }
}

/// The linker every component is instantiated with: WASI, wasi:http and
/// the runtime's capabilities.
pub(crate) fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::<HostState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    bindings::types::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
    Capabilities::add_to_linker(&mut linker)?;
    Ok(linker)
}

impl bindings::types::Host for HostState {}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { hooks: &mut self.http.hooks, table: &mut self.table, ctx: &mut self.http.ctx }
    }
}
