//! One tool call: a fresh `Store` with the tool's limits, instantiate from
//! the component's `InstancePre`, call, classify the outcome, drop the store.

use super::Sandbox;
use super::engine::ticks_for;
use super::registry::LoadedComponent;
use super::store::HostState;
use crate::host::CallEnv;
use crate::host::bindings::{ToolProvider, types};
use crate::host::kube::Session;
use crate::host::progress::ProgressUpdate;
use crate::policy::{Limits, redact};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wasmtime::{Store, Trap};

/// Fuel units a guest runs between yields to the async scheduler (a
/// fraction of a millisecond of guest compute; measured in docs/PERFORMANCE.md).
const FUEL_YIELD_INTERVAL: u64 = 500_000;
/// How long a call may wait for a free slot before the server answers busy.
const ADMISSION_WAIT: Duration = Duration::from_secs(10);
/// Extra wall-clock time past the epoch deadline before the host abandons a
/// call that is stuck inside a host function.
const HARD_DEADLINE_GRACE: Duration = Duration::from_secs(2);

/// Who is calling, filled in by the MCP layer.
#[derive(Debug, Clone, Default)]
pub struct CallMeta {
    pub tenant_id: String,
    pub request_id: String,
    pub caller: Option<String>,
    /// The caller's roles (authenticated callers only).
    pub roles: Vec<String>,
    /// The tenant's view of Kubernetes; `None`: the sandbox's.
    pub kube: Option<KubeView>,
}

/// A tenant's Kubernetes service, carried with a call.
#[derive(Clone)]
pub struct KubeView(pub Arc<crate::kube::KubeService>);

impl std::fmt::Debug for KubeView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KubeView")
    }
}

/// What a call cost, for metrics and the audit log.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallStats {
    /// Fuel units the guest consumed (0 when it never ran).
    pub fuel_used: u64,
    /// Time to instantiate the component, when it was instantiated.
    pub instantiation: Option<Duration>,
}

/// One content block of a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(String),
    /// Base64 of the image bytes, as MCP carries them.
    Image {
        mime_type: String,
        data: String,
    },
}

/// A successful tool result, with secrets already redacted.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutput {
    pub content: Vec<Block>,
    pub structured: Option<serde_json::Map<String, serde_json::Value>>,
    /// The guest reported a tool-level error (shown as an MCP `isError` result).
    pub is_error: bool,
}

