//! Loading components: find every `*.wasm` in a components folder (and one
//! level below); for each, check its pin and signature, compile its policy,
//! apply the operator's overrides and grants, compile it once into an
//! `InstancePre`, and ask it for its tools within its limits. A component
//! that fails any step is left out with the cause logged and counted
//! (`k8s_mcp_component_load_failures_total`), unless `sandbox.strict`.
//!
//! From a tenant's folder ([`Origin::Tenant`]) the manifest is untrusted: it
//! may not name environment variables, its settings are ignored (the
//! tenant's section supplies them), its limits are capped at the defaults,
//! and it grants itself nothing (see `tenant::variant` for what the tenant's
//! section grants).

use super::{Failure, LoadedComponent, Origin, Registry, ToolInfo};
use crate::config::{ComponentConfig, LoadRules};
use crate::error::{Error, Result};
use crate::host::bindings::{ToolProviderPre, types};
use crate::host::http::resilience::Breakers;
use crate::host::http::{TlsRouting, tls};
use crate::policy::egress::Origin as EgressOrigin;
use crate::policy::{ComponentSettings, EgressPolicy, Grant, Grants, HostRule, Limits, Policy};
use crate::sandbox::{CallError, Sandbox};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use wasmtime::component::Component;

/// Why one component could not be loaded.
struct Refused {
    name: String,
    cause: &'static str,
    error: Error,
}

fn stage<'a>(name: &'a str, cause: &'static str) -> impl Fn(Error) -> Refused + 'a {
    move |error| Refused { name: name.to_string(), cause, error }
}

pub(super) async fn load_dir(
    sandbox: &Sandbox,
    dir: &Path,
    overrides: &BTreeMap<String, ComponentConfig>,
    origin: Origin,
) -> Result<Registry> {
    let files = discover(dir)?;
    if files.is_empty() && origin == Origin::Operator {
        return Err(Error::invalid(
            "components",
            format!("no *.wasm components found in {} (build them with `just components`)", dir.display()),
        ));
    }
    let mut registry = Registry::default();
    for path in files {
        let loaded = load_one(sandbox, &path, overrides, origin).await.and_then(|c| {
            let name = c.name.to_string();
            registry.add(c).map_err(|error| Refused { name, cause: "duplicate", error })
        });
        let Err(refused) = loaded else { continue };
        if sandbox.load_rules.strict {
            return Err(refused.error);
        }
        registry.failed.push(Failure::record(refused.name, path, refused.cause, &refused.error));
    }
    for name in overrides.keys() {
        let loaded = registry.components.iter().any(|c| &*c.name == name);
        if !loaded && !registry.failed.iter().any(|f| &f.name == name) {
            return Err(Error::invalid(
                format!("components.{name}"),
                format!("no component named `{name}` in {}", dir.display()),
            ));
        }
    }
    Ok(registry)
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
    Ok(files)
}

async fn load_one(
    sandbox: &Sandbox,
    path: &Path,
    overrides: &BTreeMap<String, ComponentConfig>,
    origin: Origin,
) -> std::result::Result<LoadedComponent, Refused> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().replace('-', "_")).unwrap_or_default();
    let policy_path = path.with_file_name(format!("{stem}.policy.toml"));
    let mut policy = Policy::load(&policy_path, &stem).map_err(stage(&stem, "manifest"))?;
    let name = policy.name.clone();
    let on = |cause| stage(&name, cause);
    let mut warnings = Vec::new();
    if origin == Origin::Tenant {
        untrusted_manifest(&mut policy, &policy_path, &mut warnings).map_err(on("manifest"))?;
    }
    let manifest = Arc::new(policy.clone());
    let bytes = std::fs::read(path).map_err(|e| Error::Io(path.display().to_string(), e)).map_err(on("integrity"))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let own = overrides.get(&name);
    let pin = own.and_then(|o| o.sha256.as_deref());
    let signed =
        crate::sandbox::integrity::admit(&sandbox.trust, &name, path, &digest, pin).map_err(on("integrity"))?;
    let no_env = |_: &str| None;
    let process_env = |var: &str| std::env::var(var).ok();
    let env: &dyn Fn(&str) -> Option<String> = if origin == Origin::Tenant { &no_env } else { &process_env };
    let configured = configure(&name, &policy, own, env).map_err(on("config"))?;
    policy.limits = configured.limits;
    policy.tool_limits = configured.tool_limits;
    let grants = operator_grants(sandbox, &name, own, origin).map_err(on("config"))?;
    let grants = match &policy.requested {
        Some(requested) => grants.intersect(requested),
        None => grants,
    };
    let component = Component::new(sandbox.engine(), &bytes)
        .map_err(|e| Error::component(&name, format!("{e:#}")))
        .map_err(on("compile"))?;
    for grant in imported(sandbox, &component) {
        if !grants.contains(grant) {
            let w = format!("imports `{grant}` but is not granted it: those calls will be denied");
            tracing::warn!(component = %name, "{w}");
            warnings.push(w);
        }
    }
    let pre = sandbox
        .linker
        .instantiate_pre(&component)
        .map_err(|e| Error::component(&name, format!("cannot link (does it target world tool-provider?): {e:#}")))
        .map_err(on("link"))?;
    let pre = ToolProviderPre::new(pre)
        .map_err(|e| Error::component(&name, format!("does not export tools: {e:#}")))
        .map_err(on("link"))?;
    let (egress, settings, tls) = (configured.egress, configured.settings, configured.tls);
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
        overrides: own.cloned(),
        grants,
        origin,
        warnings,
        pre,
        tools: Vec::new(),
    };
    let descriptors = sandbox.describe(&loaded).await.map_err(|e| Refused {
        name: name.clone(),
        cause: describe_cause(&e),
        error: Error::component(&name, format!("list-tools: {e}")),
    })?;
    loaded.tools = descriptors_within(&name, descriptors, sandbox.load_rules)?;
    Ok(loaded)
}

