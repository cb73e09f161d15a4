//! k8s-mcp-runtime: an MCP server whose tools run as sandboxed WebAssembly
//! components. See docs/ARCHITECTURE.md for the call path.

pub mod cache;
pub mod cli;
pub mod config;
pub mod error;
pub mod frontdoor;
pub mod host;
pub mod inspect;
pub mod kube;
pub mod mcp;
pub mod policy;
pub mod sandbox;
pub mod server;
pub mod tenant;

pub use config::Config;
pub use error::{Error, Result};
