//! wit-bindgen output for the `tool-provider` world (and the WASI interfaces it
//! imports). Other modules wrap these in plain Rust types.
#![allow(missing_docs, clippy::all)]

wit_bindgen::generate!({
    world: "tool-provider",
    path: "../wit",
    generate_all,
    pub_export_macro: true,
    export_macro_name: "__export_tool_provider",
    default_bindings_module: "k8s_mcp_sdk::bindings",
});
