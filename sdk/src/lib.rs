//! Guest SDK for k8s-mcp-runtime tool components.
//!
//! A component declares its tools with typed argument structs and exports
//! them with [`export_service!`]; the SDK produces the JSON schemas, parses
//! arguments, and maps results and errors onto the `tool-provider` WIT world.
//! [`args`] holds what argument structs share (required and optional
//! strings; the object reference, `context` and `dry_run` groups to
//! `#[serde(flatten)]`), [`backend`] a configured HTTP backend and its errors.
//!
//! ```ignore
//! use k8s_mcp_sdk::prelude::*;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct GreetArgs { /// Who to greet.
//!     name: String }
//!
//! struct Hello;
//! impl Service for Hello {
//!     fn tools() -> Vec<Tool> {
//!         vec![Tool::new("greet", "Say hello", |a: GreetArgs, _ctx: &Context| {
//!             Ok(Output::text(format!("Hello, {}!", a.name)))
//!         }).read_only()]
//!     }
//! }
//! export_service!(Hello);
//! ```

pub mod args;
pub mod backend;
pub mod bindings;
mod context;
mod error;
pub mod helm;
pub mod html;
pub mod http;
pub mod kube;
pub mod log;
mod output;
mod tool;

pub use context::Context;
pub use error::ToolError;
pub use output::Output;
pub use tool::{Service, Tool};

/// Everything a component usually needs.
pub mod prelude {
    pub use crate::{Context, Output, Service, Tool, ToolError, export_service};
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{Value, json};
}

pub use schemars;
pub use serde;
pub use serde_json;

#[doc(hidden)]
pub mod __private {
    use crate::bindings::exports::k8s_mcp::tools::tools as wit;
    use crate::bindings::k8s_mcp::tools::types as witty;
    use crate::{Context, Service};

    pub fn list_tools<S: Service>() -> Vec<witty::ToolDescriptor> {
        S::tools().iter().map(|t| t.descriptor()).collect()
    }

    pub fn call_tool<S: Service>(
        name: String,
        arguments: String,
        ctx: witty::CallContext,
    ) -> Result<witty::ToolOutput, witty::ToolError> {
        let tools = S::tools();
        let Some(tool) = tools.iter().find(|t| t.name() == name) else {
            return Err(witty::ToolError::UnknownTool(format!("no tool named `{name}`")));
        };
        let context = Context::new(ctx);
        tool.invoke(&arguments, &context).map(Into::into).map_err(Into::into)
    }

    pub use wit::Guest;
}

/// Export a [`Service`] as this component's `tools` interface.
#[macro_export]
macro_rules! export_service {
    ($service:ty) => {
        #[doc(hidden)]
        pub struct __K8sMcpExport;

        impl $crate::__private::Guest for __K8sMcpExport {
            fn list_tools() -> ::std::vec::Vec<$crate::bindings::k8s_mcp::tools::types::ToolDescriptor> {
                $crate::__private::list_tools::<$service>()
            }

            fn call_tool(
                name: ::std::string::String,
                arguments: ::std::string::String,
                context: $crate::bindings::k8s_mcp::tools::types::CallContext,
            ) -> ::std::result::Result<
                $crate::bindings::k8s_mcp::tools::types::ToolOutput,
                $crate::bindings::k8s_mcp::tools::types::ToolError,
            > {
                $crate::__private::call_tool::<$service>(name, arguments, context)
            }
        }

        $crate::bindings::__export_tool_provider!(__K8sMcpExport with_types_in $crate::bindings);
    };
}
