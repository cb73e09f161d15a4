//! MCP over stdio: stdout carries only JSON-RPC (logs go to stderr).

use crate::call::Pipeline;
use crate::error::{Error, Result};
use crate::mcp::McpHandler;
use rmcp::ServiceExt;
use std::sync::Arc;

/// Serve one client on stdin/stdout until it disconnects.
pub async fn serve(core: Arc<Pipeline>) -> Result<()> {
    tracing::info!("serving MCP over stdio");
    let service = McpHandler::new(core)
        .serve(rmcp::transport::io::stdio_pipes())
        .await
        .map_err(|e| Error::Transport(format!("stdio: {e}")))?;
    service.waiting().await.map_err(|e| Error::Transport(format!("stdio: {e}")))?;
    Ok(())
}
