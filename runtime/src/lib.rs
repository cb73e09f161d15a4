//! k8s-mcp-runtime: an MCP server whose tools run as sandboxed WebAssembly
//! components. docs/ARCHITECTURE.md describes the layers; each module imports
//! only modules of the layers below it (checked by `scripts/check-layers.py`):
//!
//! `server` → `transport` → `mcp` → `call` → `auth`, `tenant`, `cache`,
//! `audit` → `sandbox` → `host` → `kube` → `policy` → `telemetry` → `config`
//! → `error`.

pub mod audit;
pub mod auth;
pub mod cache;
pub mod call;
pub mod cli;
pub mod config;
pub mod error;
pub mod host;
pub mod inspect;
pub mod kube;
pub mod mcp;
pub mod policy;
pub mod sandbox;
pub mod server;
pub mod telemetry;
pub mod tenant;
pub mod transport;

pub use config::Config;
pub use error::{Error, Result};
