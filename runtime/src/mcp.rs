//! The rmcp `ServerHandler`: tools/list from the components' descriptors,
//! tools/call routed to the owning component through the sandbox, progress
//! notifications and cancellation. Call errors become MCP results here, and
//! only here.

use crate::cache::ResultCache;
use crate::frontdoor::FrontDoor;
use crate::frontdoor::calls::{self, CallScope};
use crate::host::progress::ProgressUpdate;
use crate::sandbox::{Block, CallError, CallMeta, CallOutput, CallStats, LoadedComponent, Registry, Sandbox, ToolInfo};
use crate::tenant::{Catalog, Scope};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ProgressToken, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Shared by every MCP session of the process.
pub struct McpCore {
    pub sandbox: Sandbox,
    /// Components and tenants; swapped whole on reload.
    catalog: RwLock<Arc<Catalog>>,
    /// The tenant of callers without one (stdio, authentication off).
    pub tenant: String,
    /// Only tools annotated read-only are listed and callable.
    pub read_only: bool,
    cache: ResultCache,
    /// Authorization, audit and call metrics (see `frontdoor`).
    pub frontdoor: Arc<FrontDoor>,
}

impl McpCore {
    /// A core without tenants: every caller sees every component.
    pub fn new(sandbox: Sandbox, registry: Registry, tenant: String, read_only: bool) -> Self {
        let catalog =
            Catalog { base: Scope::without_tenants(registry, read_only), tenants: Default::default(), epoch: 0 };
        Self::with_catalog(sandbox, catalog, tenant, read_only)
    }

    pub fn with_catalog(sandbox: Sandbox, catalog: Catalog, tenant: String, read_only: bool) -> Self {
        let frontdoor = Arc::new(FrontDoor::open(&tenant));
        let catalog = RwLock::new(Arc::new(catalog));
        Self { sandbox, catalog, tenant, read_only, cache: ResultCache::default(), frontdoor }
    }

    /// The current components and tenants.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serve `catalog` from now on; calls in flight keep the old one.
    pub fn replace_catalog(&self, mut catalog: Catalog) {
        let mut current = self.catalog.write().unwrap_or_else(|e| e.into_inner());
        catalog.epoch = current.epoch + 1;
        *current = Arc::new(catalog);
    }

    /// Use this front door's authorization and audit for tool calls.
    pub fn with_frontdoor(mut self, frontdoor: Arc<FrontDoor>) -> Self {
        self.frontdoor = frontdoor;
        self
    }

    /// The tenant of `identity` (the default one over stdio).
    fn tenant_of(&self, identity: Option<&crate::frontdoor::Identity>) -> String {
        identity.map_or_else(|| self.tenant.clone(), |i| i.tenant.clone())
    }

    /// Tools `identity` may see (all of its tenant's over stdio).
    fn visible_tools(&self, identity: Option<&crate::frontdoor::Identity>) -> Result<Vec<Tool>, ErrorData> {
        let catalog = self.catalog();
        let scope = catalog.scope(&self.tenant_of(identity)).map_err(|m| calls::unknown_tenant(&m))?;
        Ok(scope
            .tools
            .iter()
            .filter(|t| match scope.registry.lookup(&t.name) {
                Some((c, info)) => {
                    calls::allows(&self.frontdoor, identity, &c.name, &t.name, info.annotations.read_only)
                }
                None => false,
            })
            .cloned()
            .collect())
    }
}

/// How long a call waits for one of its tenant's slots before it is refused.
const TENANT_ADMISSION_WAIT: Duration = Duration::from_secs(10);

/// Cheap to clone; one per session.
#[derive(Clone)]
pub struct McpHandler {
    core: Arc<McpCore>,
}

impl McpHandler {
    pub fn new(core: Arc<McpCore>) -> Self {
        Self { core }
    }
}