/// Why a call produced no normal result. Messages are user-facing.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    #[error("tool exceeded its fuel budget of {budget} units")]
    FuelExhausted { budget: u64 },
    #[error("tool exceeded its deadline of {} ms", timeout.as_millis())]
    Deadline { timeout: Duration },
    #[error("tool exceeded its memory limit of {} MiB", bytes / (1024 * 1024))]
    MemoryLimit { bytes: usize },
    #[error("tool trapped: {0}")]
    Trap(String),
    #[error("tool output of {size} bytes exceeds the limit of {limit} bytes")]
    OutputTooLarge { size: usize, limit: usize },
    #[error("call cancelled by the client")]
    Cancelled,
    #[error("server busy: {0} calls already in flight")]
    Busy(usize),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Sandbox {
    /// Call `tool` (component-local name) of `component`; also reports what
    /// the call cost.
    pub async fn call_measured(
        &self,
        component: &LoadedComponent,
        tool: &str,
        arguments: String,
        meta: CallMeta,
        progress: Option<mpsc::UnboundedSender<ProgressUpdate>>,
        cancel: CancellationToken,
    ) -> (Result<CallOutput, CallError>, CallStats) {
        let mut stats = CallStats::default();
        let result = self.run_call(component, tool, arguments, meta, progress, cancel, &mut stats).await;
        (result, stats)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_call(
        &self,
        component: &LoadedComponent,
        tool: &str,
        arguments: String,
        meta: CallMeta,
        progress: Option<mpsc::UnboundedSender<ProgressUpdate>>,
        cancel: CancellationToken,
        stats: &mut CallStats,
    ) -> Result<CallOutput, CallError> {
        let _permit = tokio::time::timeout(ADMISSION_WAIT, self.in_flight.clone().acquire_owned())
            .await
            .map_err(|_| CallError::Busy(self.max_in_flight))?
            .map_err(|_| CallError::Internal("sandbox closed".into()))?;
        let limits = component.policy.limits_for(tool);
        let kube = match meta.kube.as_ref().map(|k| &k.0).or(self.kube.as_ref()) {
            Some(kube) => Some(kube.for_caller(meta.caller.as_deref(), &meta.roles).await),
            None => None,
        };
        let session = Arc::new(Session::new(kube));
        let call = Call { tool, request_id: &meta.request_id, tenant: &meta.tenant_id, kube: &session };
        let mut store = self.new_store(component, &call, limits, progress.as_ref(), &cancel);
        let context = types::CallContext {
            tenant_id: meta.tenant_id,
            request_id: meta.request_id,
            caller: meta.caller,
            deadline_ms: limits.timeout.as_millis() as u64,
        };
        let mut instantiation = None;
        let outcome = {
            let run = async {
                let started = Instant::now();
                let instance = component.pre.instantiate_async(&mut store).await?;
                instantiation = Some(started.elapsed());
                instance.k8s_mcp_tools_tools().call_call_tool(&mut store, tool, &arguments, &context).await
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => Err(CallError::Cancelled),
                r = tokio::time::timeout(limits.timeout + HARD_DEADLINE_GRACE, run) => {
                    r.map_err(|_| CallError::Deadline { timeout: limits.timeout })
                }
            }
        };
        stats.instantiation = instantiation;
        stats.fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let outcome = match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(err)) => return Err(classify_trap(err, &store, limits)),
            Err(e) => return Err(e),
        };
        finish(outcome, &store, limits.max_output_bytes)
    }

    /// Ask a component for its tool descriptors (once, at load time).
    pub(crate) async fn describe(&self, component: &LoadedComponent) -> Result<Vec<types::ToolDescriptor>, CallError> {
        let limits = component.policy.limits;
        let call = Call::detached("list-tools");
        let mut store = self.new_store(component, &call, limits, None, &CancellationToken::new());
        let run = async {
            let instance: ToolProvider = component.pre.instantiate_async(&mut store).await?;
            instance.k8s_mcp_tools_tools().call_list_tools(&mut store).await
        };
        match tokio::time::timeout(limits.timeout + HARD_DEADLINE_GRACE, run).await {
            Ok(Ok(tools)) => Ok(tools),
            Ok(Err(e)) => Err(classify_trap(e, &store, limits)),
            Err(_) => Err(CallError::Deadline { timeout: limits.timeout }),
        }
    }

    /// A store with the component's capabilities but effectively no limits
    /// (unbounded fuel, far deadline). For benchmarks and diagnostics only:
    /// tool calls go through [`Sandbox::call_measured`].
    pub fn bare_store(&self, component: &LoadedComponent) -> Store<HostState> {
        let limits = Limits {
            fuel: u64::MAX,
            timeout: Duration::from_secs(3600),
            memory_bytes: usize::MAX,
            max_output_bytes: usize::MAX,
        };
        self.new_store(component, &Call::detached("bare"), limits, None, &CancellationToken::new())
    }

    fn new_store(
        &self,
        component: &LoadedComponent,
        call: &Call<'_>,
        limits: Limits,
        progress: Option<&mpsc::UnboundedSender<ProgressUpdate>>,
        cancel: &CancellationToken,
    ) -> Store<HostState> {
        let env = CallEnv {
            service: &component.name,
            grants: &component.grants,
            tool: call.tool,
            request_id: call.request_id,
            tenant: call.tenant,
            settings: &component.settings,
            egress: &component.egress,
            breakers: &component.breakers,
            tls: &component.tls,
            kube: call.kube,
            helm: self.helm.as_ref(),
            progress,
            cancel,
        };
        let mut store = Store::new(&self.engine, HostState::new(&env, limits.memory_bytes));
        store.limiter(|s| &mut s.limiter);
        // Cannot fail: fuel consumption is enabled on the engine.
        let _ = store.set_fuel(limits.fuel);
        // A guest that computes hands its worker thread back to the
        // scheduler every slice, so one busy tenant cannot hold every
        // worker until its deadline (see docs/PERFORMANCE.md, fairness).
        let _ = store.fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL));
        store.set_epoch_deadline(ticks_for(limits.timeout));
        store.epoch_deadline_trap();
        store
    }
}

/// Who a store is for, besides its component.
struct Call<'a> {
    tool: &'a str,
    request_id: &'a str,
    tenant: &'a str,
    kube: &'a Arc<Session>,
}

impl Call<'static> {
    /// A store outside any tool call (loading, benchmarks): no tenant, no cluster.
    fn detached(tool: &'static str) -> Self {
        static NO_KUBE: std::sync::LazyLock<Arc<Session>> = std::sync::LazyLock::new(Arc::default);
        Self { tool, request_id: tool, tenant: "", kube: &NO_KUBE }
    }
}