fn describe_cause(e: &CallError) -> &'static str {
    match e {
        CallError::FuelExhausted { .. } => "fuel",
        CallError::MemoryLimit { .. } => "memory",
        CallError::Deadline { .. } => "deadline",
        _ => "trap",
    }
}

/// The descriptors as tools, within the configured bounds.
fn descriptors_within(
    name: &str,
    descriptors: Vec<types::ToolDescriptor>,
    rules: LoadRules,
) -> std::result::Result<Vec<ToolInfo>, Refused> {
    let refuse =
        |cause, message: String| Refused { name: name.to_string(), cause, error: Error::component(name, message) };
    if descriptors.len() > rules.max_tools {
        let message =
            format!("declares {} tools, more than sandbox.max_tools = {}", descriptors.len(), rules.max_tools);
        return Err(refuse("too_many_tools", message));
    }
    let bytes: usize = descriptors
        .iter()
        .map(|d| {
            d.name.len() + d.description.len() + d.input_schema.len() + d.output_schema.as_ref().map_or(0, String::len)
        })
        .sum();
    if bytes > rules.max_descriptor_bytes {
        let limit = rules.max_descriptor_bytes;
        let message =
            format!("declares {bytes} bytes of tool descriptors, more than sandbox.max_descriptor_bytes = {limit}");
        return Err(refuse("descriptor_bytes", message));
    }
    descriptors.into_iter().map(|d| tool_info(name, d)).collect::<Result<_>>().map_err(stage(name, "descriptor"))
}

/// What the operator grants a component before its manifest's request:
/// `[components.<c>] grants` when given; otherwise the baseline, plus `kube`
/// for the `kubernetes` and `helm` services (Helm releases live in the
/// cluster) and `kube` + `helm` for the components `[helm] components` names. A tenant's component gets only the baseline
/// here; its tenant section decides the rest (`tenant::variant`).
fn operator_grants(sandbox: &Sandbox, name: &str, own: Option<&ComponentConfig>, origin: Origin) -> Result<Grants> {
    if origin == Origin::Tenant {
        return Ok(Grants::baseline());
    }
    if let Some(list) = own.and_then(|o| o.grants.as_ref()) {
        return Grants::parse(list).map_err(|e| Error::invalid(format!("components.{name}.grants"), e));
    }
    let mut grants = Grants::baseline();
    if name == "kubernetes" || name == "helm" {
        grants = grants.with(Grant::Kube);
    }
    if sandbox.helm.as_ref().is_some_and(|h| h.grants_to(name)) {
        grants = grants.with(Grant::Helm).with(Grant::Kube);
    }
    Ok(grants)
}

/// The runtime capabilities a compiled component imports.
fn imported(sandbox: &Sandbox, component: &Component) -> Vec<Grant> {
    let ty = component.component_type();
    let mut grants: Vec<Grant> = ty.imports(sandbox.engine()).filter_map(|(name, _)| Grant::of_import(name)).collect();
    grants.sort();
    grants.dedup();
    grants
}

/// A tenant's manifest may request and narrow, never grant: environment
/// variables are refused, settings dropped, limits capped at the defaults.
fn untrusted_manifest(policy: &mut Policy, path: &Path, warnings: &mut Vec<String>) -> Result<()> {
    if let Some(b) = &policy.backend
        && (!b.env.is_empty() || !b.secret_env.is_empty())
    {
        return Err(Error::invalid(
            format!("{}: backend.env", path.display()),
            "a tenant's component may not name environment variables of the server",
        ));
    }
    if !policy.settings.is_empty() {
        warnings.push("manifest settings ignored: a tenant's section supplies its settings".into());
        policy.settings.clear();
    }
    // The manifest's egress rules are a request: the tenant's section grants.
    policy.requested_egress = Some(std::mem::take(&mut policy.egress.rules));
    let cap = Limits::default();
    policy.limits = policy.limits.capped_by(cap);
    for l in policy.tool_limits.values_mut() {
        *l = l.capped_by(cap);
    }
    Ok(())
}

