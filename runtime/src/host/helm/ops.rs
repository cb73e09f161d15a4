//! The typed Helm operations: arguments validated and policy-checked here,
//! then turned into one helm invocation each.

use super::files::{self, TenantDirs};
use super::run::Helm;
use super::{Call, HelmError};
use crate::host::bindings::helm::ReleaseRequest;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ffi::OsString;

type R<T> = Result<T, HelmError>;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Install,
    Upgrade,
    Template,
}

fn invalid(msg: impl Into<String>) -> HelmError {
    HelmError::Invalid(msg.into())
}

/// Helm's rule for release names (DNS-1123 subdomain, at most 53 characters).
pub fn check_release(name: &str) -> R<()> {
    let ok = !name.is_empty()
        && name.len() <= 53
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("invalid release name `{name}` (lower-case DNS name, at most 53 characters)")))
    }
}

fn check_namespace_name(ns: &str) -> R<()> {
    let ok = !ns.is_empty()
        && ns.len() <= 63
        && ns.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !ns.starts_with('-')
        && !ns.ends_with('-');
    if ok { Ok(()) } else { Err(invalid(format!("invalid namespace `{ns}`"))) }
}

fn check_repo_name(name: &str) -> R<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with(['-', '.'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(invalid(format!("invalid repository name `{name}`"))) }
}

/// A free-form argument that must not be taken for a flag.
fn plain<'a>(value: &'a str, what: &str) -> R<&'a str> {
    let v = value.trim();
    if v.starts_with('-') || v.chars().any(char::is_control) {
        return Err(invalid(format!("invalid {what} `{value}`")));
    }
    Ok(v)
}

/// Policy for operations on a release: the cluster's namespace rules, the
/// Secret rule (releases are Secrets) and, for changes, read-only mode.
fn check_release_policy(call: &Call, namespace: &str, verb: &str, writes: bool) -> R<()> {
    check_namespace_name(namespace)?;
    let Some(kube) = &call.kube else { return Ok(()) };
    let p = &kube.policy;
    if writes {
        p.check_write(verb)?;
    }
    p.check_namespace(Some(namespace))?;
    p.check_kind("Secret").map_err(|m| HelmError::Denied(format!("Helm stores releases as Secrets: {m}")))
}

