//! `components list|inspect`: what each component offers and what its
//! effective policy allows, without serving.

use crate::cli::InspectArgs;
use crate::config::{ComponentConfig, read_file};
use crate::error::{Error, Result};
use crate::sandbox::{LoadedComponent, Registry, Sandbox};
use crate::tenant::Catalog;
use std::collections::BTreeMap;
use std::fmt::Write;

pub async fn run(args: &InspectArgs, detailed: bool) -> Result<()> {
    let file = match &args.config {
        Some(path) => Some(read_file(path)?),
        None => None,
    };
    let overrides: BTreeMap<String, ComponentConfig> = file.as_ref().map(|f| f.components.clone()).unwrap_or_default();
    let trust = match &file {
        Some(f) => crate::config::trust::Trust::parse(
            &f.sandbox.trusted_keys,
            f.sandbox.require_signatures.unwrap_or(false),
            "sandbox.trusted_keys",
        )?,
        None => Default::default(),
    };
    let helm = match &file {
        Some(f) => crate::host::helm::HelmService::new(&f.helm, &f.kubernetes)?,
        None => crate::host::helm::HelmService::new(&Default::default(), &Default::default())?,
    };
    let sandbox = Sandbox::new(None, 1)?.with_trust(trust).with_helm(Some(helm));
    let registry = Registry::load(&sandbox, &args.dir, &overrides).await?;
    let mut out = String::new();
    registry.failed().iter().for_each(|f| describe_failure(&mut out, f));
    match &args.tenant {
        None => {
            for c in registry.components() {
                describe(&mut out, c, detailed);
            }
        }
        Some(name) => {
            let file = file.ok_or_else(|| Error::invalid("--tenant", "needs --config declaring [tenants]"))?;
            let Some(section) = file.tenants.get(name) else {
                return Err(Error::invalid(
                    "--tenant",
                    format!("no [tenants.{name}] in the config file; declared: {:?}", file.tenants.keys()),
                ));
            };
            let one = BTreeMap::from([(name.clone(), section.clone())]);
            let kube = &file.kubernetes.policy;
            let catalog =
                Catalog::build(&sandbox, registry, &one, None, kube, file.server.read_only.unwrap_or(false)).await?;
            let scope = &catalog.tenants[name];
            describe_tenant(&mut out, name, section, kube)?;
            for c in scope.registry.components() {
                describe(&mut out, c, detailed);
            }
            scope.failed.iter().for_each(|f| describe_failure(&mut out, f));
        }
    }
    print!("{out}");
    Ok(())
}

fn describe_tenant(
    out: &mut String,
    name: &str,
    t: &crate::config::tenant::TenantSection,
    global_kube: &crate::config::kubernetes::KubePolicyDocument,
) -> Result<()> {
    let l = &t.limits;
    let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "tenant {name}: audit_tag={} requests_per_second={} burst={} max_concurrent={} fuel_per_minute={} \
         read_only={} require_signatures={}",
        show(t.audit_tag.clone()),
        show(l.requests_per_second.map(|v| v.to_string())),
        show(l.burst.map(|v| v.to_string())),
        show(l.max_concurrent.map(|v| v.to_string())),
        show(l.fuel_per_minute.map(|v| v.to_string())),
        t.read_only,
        t.require_signatures
    );
    if !t.allow_request_credentials.is_empty() {
        let _ = writeln!(out, "  request credentials: {:?}", t.allow_request_credentials);
    }
    let k = crate::kube::tenant::narrow_kube(global_kube, &t.kubernetes, &format!("tenants.{name}"))?;
    let contexts = if t.kubernetes.contexts.is_empty() {
        "all configured".to_string()
    } else {
        format!("{:?}", t.kubernetes.contexts)
    };
    let _ = writeln!(
        out,
        "  kubernetes: contexts={contexts} read_only={} allowed_namespaces={:?} denied_namespaces={:?} \
         denied_kinds={:?} secrets={:?} exec={} port_forward={} impersonate={}",
        k.read_only,
        k.allowed_namespaces,
        k.denied_namespaces,
        k.denied_kinds,
        k.secrets,
        k.allow_exec,
        k.allow_port_forward,
        show(k.impersonate_user.clone()),
    );
    Ok(())
}

fn describe_failure(out: &mut String, f: &crate::sandbox::registry::Failure) {
    let _ = writeln!(out, "{} failed: {} ({})\n  {}", f.name, f.cause, f.path.display(), f.message);
}

fn describe(out: &mut String, c: &LoadedComponent, detailed: bool) {
    let l = &c.policy.limits;
    let _ = writeln!(out, "{} ({} tools) {}", c.name, c.tools.len(), c.path.display());
    let _ = writeln!(out, "  sha256: {} signed: {}", c.digest, if c.signed { "yes" } else { "no" });
    let origin = match c.origin {
        crate::sandbox::registry::Origin::Operator => "operator",
        crate::sandbox::registry::Origin::Tenant => "tenant (untrusted manifest)",
    };
    let _ = writeln!(out, "  grants: {} (origin: {origin})", c.grants);
    for w in &c.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    let _ = writeln!(
        out,
        "  limits: fuel={} timeout_ms={} memory_mb={} max_output_bytes={}",
        l.fuel,
        l.timeout.as_millis(),
        l.memory_bytes / (1024 * 1024),
        l.max_output_bytes
    );
    for (tool, tl) in &c.policy.tool_limits {
        let _ = writeln!(
            out,
            "  limits[{tool}]: fuel={} timeout_ms={} memory_mb={}",
            tl.fuel,
            tl.timeout.as_millis(),
            tl.memory_bytes / (1024 * 1024)
        );
    }
    if c.egress.rules.is_empty() {
        let _ = writeln!(out, "  egress: none (all outbound HTTP denied)");
    } else {
        let rules: Vec<&str> = c.egress.rules.iter().map(|r| r.source.as_str()).collect();
        let _ = writeln!(out, "  egress: {}", rules.join(", "));
        let _ = writeln!(
            out,
            "  egress limits: max_request_bytes={} max_response_bytes={} timeout_ms={}",
            c.egress.max_request_bytes,
            c.egress.max_response_bytes,
            c.egress.timeout.as_millis()
        );
    }
    let settings: Vec<&String> = c.settings.settings.keys().collect();
    let secrets: Vec<&String> = c.settings.secrets.keys().collect();
    if !settings.is_empty() || !secrets.is_empty() {
        let _ = writeln!(out, "  settings: {settings:?} secrets: {secrets:?} (values hidden)");
    }
    for t in &c.tools {
        let a = &t.annotations;
        let mut flags = Vec::new();
        if a.read_only {
            flags.push("read-only");
        }
        if a.destructive {
            flags.push("destructive");
        }
        if a.idempotent {
            flags.push("idempotent");
        }
        if a.open_world {
            flags.push("open-world");
        }
        let _ = writeln!(out, "  - {} [{}]: {}", t.name, flags.join(", "), t.description);
        if detailed {
            let schema = serde_json::to_string(&t.input_schema).unwrap_or_default();
            let _ = writeln!(out, "      input: {schema}");
        }
    }
}
