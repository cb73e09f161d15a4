//! The rmcp adapter: protocol types in, protocol types out. `tools/list`
//! and `tools/call` are translated to the call pipeline ([`crate::call`]);
//! a refused call goes out on the channel its kind names
//! ([`crate::error::api::ErrorKind::channel`]): a JSON-RPC error when the
//! request cannot be routed, a tool result with `isError` otherwise.

use crate::auth::Identity;
use crate::call::{CallRequest, Pipeline, Refusal};
use crate::error::api::{ApiError, Channel};
use crate::host::progress::ProgressUpdate;
use crate::sandbox::{Block, CallOutput, ToolInfo};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ProgressToken, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Cheap to clone; one per session.
#[derive(Clone)]
pub struct McpHandler {
    pipeline: Arc<Pipeline>,
}

impl McpHandler {
    pub fn new(pipeline: Arc<Pipeline>) -> Self {
        Self { pipeline }
    }
}

/// The authenticated caller of an MCP request over HTTP. `None` over stdio,
/// where the caller is the local user who started the server.
pub fn identity_of(context: &RequestContext<RoleServer>) -> Option<Identity> {
    context.extensions.get::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<Identity>()).cloned()
}

/// The HTTP request headers of an MCP request (none over stdio).
fn headers_of(context: &RequestContext<RoleServer>) -> Option<&axum::http::HeaderMap> {
    context.extensions.get::<axum::http::request::Parts>().map(|p| &p.headers)
}

pub fn to_mcp_tool(info: &ToolInfo) -> Tool {
    let a = &info.annotations;
    let mut annotations = ToolAnnotations::new()
        .read_only(a.read_only)
        .destructive(a.destructive)
        .idempotent(a.idempotent)
        .open_world(a.open_world);
    annotations.title = info.title.clone();
    let mut tool =
        Tool::new(info.name.clone(), info.description.clone(), info.input_schema.clone()).with_annotations(annotations);
    if let Some(title) = &info.title {
        tool = tool.with_title(title.clone());
    }
    if let Some(schema) = &info.output_schema {
        tool = tool.with_raw_output_schema(schema.clone());
    }
    tool
}

fn to_result(out: CallOutput) -> CallToolResult {
    let content = out
        .content
        .into_iter()
        .map(|b| match b {
            Block::Text(t) => ContentBlock::text(t),
            Block::Image { mime_type, data } => ContentBlock::image(data, mime_type),
        })
        .collect();
    let mut result = if out.is_error { CallToolResult::error(content) } else { CallToolResult::success(content) };
    result.structured_content = out.structured.map(serde_json::Value::Object);
    result
}

/// A refusal as JSON-RPC error (`Err`) or `isError` result (`Ok`).
fn refused(refusal: &Refusal) -> Result<CallToolResult, ErrorData> {
    let kind = refusal.kind();
    match kind.channel() {
        Channel::JsonRpc => Err(ApiError::new(kind, refusal.to_string()).to_error_data()),
        Channel::ToolResult => Ok(CallToolResult::error(vec![ContentBlock::text(refusal.to_string())])),
    }
}

impl ServerHandler for McpHandler {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("k8s-mcp-runtime", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Tools for Kubernetes and cloud-native operations. Each tool runs in its own sandbox; \
                 tool names are prefixed with their service (e.g. utilities_get_time).",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let identity = identity_of(&context);
        match self.pipeline.visible_tools(identity.as_ref()) {
            Ok(tools) => Ok(ListToolsResult::with_all_items(tools.iter().map(to_mcp_tool).collect())),
            Err(refusal) => Err(ApiError::new(refusal.kind(), refusal.to_string()).to_error_data()),
        }
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.pipeline.tool(name).as_ref().map(to_mcp_tool)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let identity = identity_of(&context);
        let (progress, forwarder) = progress_forwarder(context.meta.get_progress_token(), &context);
        let call = CallRequest {
            tool: &request.name,
            arguments: request.arguments.unwrap_or_default(),
            identity: identity.as_ref(),
            headers: headers_of(&context),
            request_id: request_id_text(&context),
            progress,
            cancel: context.ct.clone(),
        };
        let outcome = self.pipeline.call(call).await;
        if let Some(task) = forwarder {
            // The sender was dropped with the store: the forwarder drains and ends.
            let _ = task.await;
        }
        match outcome {
            Ok(out) => Ok(to_result(out).into()),
            Err(refusal) => refused(&refusal).map(Into::into),
        }
    }
}

type Forwarder = (Option<mpsc::UnboundedSender<ProgressUpdate>>, Option<tokio::task::JoinHandle<()>>);

/// When the client sent a progress token, a channel whose updates become
/// `notifications/progress` to that client.
fn progress_forwarder(token: Option<ProgressToken>, context: &RequestContext<RoleServer>) -> Forwarder {
    let Some(token) = token else { return (None, None) };
    let (tx, mut rx) = mpsc::unbounded_channel::<ProgressUpdate>();
    let peer = context.peer.clone();
    let task = tokio::spawn(async move {
        while let Some(u) = rx.recv().await {
            let mut p = ProgressNotificationParam::new(token.clone(), u.progress);
            if let Some(total) = u.total {
                p = p.with_total(total);
            }
            if let Some(message) = u.message {
                p = p.with_message(message);
            }
            if peer.notify_progress(p).await.is_err() {
                break;
            }
        }
    });
    (Some(tx), Some(task))
}

fn request_id_text(context: &RequestContext<RoleServer>) -> String {
    match serde_json::to_value(&context.id) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}
