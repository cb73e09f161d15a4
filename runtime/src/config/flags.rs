//! The `serve` flags (clap derive). Every flag can also come from an
//! environment variable; flags win over the environment, which wins over the
//! config file.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Stdio,
    Http,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Directory holding `*.wasm` components and their `<name>.policy.toml`.
    #[arg(long, env = "K8S_MCP_COMPONENTS")]
    pub components: Option<PathBuf>,
    /// Configuration file (TOML).
    #[arg(long, env = "K8S_MCP_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, env = "K8S_MCP_TRANSPORT")]
    pub transport: Option<Transport>,
    /// Address for the HTTP transport (default 127.0.0.1:8080).
    #[arg(long, env = "K8S_MCP_LISTEN")]
    pub listen: Option<String>,
    /// Maximum tool calls running at once; more wait (bounded) or get "busy".
    #[arg(long, env = "K8S_MCP_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    /// Cache compiled components in this directory (default
    /// `$XDG_CACHE_HOME/k8s-mcp-runtime` or `~/.cache/k8s-mcp-runtime`; `off` disables).
    #[arg(long, env = "K8S_MCP_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Expose and allow only tools annotated read-only.
    #[arg(long, env = "K8S_MCP_READ_ONLY", value_parser = clap::builder::FalseyValueParser::new())]
    pub read_only: bool,
    /// Allow a non-loopback listen address without authentication.
    #[arg(long, env = "K8S_MCP_INSECURE_NO_AUTH", value_parser = clap::builder::FalseyValueParser::new())]
    pub insecure_no_auth: bool,
    /// Admin listener for /metrics, /healthz and /readyz (default
    /// 127.0.0.1:9464; `off` disables it).
    #[arg(long, env = "K8S_MCP_ADMIN_LISTEN")]
    pub admin_listen: Option<String>,
    /// Log format on stderr.
    #[arg(long, value_enum, env = "K8S_MCP_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}