/// A component's egress, settings, TLS routing and limits after the
/// operator's overrides and the backend's environment variables.
pub struct Configured {
    pub egress: EgressPolicy,
    pub settings: ComponentSettings,
    pub tls: TlsRouting,
    pub limits: crate::policy::Limits,
    pub tool_limits: BTreeMap<String, crate::policy::Limits>,
}

/// Apply the operator's `[components.<name>]` overrides to the manifest's
/// policy, then the backend's environment (`env`), granting egress to the
/// configured backend origin.
pub fn configure(
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
                parsed.filter_map(|u| EgressOrigin::of_url(&u).ok()).map(|o| o.to_string()).collect()
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
        input_schema: Arc::new(input_schema),
        output_schema: output_schema.map(Arc::new),
        annotations: d.annotations.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_toml;
    use crate::policy::PolicyDocument;

    fn manifest(text: &str) -> Policy {
        Policy::compile(&parse_toml::<PolicyDocument>(text, "m.toml").unwrap(), "svc", "m.toml").unwrap()
    }

    #[test]
    fn an_untrusted_manifest_names_no_environment() {
        for text in [
            "[backend]\nurl_setting = \"url\"\nenv = { url = \"OTHER_TENANT_URL\" }\n",
            "[backend]\nurl_setting = \"url\"\nsecret_env = { token = \"OTHER_TENANT_TOKEN\" }\n",
        ] {
            let mut p = manifest(text);
            let err = untrusted_manifest(&mut p, Path::new("t/svc.policy.toml"), &mut Vec::new()).unwrap_err();
            assert!(err.to_string().contains("environment variables"), "{err}");
        }
        let mut ok = manifest("[backend]\nurl_setting = \"url\"\n");
        assert!(untrusted_manifest(&mut ok, Path::new("p"), &mut Vec::new()).is_ok());
    }

    #[test]
    fn an_untrusted_manifest_grants_itself_nothing() {
        let mut p = manifest(
            "[limits]\nfuel = 1_000_000_000_000_000\ntimeout_ms = 86_400_000\nmemory_mb = 4096\n\
             [tools.t.limits]\nfuel = 1_000_000_000_000_000\n\
             [http]\nallow = [\"http://127.0.0.1:9464\", \"http://169.254.169.254\"]\n\
             [settings]\ntls_key_file = \"/etc/k8s-mcp/client.key\"\n",
        );
        let mut warnings = Vec::new();
        untrusted_manifest(&mut p, Path::new("p"), &mut warnings).unwrap();
        let d = Limits::default();
        assert_eq!(p.limits, d, "limits capped at the defaults");
        assert_eq!(p.limits_for("t"), d);
        assert!(p.egress.rules.is_empty(), "manifest egress is no grant");
        assert_eq!(p.requested_egress.as_ref().map(Vec::len), Some(2), "kept only as a request");
        assert!(p.settings.is_empty() && !warnings.is_empty(), "settings (and file paths in them) dropped");
        // Narrower limits stay narrower.
        let mut small = manifest("[limits]\nfuel = 1000\n");
        untrusted_manifest(&mut small, Path::new("p"), &mut Vec::new()).unwrap();
        assert_eq!(small.limits.fuel, 1000);
    }

    fn descriptor(name: &str, description_len: usize) -> types::ToolDescriptor {
        types::ToolDescriptor {
            name: name.into(),
            title: None,
            description: "d".repeat(description_len),
            input_schema: "{}".into(),
            output_schema: None,
            annotations: types::Annotations {
                read_only: true,
                destructive: false,
                idempotent: true,
                open_world: false,
            },
        }
    }

    #[test]
    fn descriptors_are_bounded_in_count_and_bytes() {
        let rules = LoadRules { strict: false, max_tools: 3, max_descriptor_bytes: 1024 };
        assert_eq!(
            descriptors_within("svc", vec![descriptor("a", 10), descriptor("b", 10)], rules).ok().map(|t| t.len()),
            Some(2)
        );
        let many: Vec<_> = (0..20_000).map(|i| descriptor(&format!("t{i}"), 0)).collect();
        let err = descriptors_within("svc", many, rules).err().unwrap();
        assert_eq!(err.cause, "too_many_tools");
        let err = descriptors_within("svc", vec![descriptor("big", 4096)], rules).err().unwrap();
        assert_eq!(err.cause, "descriptor_bytes");
        let err = descriptors_within("svc", vec![descriptor("Bad Name", 1)], rules).err().unwrap();
        assert_eq!(err.cause, "descriptor");
    }

    #[test]
    fn load_failures_are_labelled_by_cause() {
        assert_eq!(describe_cause(&CallError::FuelExhausted { budget: 1 }), "fuel");
        assert_eq!(describe_cause(&CallError::MemoryLimit { bytes: 1 }), "memory");
        assert_eq!(describe_cause(&CallError::Deadline { timeout: std::time::Duration::from_millis(1) }), "deadline");
        assert_eq!(describe_cause(&CallError::Trap("x".into())), "trap");
    }
}
