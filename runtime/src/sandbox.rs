//! The per-call sandbox: one engine and linker for the process, each
//! component compiled once into an `InstancePre`, a fresh `Store` with its
//! own limits for every tool call.

pub mod engine;
pub mod integrity;
pub mod invoke;
pub mod limits;
pub mod registry;
pub mod store;

use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::Linker;

pub use store::HostState;

pub use invoke::{Block, CallError, CallMeta, CallOutput, CallStats};
pub use registry::{LoadedComponent, Registry, ToolInfo};

/// Engine, linker and the admission gate for concurrent calls.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) engine: Engine,
    pub(crate) linker: Arc<Linker<HostState>>,
    pub(crate) in_flight: Arc<Semaphore>,
    pub(crate) max_in_flight: usize,
    pub(crate) kube: Option<Arc<crate::kube::KubeService>>,
    pub(crate) helm: Option<Arc<crate::host::helm::HelmService>>,
    /// Digest pins and signature keys checked when components load.
    pub(crate) trust: Arc<integrity::Trust>,
    /// Quarantine or fail, and descriptor bounds, when components load.
    pub(crate) load_rules: crate::config::LoadRules,
}

impl Sandbox {
    /// Build the engine (optionally with an on-disk compilation cache) and
    /// the linker that provides WASI, policy-checked wasi:http and the
    /// runtime's own host capabilities.
    pub fn new(cache_dir: Option<&Path>, max_in_flight: usize) -> Result<Self> {
        let engine = engine::build(cache_dir, max_in_flight)?;
        engine::start_epoch_ticker(&engine);
        let linker = store::linker(&engine).map_err(|e| Error::Engine(format!("linker: {e:#}")))?;
        let max_in_flight = max_in_flight.max(1);
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            kube: None,
            helm: None,
            trust: Arc::default(),
            load_rules: Default::default(),
        })
    }

    /// Give calls access to Kubernetes through the `kube` capability.
    pub fn with_kube(mut self, kube: Option<Arc<crate::kube::KubeService>>) -> Self {
        self.kube = kube;
        self
    }

    /// Give components granted Helm access the `helm` capability.
    pub fn with_helm(mut self, helm: Option<Arc<crate::host::helm::HelmService>>) -> Self {
        self.helm = helm;
        self
    }

    /// Check components' signatures against these keys when loading.
    pub fn with_trust(mut self, trust: integrity::Trust) -> Self {
        self.trust = Arc::new(trust);
        self
    }

    /// Admit components under these rules (strict mode, descriptor bounds).
    pub fn with_load_rules(mut self, rules: crate::config::LoadRules) -> Self {
        self.load_rules = rules;
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}