pub(crate) fn to_mcp_tool(info: &ToolInfo) -> Tool {
    let a = &info.annotations;
    let mut annotations = ToolAnnotations::new()
        .read_only(a.read_only)
        .destructive(a.destructive)
        .idempotent(a.idempotent)
        .open_world(a.open_world);
    annotations.title = info.title.clone();
    let mut tool = Tool::new(info.name.clone(), info.description.clone(), Arc::new(info.input_schema.clone()))
        .with_annotations(annotations);
    if let Some(title) = &info.title {
        tool = tool.with_title(title.clone());
    }
    if let Some(schema) = &info.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(schema.clone()));
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
        let identity = calls::identity_of(&context);
        Ok(ListToolsResult::with_all_items(self.core.visible_tools(identity.as_ref())?))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.core.catalog().base.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let identity = calls::identity_of(&context);
        let catalog = self.core.catalog();
        let tenant = self.core.tenant_of(identity.as_ref());
        let scope = catalog.scope(&tenant).map_err(|m| calls::unknown_tenant(&m))?;
        // A tool the tenant may not see does not exist for it, even by name.
        let Some((component, tool)) = scope.registry.lookup(&name) else {
            return Err(ErrorData::invalid_params(format!("unknown tool `{name}`"), None));
        };
        if self.core.read_only && !tool.annotations.read_only {
            let message = format!("denied: the server is in read-only mode and `{name}` may change state");
            return Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into());
        }
        let arguments = request.arguments.unwrap_or_default();
        let request_id = request_id_text(&context);
        let audit =
            CallScope::begin(&self.core.frontdoor, identity.as_ref(), &component.name, &name, &request_id, &arguments)
                .tagged(scope.audit_tag.as_deref());
        if !calls::allows(&self.core.frontdoor, identity.as_ref(), &component.name, &name, tool.annotations.read_only) {
            tracing::info!(tool = %name, subject = identity.as_ref().map(|i| i.subject.as_str()), "tool call denied");
            audit.finish("denied", None, CallStats::default()).await;
            return Err(calls::forbidden(&name));
        }
        if let Some(rate) = &scope.rate
            && rate.check().is_err()
        {
            tracing::info!(tool = %name, tenant = %tenant, "tool call refused: tenant rate limit");
            audit.finish("rate_limited", None, CallStats::default()).await;
            return Err(calls::tenant_rate_limited(&tenant));
        }
        if let Some(meter) = &scope.fuel_meter
            && let Err(secs) = meter.admit()
        {
            let message = format!(
                "tenant `{tenant}` used its fuel budget of {} units per minute; retry in {secs} s",
                meter.budget()
            );
            audit.finish("rate_limited", None, CallStats::default()).await;
            return Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into());
        }
        let credentials = crate::tenant::credentials::from_headers(
            calls::headers_of(&context),
            component,
            &scope.request_credentials,
            &tenant,
        );
        let credentials = match credentials {
            Ok(c) => c,
            Err(message) => {
                audit.finish("denied", None, CallStats::default()).await;
                return Err(ErrorData::invalid_params(message, None));
            }
        };
        let component: &LoadedComponent = credentials.as_ref().map_or(&**component, |c| &c.component);
        let meta = CallMeta {
            tenant_id: tenant.clone(),
            request_id,
            caller: identity.as_ref().filter(|i| i.is_authenticated()).map(|i| i.subject.clone()),
            roles: identity.as_ref().filter(|i| i.is_authenticated()).map(|i| i.roles.clone()).unwrap_or_default(),
            kube: scope.kube.clone().map(crate::sandbox::invoke::KubeView),
        };
        let ttl = tool.annotations.read_only.then(|| component.policy.cache_ttl_for(&tool.local_name)).flatten();
        let cache_key = ttl.map(|_| {
            let generation = component.generation.load(Ordering::Acquire);
            let own = credentials.as_ref().map_or("", |c| c.digest.as_str());
            let tool_key = format!("{name}@{}.{generation}#{own}", catalog.epoch);
            ResultCache::key(&meta.tenant_id, meta.caller.as_deref(), &tool_key, &arguments)
        });
        if let Some(key) = &cache_key
            && let Some(hit) = self.core.cache.get(key).await
        {
            tracing::info!(tool = %name, "tool call served from cache");
            crate::frontdoor::metrics::get().cache.with_label_values(&["hit"]).inc();
            audit.finish(if hit.is_error { "tool_error" } else { "cached" }, None, CallStats::default()).await;
            return Ok(to_result(hit).into());
        }
        if cache_key.is_some() {
            crate::frontdoor::metrics::get().cache.with_label_values(&["miss"]).inc();
        }
        // Cache hits do not wait for one of the tenant's slots.
        let _tenant_slot = match &scope.gate {
            Some((gate, cap)) => {
                match tokio::time::timeout(TENANT_ADMISSION_WAIT, gate.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => Some(permit),
                    _ => {
                        let e = CallError::Busy(*cap);
                        audit.finish("error", Some(&e), CallStats::default()).await;
                        return Ok(error_result(&e).into());
                    }
                }
            }
            None => None,
        };
        let arguments = serde_json::Value::Object(arguments).to_string();
        let (sink, forwarder) = progress_forwarder(context.meta.get_progress_token(), &context);
        let started = Instant::now();
        let (outcome, stats) = self
            .core
            .sandbox
            .call_measured(component, &tool.local_name, arguments, meta, sink, context.ct.clone())
            .await;
        if let Some(meter) = &scope.fuel_meter {
            meter.charge(stats.fuel_used);
        }
        if let Some(task) = forwarder {
            // The sender was dropped with the store: the forwarder drains and ends.
            let _ = task.await;
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(out) => {
                tracing::info!(tool = %name, elapsed_ms, is_error = out.is_error, "tool call");
                if let (Some(key), Some(ttl), false) = (cache_key, ttl, out.is_error) {
                    self.core.cache.insert(key, out.clone(), ttl).await;
                }
                if !tool.annotations.read_only {
                    component.generation.fetch_add(1, Ordering::AcqRel);
                }
                audit.finish(if out.is_error { "tool_error" } else { "ok" }, None, stats).await;
                Ok(to_result(out).into())
            }
            Err(e) if e.is_protocol_error() => {
                audit.finish("error", Some(&e), stats).await;
                Err(ErrorData::invalid_params(e.to_string(), None))
            }
            Err(e) => {
                tracing::warn!(tool = %name, elapsed_ms, "tool call failed: {e}");
                audit.finish("error", Some(&e), stats).await;
                Ok(error_result(&e).into())
            }
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

fn error_result(e: &CallError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(e.to_string())])
}

fn request_id_text(context: &RequestContext<RoleServer>) -> String {
    match serde_json::to_value(&context.id) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}
