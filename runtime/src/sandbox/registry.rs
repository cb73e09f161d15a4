//! Loading components: find every `*.wasm` in the components directory (and
//! one level below), compile it once into an `InstancePre`, compile its
//! policy, apply the operator's overrides, and ask it for its tools.

use super::Sandbox;
use crate::config::ComponentConfig;
use crate::error::{Error, Result};
use crate::host::bindings::{ToolProviderPre, types};
use crate::host::http::resilience::Breakers;
use crate::host::http::{TlsRouting, tls};
use crate::policy::ComponentSettings;
use crate::policy::egress::Origin;
use crate::policy::{EgressPolicy, HostRule, Policy, validate_service_name};
use crate::sandbox::HostState;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use wasmtime::component::Component;

/// MCP-visible description of one tool.
#[derive(Debug, Clone)]
pub struct ToolInfo {
    /// `<service>_<tool>`, the name clients call.
    pub name: String,
    /// The component-local name.
    pub local_name: String,
    pub title: Option<String>,
    pub description: String,
    pub input_schema: Map<String, Value>,
    pub output_schema: Option<Map<String, Value>>,
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
    pub pre: ToolProviderPre<HostState>,
    pub tools: Vec<ToolInfo>,
}

/// All loaded components and a name index over their tools.
#[derive(Default)]
pub struct Registry {
    components: Vec<Arc<LoadedComponent>>,
    index: BTreeMap<String, (usize, usize)>,
}

impl Registry {
    /// Load every component under `dir`.
    pub async fn load(sandbox: &Sandbox, dir: &Path, overrides: &BTreeMap<String, ComponentConfig>) -> Result<Self> {
        let files = discover(dir)?;
        let mut registry = Self::default();
        for path in files {
            let component = load_one(sandbox, &path, overrides).await?;
            registry.add(component)?;
        }
        for name in overrides.keys() {
            if !registry.components.iter().any(|c| &*c.name == name) {
                return Err(Error::invalid(
                    format!("components.{name}"),
                    format!("no component named `{name}` in {}", dir.display()),
                ));
            }
        }
        Ok(registry)
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

/// `DIR/*.wasm` and `DIR/*/*.wasm`, sorted, skipping build output folders.
fn discover(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = |d: &Path| std::fs::read_dir(d).map_err(|e| Error::Io(d.display().to_string(), e));
    let mut files = Vec::new();
    for entry in read(dir)? {
        let path = entry.map_err(|e| Error::Io(dir.display().to_string(), e))?.path();
        if path.is_dir() {
            let skip = path.file_name().is_some_and(|n| n == "target" || n.to_string_lossy().starts_with('.'));
            if skip {
                continue;
            }
            for inner in read(&path)? {
                let inner = inner.map_err(|e| Error::Io(path.display().to_string(), e))?.path();
                if inner.extension().is_some_and(|e| e == "wasm") && inner.is_file() {
                    files.push(inner);
                }
            }
        } else if path.extension().is_some_and(|e| e == "wasm") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::invalid(
            "components",
            format!("no *.wasm components found in {} (build them with `just components`)", dir.display()),
        ));
    }
    Ok(files)
}

async fn load_one(
    sandbox: &Sandbox,
    path: &Path,
    overrides: &BTreeMap<String, ComponentConfig>,
) -> Result<LoadedComponent> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().replace('-', "_")).unwrap_or_default();
    let policy_path = path.with_file_name(format!("{stem}.policy.toml"));
    let mut policy = Policy::load(&policy_path, &stem)?;
    let manifest = Arc::new(policy.clone());
    let name = policy.name.clone();
    let bytes = std::fs::read(path).map_err(|e| Error::Io(path.display().to_string(), e))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let pin = overrides.get(&name).and_then(|o| o.sha256.as_deref());
    let signed = super::integrity::admit(&sandbox.trust, &name, path, &digest, pin)?;
    let configured = configure(&name, &policy, overrides.get(&name), &|var| std::env::var(var).ok())?;
    policy.limits = configured.limits;
    policy.tool_limits = configured.tool_limits;
    let (egress, settings, tls) = (configured.egress, configured.settings, configured.tls);
    validate_service_name(&name)
        .map_err(|m| Error::invalid(format!("{}: name", policy_path.display()), m.to_string()))?;
    let component = Component::new(sandbox.engine(), &bytes).map_err(|e| Error::component(&name, format!("{e:#}")))?;
    let pre = sandbox
        .linker
        .instantiate_pre(&component)
        .map_err(|e| Error::component(&name, format!("cannot link (does it target world tool-provider?): {e:#}")))?;
    let pre =
        ToolProviderPre::new(pre).map_err(|e| Error::component(&name, format!("does not export tools: {e:#}")))?;
    let mut loaded = LoadedComponent {
        name: Arc::from(name.as_str()),
        path: path.to_path_buf(),
        digest,
        signed,
        policy,
        egress: Arc::new(egress),
        settings: Arc::new(settings),
        breakers: Arc::new(Breakers::default()),
        tls: Arc::new(tls),
        generation: Arc::new(AtomicU64::new(0)),
        manifest,
        overrides: overrides.get(&name).cloned(),
        pre,
        tools: Vec::new(),
    };
    let descriptors =
        sandbox.describe(&loaded).await.map_err(|e| Error::component(&name, format!("list-tools: {e}")))?;
    loaded.tools = descriptors.into_iter().map(|d| tool_info(&name, d)).collect::<Result<_>>()?;
    Ok(loaded)
}

