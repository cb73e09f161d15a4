//! `bindgen!` output for the `tool-provider` world. WASI interfaces map onto
//! wasmtime-wasi's own bindings so one linker serves both.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "tool-provider",
    imports: {
        "k8s-mcp:tools/kube": async,
        "k8s-mcp:tools/helm": async,
        default: trappable,
    },
    exports: { default: async },
    require_store_data_send: true,
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
    },
});

pub use exports::k8s_mcp::tools::tools as guest;
pub use k8s_mcp::tools::{config, helm, kube, log, progress, types};
