//! Release changes and rendering through the runtime's `helm` capability:
//! install, upgrade, rollback, uninstall, template. The runtime checks
//! read-only mode, namespaces and file and egress policy; this module shapes
//! arguments and answers.

use crate::common::*;
use crate::release::{self, chart_label, str_of};
use k8s_mcp_sdk::helm::{self, ReleaseRequest};
use k8s_mcp_sdk::prelude::*;

// What a chart is rendered with: a values file, values and a chart version.
// (No doc comment: schemars would make it the description of the argument
// structs that flatten it.)
#[derive(Deserialize, JsonSchema)]
#[serde(remote = "Self")]
pub struct ChartSource {
    /// A values file: relative to the tenant's files folder, or under a configured file root.
    #[serde(default, alias = "valuesFile")]
    pub values_file: Option<String>,
    /// Values as an object, or as YAML/JSON text; applied after `values_file`.
    #[serde(default)]
    pub values: Option<Value>,
    /// Chart version (default: the newest).
    #[serde(default)]
    pub version: Option<String>,
}
k8s_mcp_sdk::flattened_args!(ChartSource);

#[derive(Deserialize, JsonSchema)]
pub struct ChartReleaseArgs {
    /// Release name.
    pub name: String,
    /// Chart: `repo/chart` of a configured repository, an http(s):// or
    /// oci:// reference, or a local chart in the tenant's files folder or a
    /// configured file root.
    pub chart: String,
    /// Namespace of the release.
    pub namespace: String,
    #[serde(flatten)]
    pub source: ChartSource,
    /// Simulate: render and validate, change nothing.
    #[serde(default, alias = "dryRun")]
    pub dry_run: Option<bool>,
    /// Seconds helm may spend on the operation.
    #[serde(default, alias = "timeoutSeconds")]
    pub timeout: Option<u32>,
    /// Kubeconfig context (default: the runtime's default context).
    #[serde(default)]
    pub context: Option<String>,
}

fn values_docs(values: &Option<Value>) -> R<Vec<String>> {
    match values {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(v @ Value::Object(_)) => Ok(vec![v.to_string()]),
        Some(_) => Err(ToolError::invalid("`values` must be an object or YAML/JSON text")),
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct UpgradeArgs {
    #[serde(flatten)]
    pub release: ChartReleaseArgs,
    /// Install when the release does not exist yet.
    #[serde(default)]
    pub install: Option<bool>,
}

#[derive(Deserialize, JsonSchema)]
pub struct TemplateArgs {
    /// Release name used while rendering.
    pub name: String,
    /// Chart: `repo/chart`, an http(s):// or oci:// reference, or a local chart path.
    pub chart: String,
    /// Namespace used while rendering.
    pub namespace: String,
    #[serde(flatten)]
    pub source: ChartSource,
}

fn base_request(name: &str, namespace: &str, chart: &str, source: &ChartSource) -> R<ReleaseRequest> {
    let mut r =
        ReleaseRequest::new(required("name", name)?, required("namespace", namespace)?, required("chart", chart)?);
    r.version = optional(&source.version);
    r.values_files = optional(&source.values_file).into_iter().collect();
    r.values = values_docs(&source.values)?;
    Ok(r)
}

fn request(a: &ChartReleaseArgs) -> R<ReleaseRequest> {
    let mut r = base_request(&a.name, &a.namespace, &a.chart, &a.source)?;
    r.dry_run = a.dry_run.unwrap_or(false);
    r.timeout_seconds = a.timeout;
    Ok(r)
}

/// The essentials of the release JSON helm printed.
fn summarize(text: &str, dry_run: bool) -> R<Value> {
    let rel: Value = serde_json::from_str(text)
        .map_err(|e| ToolError::upstream(format!("helm printed something that is not a release: {e}")))?;
    let mut out = json!({
        "name": str_of(&rel, "/name"),
        "namespace": str_of(&rel, "/namespace"),
        "revision": rel["version"],
        "status": str_of(&rel, "/info/status"),
        "description": str_of(&rel, "/info/description"),
        "chart": chart_label(&rel),
        "appVersion": str_of(&rel, "/chart/metadata/appVersion"),
        "values": release::values(&rel, false),
        "notes": str_of(&rel, "/info/notes"),
        "dryRun": dry_run,
    });
    if dry_run {
        out["manifest"] = json!(release::mask_secrets(str_of(&rel, "/manifest")));
    }
    Ok(out)
}

pub fn install_release(a: ChartReleaseArgs, _: &Context) -> R<Output> {
    select_context(&a.context)?;
    let r = request(&a)?;
    let dry = r.dry_run;
    Output::json(&summarize(&helm::install(&r)?, dry)?)
}

pub fn upgrade_release(a: UpgradeArgs, _: &Context) -> R<Output> {
    select_context(&a.release.context)?;
    let mut r = request(&a.release)?;
    r.install = a.install.unwrap_or(false);
    let dry = r.dry_run;
    Output::json(&summarize(&helm::upgrade(&r)?, dry)?)
}

pub fn template_chart(a: TemplateArgs, _: &Context) -> R<Output> {
    let r = base_request(&a.name, &a.namespace, &a.chart, &a.source)?;
    let manifest = helm::template(&r)?;
    let objects =
        release::manifest_objects(&manifest)?.into_iter().map(|(k, _, n, _)| format!("{k}/{n}")).collect::<Vec<_>>();
    Output::json(&json!({
        "name": r.release, "namespace": r.namespace, "chart": r.chart,
        "objects": objects, "manifest": manifest,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct RollbackArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// Revision to roll back to (0 or omitted: the previous one).
    #[serde(default)]
    pub revision: Option<i64>,
    #[serde(flatten)]
    pub dry_run: DryRun,
}

pub fn rollback_release(a: RollbackArgs, _: &Context) -> R<Output> {
    let (name, ns) = a.release.select()?;
    let revision = match a.revision {
        None | Some(0) => None,
        Some(r) if r < 0 || r > i64::from(u32::MAX) => {
            return Err(ToolError::invalid(format!("`revision` must be a positive revision number (got {r})")));
        }
        Some(r) => Some(r as u32),
    };
    // Fail with a clear message before helm does for unknown releases/revisions.
    let history = release::history(name, ns)?;
    if let Some(r) = revision
        && !history.iter().any(|e| e.version == i64::from(r))
    {
        return Err(ToolError::not_found(format!("release `{name}` in namespace `{ns}` has no revision {r}")));
    }
    let dry = a.dry_run.enabled();
    let message = helm::rollback(name, ns, revision, dry)?;
    let (e, rel) = release::get(name, ns, None)?;
    Output::json(&json!({
        "name": name, "namespace": ns, "rolledBackTo": revision, "dryRun": dry,
        "revision": e.version, "status": str_of(&rel, "/info/status"),
        "description": str_of(&rel, "/info/description"), "message": message.trim(),
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct UninstallArgs {
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// Keep the release history (status `uninstalled`), allowing a rollback.
    #[serde(default, alias = "keepHistory")]
    pub keep_history: Option<bool>,
    #[serde(flatten)]
    pub dry_run: DryRun,
}

pub fn uninstall_release(a: UninstallArgs, _: &Context) -> R<Output> {
    let (name, ns) = a.release.select()?;
    release::history(name, ns)?;
    let dry = a.dry_run.enabled();
    let message = helm::uninstall(name, ns, a.keep_history.unwrap_or(false), dry)?;
    Output::json(
        &json!({ "name": name, "namespace": ns, "uninstalled": !dry, "dryRun": dry, "message": message.trim() }),
    )
}