/// A component's egress, settings, TLS routing and limits after the
/// operator's overrides and the backend's environment variables.
pub(crate) struct Configured {
    pub egress: EgressPolicy,
    pub settings: ComponentSettings,
    pub tls: TlsRouting,
    pub limits: crate::policy::Limits,
    pub tool_limits: BTreeMap<String, crate::policy::Limits>,
}

/// Apply the operator's `[components.<name>]` overrides to the manifest's
/// policy, then the backend's environment (`env`), granting egress to the
/// configured backend origin.
pub(crate) fn configure(
    name: &str,
    policy: &Policy,
    overrides: Option<&ComponentConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Configured> {
    let mut egress = policy.egress.clone();
    let mut settings = ComponentSettings { settings: policy.settings.clone(), secrets: BTreeMap::new() };
    let mut limits = policy.limits;
    let mut tool_limits = policy.tool_limits.clone();
    if let Some(o) = overrides {
        for (i, rule) in o.allow_http.iter().enumerate() {
            let rule =
                HostRule::parse(rule).map_err(|m| Error::invalid(format!("components.{name}.allow_http[{i}]"), m))?;
            egress.allow(rule);
        }
        settings.settings.extend(o.settings.clone());
        settings.secrets.extend(o.secrets.clone());
        let key = format!("components.{name}.limits");
        limits = o.limits.apply(limits, &key)?;
        for l in tool_limits.values_mut() {
            *l = o.limits.apply(*l, &key)?;
        }
    }
    let mut tls = TlsRouting::default();
    if let Some(backend) = &policy.backend {
        crate::policy::backend::apply(name, backend, &mut settings, &mut egress, env)?;
        tls.backend = tls::backend_config(&settings.settings)
            .map_err(|(key, m)| Error::invalid(format!("components.{name}.settings.{key}"), m))?;
        tls.backend_origins = settings
            .settings
            .get(&backend.url_setting)
            .map(|urls| {
                let parsed = urls.split(',').filter_map(|u| url::Url::parse(u.trim()).ok());
                parsed.filter_map(|u| Origin::of_url(&u).ok()).map(|o| o.to_string()).collect()
            })
            .unwrap_or_default();
    }
    Ok(Configured { egress, settings, tls, limits, tool_limits })
}

fn tool_info(service: &str, d: types::ToolDescriptor) -> Result<ToolInfo> {
    let valid = !d.name.is_empty()
        && d.name.len() <= 64
        && d.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(Error::component(service, format!("tool name `{}` must be 1-64 chars of a-z, 0-9, `_`", d.name)));
    }
    let object = |what: &str, text: &str| -> Result<Map<String, Value>> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(Error::component(service, format!("tool `{}`: {what} is not a JSON object", d.name))),
        }
    };
    let mut input_schema = object("input schema", &d.input_schema)?;
    input_schema.entry("type").or_insert_with(|| Value::from("object"));
    let output_schema = d.output_schema.as_deref().map(|s| object("output schema", s)).transpose()?;
    Ok(ToolInfo {
        name: format!("{service}_{}", d.name),
        local_name: d.name,
        title: d.title,
        description: d.description,
        input_schema,
        output_schema,
        annotations: d.annotations.into(),
    })
}
