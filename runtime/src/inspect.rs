//! `components list|inspect`: what each component offers and what its
//! effective policy allows, without serving.

use crate::cli::InspectArgs;
use crate::config::{ComponentConfig, read_file};
use crate::error::Result;
use crate::sandbox::{LoadedComponent, Registry, Sandbox};
use std::collections::BTreeMap;
use std::fmt::Write;

pub async fn run(args: &InspectArgs, detailed: bool) -> Result<()> {
    let overrides: BTreeMap<String, ComponentConfig> = match &args.config {
        Some(path) => read_file(path)?.components,
        None => BTreeMap::new(),
    };
    let sandbox = Sandbox::new(None, 1)?;
    let registry = Registry::load(&sandbox, &args.dir, &overrides).await?;
    let mut out = String::new();
    for c in registry.components() {
        describe(&mut out, c, detailed);
    }
    print!("{out}");
    Ok(())
}

fn describe(out: &mut String, c: &LoadedComponent, detailed: bool) {
    let l = &c.policy.limits;
    let _ = writeln!(out, "{} ({} tools) {}", c.name, c.tools.len(), c.path.display());
    let _ = writeln!(out, "  sha256: {}", c.digest);
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
