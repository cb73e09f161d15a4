//! The loaded components and the index over their tools. Loading itself
//! (discovery, integrity, policy, grants, compilation, descriptors, and
//! quarantine of what fails) is [`load`].

use super::Sandbox;
use crate::config::ComponentConfig;
use crate::error::{Error, Result};
use crate::host::bindings::{ToolProviderPre, types};

pub mod load;

use crate::host::http::TlsRouting;
use crate::host::http::resilience::Breakers;
use crate::policy::{ComponentSettings, EgressPolicy, Grants, Policy};
use crate::sandbox::HostState;
pub use load::{Configured, configure};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// MCP-visible description of one tool.
#[derive(Debug, Clone)]
pub struct ToolInfo {
    /// `<service>_<tool>`, the name clients call.
    pub name: String,
    /// The component-local name.
    pub local_name: String,
    pub title: Option<String>,
    pub description: String,
    /// Shared: tools/list hands them out without copying.
    pub input_schema: Arc<Map<String, Value>>,
    pub output_schema: Option<Arc<Map<String, Value>>>,
    pub annotations: Annotations,
}

/// MCP tool annotations, as the component declared them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

impl From<types::Annotations> for Annotations {
    fn from(a: types::Annotations) -> Self {
        Self { read_only: a.read_only, destructive: a.destructive, idempotent: a.idempotent, open_world: a.open_world }
    }
}

/// A compiled component ready to be instantiated per call.
pub struct LoadedComponent {
    pub name: Arc<str>,
    pub path: PathBuf,
    pub digest: String,
    /// A trusted key signed this component's digest.
    pub signed: bool,
    pub policy: Policy,
    pub egress: Arc<EgressPolicy>,
    pub settings: Arc<ComponentSettings>,
    pub breakers: Arc<Breakers>,
    pub tls: Arc<TlsRouting>,
    /// Bumped by every successful state-changing call; part of cache keys,
    /// so cached reads of this component never outlive a write.
    pub generation: Arc<AtomicU64>,
    /// The manifest's policy before any override (tenant variants start here).
    pub manifest: Arc<Policy>,
    /// The operator's `[components.<name>]` section, if any.
    pub overrides: Option<ComponentConfig>,
    /// Host capabilities this component may use.
    pub grants: Grants,
    /// Where it was found: the operator's folder or a tenant's.
    pub origin: Origin,
    /// Load-time findings worth showing (e.g. an import it was not granted).
    pub warnings: Vec<String>,
    pub pre: ToolProviderPre<HostState>,
    pub tools: Vec<ToolInfo>,
}

impl LoadedComponent {
    /// A copy sharing the compiled code, breakers and write generation,
    /// offering `tools` (tenant variants and per-request copies start here).
    pub fn with_tools(&self, tools: Vec<ToolInfo>) -> Self {
        Self {
            name: self.name.clone(),
            path: self.path.clone(),
            digest: self.digest.clone(),
            signed: self.signed,
            policy: self.policy.clone(),
            egress: self.egress.clone(),
            settings: self.settings.clone(),
            breakers: self.breakers.clone(),
            tls: self.tls.clone(),
            generation: self.generation.clone(),
            manifest: self.manifest.clone(),
            overrides: self.overrides.clone(),
            grants: self.grants.clone(),
            origin: self.origin,
            warnings: self.warnings.clone(),
            pre: self.pre.clone(),
            tools,
        }
    }
}

/// Who put a component where it was found. The operator's components
/// folder holds trusted manifests; a tenant's folder holds untrusted code
/// with untrusted manifests (docs/SECURITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Operator,
    Tenant,
}

/// A component left out at load time.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The service name when known, else the file stem.
    pub name: String,
    pub path: PathBuf,
    /// Short label (metric `cause`): `manifest`, `integrity`, `config`,
    /// `compile`, `link`, `fuel`, `memory`, `deadline`, `trap`,
    /// `descriptor`, `too_many_tools`, `descriptor_bytes`, `duplicate`.
    pub cause: &'static str,
    pub message: String,
}

impl Failure {
    /// A component left out: logged and counted
    /// (`k8s_mcp_component_load_failures_total{component,cause}`).
    pub fn record(name: String, path: PathBuf, cause: &'static str, error: &crate::error::Error) -> Self {
        tracing::error!(component = %name, path = %path.display(), cause, "component left out: {error}");
        crate::telemetry::get().load_failures.with_label_values(&[&name, cause]).inc();
        Self { name, path, cause, message: error.to_string() }
    }
}

/// All loaded components, a name index over their tools, and the
/// components that failed to load.
#[derive(Default)]
pub struct Registry {
    components: Vec<Arc<LoadedComponent>>,
    index: BTreeMap<String, (usize, usize)>,
    failed: Vec<Failure>,
}

impl Registry {
    /// Load every component under `dir` (the operator's folder).
    pub async fn load(sandbox: &Sandbox, dir: &Path, overrides: &BTreeMap<String, ComponentConfig>) -> Result<Self> {
        load::load_dir(sandbox, dir, overrides, Origin::Operator).await
    }

    /// Load a tenant's own components: untrusted manifests (see [`load`]).
    pub async fn load_tenant(sandbox: &Sandbox, dir: &Path) -> Result<Self> {
        load::load_dir(sandbox, dir, &BTreeMap::new(), Origin::Tenant).await
    }

    /// Components that could not be loaded, and why.
    pub fn failed(&self) -> &[Failure] {
        &self.failed
    }

    fn add(&mut self, component: LoadedComponent) -> Result<()> {
        self.add_shared(Arc::new(component))
    }

    /// Add an already loaded component (tenant views share them).
    pub(crate) fn add_shared(&mut self, component: Arc<LoadedComponent>) -> Result<()> {
        if let Some(other) = self.components.iter().find(|c| c.name == component.name) {
            return Err(Error::component(
                &*component.name,
                format!("both {} and {} use this service name", other.path.display(), component.path.display()),
            ));
        }
        let idx = self.components.len();
        for (t, tool) in component.tools.iter().enumerate() {
            if self.index.insert(tool.name.clone(), (idx, t)).is_some() {
                return Err(Error::component(&*component.name, format!("tool `{}` is defined twice", tool.name)));
            }
        }
        self.components.push(component);
        Ok(())
    }

    pub fn components(&self) -> &[Arc<LoadedComponent>] {
        &self.components
    }

    /// All tools, in component then declaration order.
    pub fn tools(&self) -> impl Iterator<Item = &ToolInfo> {
        self.components.iter().flat_map(|c| c.tools.iter())
    }

    /// Find the component and tool behind an exposed tool name.
    pub fn lookup(&self, name: &str) -> Option<(&Arc<LoadedComponent>, &ToolInfo)> {
        let (c, t) = *self.index.get(name)?;
        let component = &self.components[c];
        Some((component, &component.tools[t]))
    }
}