/// Check a URL against the component's egress policy (rules, then every
/// address it resolves to).
async fn check_url(call: &Call, url: &str, what: &str) -> R<()> {
    let uri: http::Uri = url.parse().map_err(|e| invalid(format!("{what} `{url}` is not a URL: {e}")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(invalid(format!("{what} `{url}` must be an http(s) URL")));
    }
    crate::host::http::authorize(&call.egress, &uri)
        .await
        .map(|_| ())
        .map_err(|d| HelmError::Denied(format!("{what} {url}: {d} (add it to the helm component's http.allow)")))
}

#[derive(Deserialize, Default)]
struct RepoFile {
    #[serde(default)]
    repositories: Vec<RepoEntry>,
}

#[derive(Deserialize, Clone)]
struct RepoEntry {
    name: String,
    url: String,
}

fn repositories(tenant: &TenantDirs) -> R<Vec<RepoEntry>> {
    match std::fs::read_to_string(tenant.repositories_file()) {
        Ok(text) if text.trim().is_empty() => Ok(Vec::new()),
        Ok(text) => serde_saphyr::from_str::<RepoFile>(&text)
            .map(|f| f.repositories)
            .map_err(|e| HelmError::Failed(format!("repositories.yaml: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(HelmError::Failed(format!("repositories.yaml: {e}"))),
    }
}

#[derive(Deserialize, Default)]
struct IndexFile {
    #[serde(default)]
    entries: BTreeMap<String, Vec<IndexEntry>>,
}

#[derive(Deserialize)]
struct IndexEntry {
    #[serde(default)]
    version: String,
    #[serde(default)]
    urls: Vec<String>,
}

/// Largest cached repository index read for the chart URL check.
const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;

/// A repository's index may point chart archives at any host: check the
/// archive URLs of `chart` (the given version, or every version when it
/// names none or a range) against the egress policy before helm fetches one.
async fn check_chart_urls(call: &Call, repo: &RepoEntry, chart: &str, version: Option<&str>) -> R<()> {
    let path = call.tenant.repository_cache().join(format!("{}-index.yaml", repo.name));
    let Ok(meta) = std::fs::metadata(&path) else { return Ok(()) }; // helm reports the missing index
    if meta.len() > MAX_INDEX_BYTES {
        return Err(HelmError::Failed(format!(
            "index of repository `{}` is larger than {MAX_INDEX_BYTES} bytes",
            repo.name
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| HelmError::Failed(format!("{}: {e}", path.display())))?;
    let mut options = serde_saphyr::Options::default();
    options.budget = None; // large public indexes exceed the default node budget
    let index: IndexFile = serde_saphyr::from_str_with_options(&text, options)
        .map_err(|e| HelmError::Failed(format!("index of repository `{}`: {e}", repo.name)))?;
    let Some(versions) = index.entries.get(chart) else { return Ok(()) };
    let exact: Vec<&IndexEntry> = versions.iter().filter(|e| Some(e.version.as_str()) == version).collect();
    let chosen: Vec<&IndexEntry> = if exact.is_empty() { versions.iter().collect() } else { exact };
    let base = url::Url::parse(&format!("{}/", repo.url.trim_end_matches('/')))
        .map_err(|e| invalid(format!("repository `{}` URL: {e}", repo.name)))?;
    let mut checked = std::collections::BTreeSet::new();
    for raw in chosen.iter().flat_map(|e| &e.urls) {
        let Ok(url) = base.join(raw) else { continue };
        let origin = url.origin().ascii_serialization();
        if origin == base.origin().ascii_serialization() || !checked.insert(origin) {
            continue;
        }
        check_url(call, url.as_str(), &format!("chart archive of `{}/{chart}`", repo.name)).await?;
    }
    Ok(())
}

/// Resolve a chart reference to what helm is given: a vetted local path, a
/// URL the egress policy allows, or `repo/chart` of one of the tenant's
/// repositories (whose URL, and the archive URLs its index lists for the
/// chart, are checked again).
async fn chart_arg(call: &Call, chart: &str, version: Option<&str>) -> R<OsString> {
    let chart = plain(chart, "chart reference")?;
    if chart.is_empty() {
        return Err(invalid("a chart reference is required"));
    }
    if let Some(rest) = chart.strip_prefix("oci://") {
        check_url(call, &format!("https://{rest}"), "chart registry").await?;
        return Ok(chart.into());
    }
    if chart.starts_with("http://") || chart.starts_with("https://") {
        check_url(call, chart, "chart URL").await?;
        return Ok(chart.into());
    }
    if let Some(path) = files::vet_local(chart, &call.tenant, &call.svc.file_roots)? {
        return Ok(path.into_os_string());
    }
    if let Some((repo, name)) = chart.split_once('/')
        && !name.is_empty()
        && !name.contains('/')
        && let Some(entry) = repositories(&call.tenant)?.into_iter().find(|r| r.name == repo)
    {
        check_url(call, &entry.url, &format!("repository `{repo}`")).await?;
        check_chart_urls(call, &entry, name, version).await?;
        return Ok(chart.into());
    }
    Err(HelmError::NotFound(format!(
        "chart `{chart}` not found: not a local chart in the tenant's files folder or a file root, \
         nor `<repo>/<chart>` of a configured repository"
    )))
}

/// install / upgrade / template of one chart.
pub async fn release(call: &Call, verb: Verb, r: &ReleaseRequest) -> R<String> {
    check_release(&r.release)?;
    let (name, writes) = match verb {
        Verb::Install => ("install", !r.dry_run),
        Verb::Upgrade => ("upgrade", !r.dry_run),
        Verb::Template => ("template", false),
    };
    if verb == Verb::Template {
        check_namespace_name(&r.namespace)?;
    } else {
        check_release_policy(call, &r.namespace, name, writes)?;
    }
    let version = r.version.as_deref().map(|v| plain(v, "chart version")).transpose()?.filter(|v| !v.is_empty());
    let chart = chart_arg(call, &r.chart, version).await?;
    let mut scratch = call.tenant.scratch().map_err(|e| HelmError::Failed(format!("scratch folder: {e}")))?;
    let mut values = Vec::new();
    for f in &r.values_files {
        let content = files::read_values_file(f, &call.tenant, &call.svc.file_roots)?;
        values.push(scratch.write(&content).map_err(|e| HelmError::Failed(e.to_string()))?);
    }
    for doc in r.values.iter().filter(|d| !d.trim().is_empty()) {
        values.push(scratch.write(doc.as_bytes()).map_err(|e| HelmError::Failed(e.to_string()))?);
    }
    let build = |args: &[&str]| {
        let mut h = Helm::new(call, args).arg(&r.release).arg(&chart).arg("--namespace").arg(&r.namespace);
        h = h.opt("--version", version);
        for v in &values {
            h = h.arg("--values").arg(v);
        }
        h
    };
    if verb == Verb::Template {
        return build(&["template"]).run().await;
    }
    check_rendered(call, build(&["template", "--include-crds"]), &r.namespace).await?;
    let mut h = build(&[name, "--output", "json"])
        .flag("--install", verb == Verb::Upgrade && r.install)
        .flag("--dry-run", r.dry_run)
        .opt("--description", r.description.as_deref())
        .timeout(r.timeout_seconds)
        .cluster()?;
    if let Some(t) = r.timeout_seconds.filter(|t| *t > 0) {
        h = h.arg("--timeout").arg(format!("{t}s"));
    }
    let out = h.run().await?;
    audit(call, name, &r.release, &r.namespace, r.dry_run);
    Ok(out)
}

/// One log line per release change (names only, never values).
fn audit(call: &Call, verb: &str, release: &str, namespace: &str, dry_run: bool) {
    tracing::info!(tenant = call.tenant_id.as_str(), verb, release, namespace, dry_run, "helm release changed");
}

/// With a restrictive Kubernetes policy, render first and refuse charts
/// whose objects the policy would not let the `kube` capability touch:
/// denied kinds, objects in other namespaces, cluster-scoped objects when
/// only some namespaces are allowed.
async fn check_rendered(call: &Call, template: Helm<'_>, namespace: &str) -> R<()> {
    let Some(kube) = &call.kube else { return Ok(()) };
    let d = &kube.policy.doc;
    if d.denied_kinds.is_empty() && d.denied_namespaces.is_empty() && d.allowed_namespaces.is_empty() {
        return Ok(());
    }
    let rendered = template.run().await?;
    let docs: Vec<Value> = serde_saphyr::from_multiple(&rendered)
        .map_err(|e| HelmError::Invalid(format!("rendered chart is not valid YAML: {e}")))?;
    for obj in docs.iter().filter(|o| o.is_object()) {
        let kind = obj["kind"].as_str().unwrap_or_default();
        let deny = |m: crate::kube::policy::Denied| {
            HelmError::Denied(format!("chart renders {kind} `{}`: {m}", obj["metadata"]["name"]))
        };
        kube.policy.check_kind(kind).map_err(deny)?;
        match obj["metadata"]["namespace"].as_str().filter(|n| !n.is_empty()) {
            Some(ns) => kube.policy.check_namespace(Some(ns)).map_err(deny)?,
            None => {
                let api_version = obj["apiVersion"].as_str().unwrap_or_default();
                let scoped = match kube.resolve(call.context.as_deref(), api_version, kind).await {
                    Ok((_, caps)) => crate::kube::KubeService::is_namespaced(&caps),
                    Err(_) => true,
                };
                kube.policy.check_namespace(if scoped { Some(namespace) } else { None }).map_err(deny)?;
            }
        }
    }
    Ok(())
}

pub async fn rollback(call: &Call, release: &str, namespace: &str, revision: Option<u32>, dry_run: bool) -> R<String> {
    check_release(release)?;
    check_release_policy(call, namespace, "rollback", !dry_run)?;
    let mut h = Helm::new(call, &["rollback", release]);
    if let Some(rev) = revision.filter(|r| *r > 0) {
        h = h.arg(rev.to_string());
    }
    let out = h.arg("--namespace").arg(namespace).flag("--dry-run", dry_run).cluster()?.run().await?;
    audit(call, "rollback", release, namespace, dry_run);
    Ok(out)
}

pub async fn uninstall(call: &Call, release: &str, namespace: &str, keep_history: bool, dry_run: bool) -> R<String> {
    check_release(release)?;
    check_release_policy(call, namespace, "uninstall", !dry_run)?;
    let out = Helm::new(call, &["uninstall", release, "--namespace", namespace])
        .flag("--keep-history", keep_history)
        .flag("--dry-run", dry_run)
        .cluster()?
        .run()
        .await?;
    audit(call, "uninstall", release, namespace, dry_run);
    Ok(out)
}

pub async fn repo_list(call: &Call) -> R<String> {
    let repos = repositories(&call.tenant)?;
    Ok(Value::Array(repos.into_iter().map(|r| json!({"name": r.name, "url": r.url})).collect()).to_string())
}

pub async fn repo_add(call: &Call, name: &str, url: &str) -> R<String> {
    check_repo_name(name)?;
    let url = plain(url, "repository URL")?;
    check_url(call, url, "repository").await?;
    Helm::new(call, &["repo", "add", name, url]).run().await
}

pub async fn repo_remove(call: &Call, name: &str) -> R<String> {
    check_repo_name(name)?;
    if !repositories(&call.tenant)?.iter().any(|r| r.name == name) {
        return Err(HelmError::NotFound(format!("no repository named `{name}`")));
    }
    Helm::new(call, &["repo", "remove", name]).run().await
}

pub async fn repo_update(call: &Call, names: &[String]) -> R<String> {
    let repos = repositories(&call.tenant)?;
    if repos.is_empty() {
        return Err(invalid("no repositories configured; add one first"));
    }
    let mut chosen = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        check_repo_name(n)?;
        let entry = repos
            .iter()
            .find(|r| r.name == n)
            .ok_or_else(|| HelmError::NotFound(format!("no repository named `{n}`")))?;
        chosen.push(entry.clone());
    }
    if chosen.is_empty() {
        chosen = repos;
    }
    for r in &chosen {
        check_url(call, &r.url, &format!("repository `{}`", r.name)).await?;
    }
    let mut h = Helm::new(call, &["repo", "update"]);
    for r in &chosen {
        h = h.arg(&r.name);
    }
    h.run().await?;
    Ok(json!({ "updated": chosen.iter().map(|r| json!({"name": r.name, "url": r.url})).collect::<Vec<_>>() })
        .to_string())
}

pub async fn search(call: &Call, keyword: &str, devel: bool, versions: bool) -> R<String> {
    let keyword = plain(keyword, "keyword")?;
    if repositories(&call.tenant)?.is_empty() {
        return Ok("[]".into());
    }
    let mut h = Helm::new(call, &["search", "repo"]);
    if !keyword.is_empty() {
        h = h.arg(keyword);
    }
    let out = h.arg("--output").arg("json").flag("--devel", devel).flag("--versions", versions).run().await?;
    Ok(if out.trim().is_empty() { "[]".into() } else { out })
}

pub async fn show_chart(call: &Call, chart: &str, version: Option<&str>) -> R<String> {
    let version = version.map(|v| plain(v, "chart version")).transpose()?.filter(|v| !v.is_empty());
    let chart = chart_arg(call, chart, version).await?;
    Helm::new(call, &["show", "chart"]).arg(chart).opt("--version", version).run().await
}

pub fn cache_stats(call: &Call) -> R<String> {
    let dir = call.tenant.repository_cache();
    let (files, bytes) = files::usage(&dir);
    let mut indexes: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix("-index.yaml")).map(String::from))
        .collect();
    indexes.sort();
    Ok(json!({ "path": dir, "files": files, "bytes": bytes, "indexes": indexes }).to_string())
}

pub fn cache_clear(call: &Call) -> R<String> {
    let dir = call.tenant.repository_cache();
    let (files, bytes) = files::usage(&dir);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(HelmError::Failed(format!("clearing {}: {e}", dir.display()))),
    }
    Ok(json!({ "path": dir, "removedFiles": files, "removedBytes": bytes }).to_string())
}

pub async fn version(call: &Call) -> R<String> {
    Ok(Helm::new(call, &["version", "--short"]).run().await?.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated_before_helm_sees_them() {
        assert!(check_release("web-1").is_ok());
        assert!(check_release("a.b").is_ok());
        for bad in ["", "-x", "Web", "a_b", "x-", &"a".repeat(54), "--set=x"] {
            assert!(check_release(bad).is_err(), "{bad}");
        }
        assert!(check_namespace_name("team-a").is_ok());
        assert!(check_namespace_name("a.b").is_err());
        assert!(check_repo_name("bitnami").is_ok());
        assert!(check_repo_name("-f").is_err() && check_repo_name("a/b").is_err());
        assert!(plain("--kubeconfig=/etc/x", "chart").is_err());
        assert!(plain("1.2.3", "version").is_ok());
    }
}
