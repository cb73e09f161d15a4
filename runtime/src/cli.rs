//! Command-line interface (clap derive structs only); the `serve` flags are
//! [`crate::config::flags`].

use clap::{Args, Parser, Subcommand};

pub use crate::config::flags::{LogFormat, ServeArgs, Transport};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "k8s-mcp-runtime",
    version,
    about = "MCP server for cloud-native operations with sandboxed WebAssembly tools"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio (default) or streamable HTTP.
    Serve(ServeArgs),
    /// Inspect components without serving.
    #[command(subcommand)]
    Components(ComponentsCommand),
}

#[derive(Debug, Subcommand)]
pub enum ComponentsCommand {
    /// List components and their tools.
    List(InspectArgs),
    /// Show each component's tools, schemas and effective policy.
    Inspect(InspectArgs),
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// Components directory.
    pub dir: PathBuf,
    /// Configuration file whose component overrides apply.
    #[arg(long, env = "K8S_MCP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Show what this tenant (declared in the config file) sees, with its
    /// effective per-tool policy.
    #[arg(long)]
    pub tenant: Option<String>,
}