fn classify_trap(err: wasmtime::Error, store: &Store<HostState>, limits: Limits) -> CallError {
    let data = store.data();
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            return CallError::FuelExhausted { budget: limits.fuel };
        }
        Some(Trap::Interrupt) => {
            return CallError::Deadline { timeout: limits.timeout };
        }
        _ => {}
    }
    if data.limiter.memory_hit {
        return CallError::MemoryLimit { bytes: limits.memory_bytes };
    }
    let stderr = String::from_utf8_lossy(&data.stderr.contents()).into_owned();
    let stderr = redact(stderr.trim(), &data.caps.config.settings);
    // Rust panics print `panicked at file:line:col:` and the message on the next line.
    let lines: Vec<&str> = stderr.lines().collect();
    let panic_line = match lines.iter().rposition(|l| l.contains("panicked")) {
        Some(i) => Some(lines[i..(i + 2).min(lines.len())].join(" ")),
        None => lines.last().map(|l| l.to_string()),
    };
    let cause = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{err:#}"),
    };
    match panic_line {
        Some(line) => CallError::Trap(format!("{cause}; guest said: {line}")),
        None => CallError::Trap(cause),
    }
}

fn finish(
    result: Result<types::ToolOutput, types::ToolError>,
    store: &Store<HostState>,
    max_output: usize,
) -> Result<CallOutput, CallError> {
    let data = store.data();
    let settings = &data.caps.config.settings;
    match result {
        Ok(out) => {
            let size = out
                .content
                .iter()
                .map(|c| match c {
                    types::ContentBlock::Text(t) | types::ContentBlock::Json(t) => t.len(),
                    types::ContentBlock::Image(i) => i.data.len(),
                })
                .sum::<usize>()
                + out.structured.as_ref().map_or(0, String::len);
            if size > max_output {
                return Err(CallError::OutputTooLarge { size, limit: max_output });
            }
            let mut content = Vec::with_capacity(out.content.len());
            for block in out.content {
                content.push(match block {
                    types::ContentBlock::Text(t) | types::ContentBlock::Json(t) => Block::Text(redact(&t, settings)),
                    types::ContentBlock::Image(i) => image_block(i)?,
                });
            }
            let structured = match out.structured {
                None => None,
                Some(s) => match serde_json::from_str::<serde_json::Value>(&redact(&s, settings)) {
                    Ok(serde_json::Value::Object(map)) => Some(map),
                    Ok(_) => {
                        return Err(CallError::Internal("structured output is not a JSON object".into()));
                    }
                    Err(e) => {
                        return Err(CallError::Internal(format!("structured output is not valid JSON: {e}")));
                    }
                },
            };
            Ok(CallOutput { content, structured, is_error: false })
        }
        Err(types::ToolError::UnknownTool(m)) => Err(CallError::UnknownTool(m)),
        Err(types::ToolError::InvalidArguments(m)) => Err(CallError::InvalidArguments(redact(&m, settings))),
        Err(e) => {
            let (kind, message) = match e {
                types::ToolError::NotFound(m) => ("not found", m),
                types::ToolError::Denied(m) => ("denied", m),
                types::ToolError::Upstream(m) => ("upstream error", m),
                types::ToolError::Cancelled(m) => ("cancelled", m),
                types::ToolError::Internal(m) => ("error", m),
                types::ToolError::UnknownTool(m) | types::ToolError::InvalidArguments(m) => ("error", m),
            };
            let mut message = format!("{kind}: {}", redact(&message, settings));
            if let Some(last) = data.http.last_denial() {
                message.push_str(&format!(" (egress: {last})"));
            }
            Ok(CallOutput { content: vec![Block::Text(message)], structured: None, is_error: true })
        }
    }
}

/// An image block, base64-encoded; anything but an `image/*` type is refused.
fn image_block(image: types::Image) -> Result<Block, CallError> {
    use base64::Engine;
    let mime = image.mime_type.trim().to_ascii_lowercase();
    let valid = mime
        .strip_prefix("image/")
        .is_some_and(|sub| !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)));
    if !valid {
        return Err(CallError::Internal(format!("image content with mime type `{mime}`, not image/*")));
    }
    let data = base64::engine::general_purpose::STANDARD.encode(&image.data);
    Ok(Block::Image { mime_type: mime, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(mime: &str) -> types::Image {
        types::Image { mime_type: mime.into(), data: vec![0x89, b'P', b'N', b'G'] }
    }

    #[test]
    fn image_blocks_are_base64_of_an_image_type() {
        let block = image_block(image("Image/PNG")).unwrap();
        assert_eq!(block, Block::Image { mime_type: "image/png".into(), data: "iVBORw==".into() });
        assert!(image_block(image("image/svg+xml")).is_ok());
        for bad in ["text/html", "image/", "image/png; charset=x", "application/octet-stream"] {
            assert!(image_block(image(bad)).is_err(), "{bad} must be refused");
        }
    }
}
