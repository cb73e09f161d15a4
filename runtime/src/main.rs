//! Entry point: parse the command line, set up logging (stderr only: in
//! stdio mode stdout carries nothing but MCP), run.

use clap::Parser;
use k8s_mcp_runtime::cli::{Cli, Command, ComponentsCommand, LogFormat};
use k8s_mcp_runtime::{Config, inspect, server};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(false).init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => {
            init_logging(args.log_format);
            match Config::build(&args) {
                Ok(config) => server::serve_reloadable(config, Some(args)).await,
                Err(e) => Err(e),
            }
        }
        Command::Components(cmd) => {
            init_logging(LogFormat::Text);
            match cmd {
                ComponentsCommand::List(args) => inspect::run(&args, false).await,
                ComponentsCommand::Inspect(args) => inspect::run(&args, true).await,
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
