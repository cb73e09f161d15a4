//! `helm` capability: Helm release records read from the cluster, and chart
//! operations run by a configured helm binary under policy.
//!
//! Release reads list the Secrets Helm 3 stores releases in (type
//! `helm.sh/release.v1`) and hand the still-encoded records to the guest,
//! which decodes them; the `kube` capability would mask them. Writes and chart
//! work (install, upgrade, template, rollback, uninstall, repositories) run
//! the helm binary as typed operations, never a raw argv: read-only mode and
//! namespace policy are checked first, the call's Kubernetes context and
//! impersonated identity are passed on, time and output are bounded, every
//! tenant has its own Helm config/cache/data folders, repository and chart
//! URLs must pass the component's egress policy, and local files (charts,
//! values files) are read only from the tenant's files folder or the
//! operator's file roots.

mod files;
mod ops;
mod releases;
mod run;

use super::bindings::helm::{HelmError, Host, ReleaseRequest, add_to_linker};
use super::{CallEnv, Capability};
use crate::config::helm::HelmSection;
use crate::config::kubernetes::KubeSection;
use crate::error::{Error, Result};
use crate::kube::KubeService;
use crate::policy::Grant;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker};

/// Path of the helm binary when the config file names none.
pub const ENV_HELM_BINARY: &str = "HELM_BINARY";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_MAX_OUTPUT: usize = 16 * 1024 * 1024;
/// helm is a heavy process (a Go binary, often a cluster client); a few at a time.
const DEFAULT_MAX_CONCURRENT: usize = 4;

/// The configured capability, shared by every call.
#[derive(Debug)]
pub struct HelmService {
    binary: Option<PathBuf>,
    state_dir: PathBuf,
    components: Vec<String>,
    file_roots: Vec<PathBuf>,
    kubeconfig: Option<PathBuf>,
    timeout: Duration,
    max_output: usize,
    pass_env: Vec<String>,
    slots: tokio::sync::Semaphore,
}

impl HelmService {
    /// Whether `[helm] components` names `component` (its default grants
    /// then hold `helm` and `kube`).
    pub fn grants_to(&self, component: &str) -> bool {
        self.components.iter().any(|c| c == component)
    }

    /// Validate the section; a configured binary or file root that does not
    /// exist fails start-up, a missing `helm` on `PATH` only disables runs.
    pub fn new(section: &HelmSection, kube: &KubeSection) -> Result<Arc<Self>> {
        let binary = match (&section.binary, std::env::var_os(ENV_HELM_BINARY)) {
            (Some(path), _) => Some(check_binary(path, "helm.binary")?),
            (None, Some(env)) if !env.is_empty() => Some(check_binary(Path::new(&env), ENV_HELM_BINARY)?),
            _ => find_on_path("helm"),
        };
        // A configured folder must be usable now; the default one is only
        // created when a call first needs it (no start-up side effect).
        // Absolute either way: helm runs in the tenant's files folder.
        let state_dir = match &section.state_dir {
            Some(dir) => {
                files::private_dir(dir)
                    .map_err(|e| Error::invalid("helm.state_dir", format!("{}: {e}", dir.display())))?;
                dir.canonicalize().map_err(|e| Error::Io(dir.display().to_string(), e))?
            }
            None => std::path::absolute(default_state_dir()).map_err(|e| Error::Io("helm state folder".into(), e))?,
        };
        let mut file_roots = Vec::new();
        for root in &section.file_roots {
            let canonical = root
                .canonicalize()
                .map_err(|e| Error::invalid("helm.file_roots", format!("{}: {e}", root.display())))?;
            file_roots.push(canonical);
        }
        let kubeconfig = kube
            .kubeconfig
            .clone()
            .or_else(|| std::env::var_os(crate::kube::ENV_MCP_KUBECONFIG).map(PathBuf::from))
            .or_else(|| std::env::var_os(crate::kube::ENV_KUBECONFIG).map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config")).filter(|p| p.exists()))
            .map(|p| std::path::absolute(&p).unwrap_or(p));
        if section.timeout_seconds == Some(0) {
            return Err(Error::invalid("helm.timeout_seconds", "must be at least 1"));
        }
        if section.max_output_bytes == Some(0) {
            return Err(Error::invalid("helm.max_output_bytes", "must be greater than 0"));
        }
        Ok(Arc::new(Self {
            binary,
            state_dir,
            components: section.components.clone().unwrap_or_else(|| vec!["helm".into()]),
            file_roots,
            kubeconfig,
            timeout: section.timeout_seconds.map_or(DEFAULT_TIMEOUT, Duration::from_secs),
            max_output: section.max_output_bytes.unwrap_or(DEFAULT_MAX_OUTPUT),
            pass_env: section.pass_env.clone(),
            slots: tokio::sync::Semaphore::new(section.max_concurrent.unwrap_or(DEFAULT_MAX_CONCURRENT).max(1)),
        }))
    }

    pub fn binary(&self) -> Option<&Path> {
        self.binary.as_deref()
    }
}

/// An existing file, as an absolute path (helm runs in another folder).
fn check_binary(path: &Path, key: &str) -> Result<PathBuf> {
    if path.is_file() {
        std::path::absolute(path).map_err(|e| Error::invalid(key, format!("{}: {e}", path.display())))
    } else {
        Err(Error::invalid(key, format!("{} is not a file", path.display())))
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

fn default_state_dir() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("k8s-mcp-runtime").join("helm")
}

/// Per-call Helm state: the shared service, the calling component and
/// tenant, the call's Kubernetes session and the component's egress policy.
pub struct HelmState {
    pub service: Option<Arc<HelmService>>,
    pub component: Arc<str>,
    pub tenant: String,
    kube: Arc<super::kube::Session>,
    egress: Arc<crate::policy::EgressPolicy>,
    granted: bool,
    /// Whether the call may also use Kubernetes (releases live there).
    kube_granted: bool,
}

impl Capability for HelmState {
    fn for_call(env: &CallEnv<'_>) -> Self {
        Self {
            service: env.helm.cloned(),
            component: env.service.clone(),
            tenant: env.tenant.to_string(),
            kube: env.kube.clone(),
            egress: env.egress.clone(),
            granted: env.grants.contains(Grant::Helm),
            kube_granted: env.grants.contains(Grant::Kube),
        }
    }

    fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut Self) -> wasmtime::Result<()> {
        add_to_linker::<T, HasSelf<Self>>(linker, get)
    }
}

type R<T> = std::result::Result<T, HelmError>;

impl From<files::FileError> for HelmError {
    fn from(e: files::FileError) -> Self {
        match e {
            files::FileError::NotFound(_) => Self::NotFound(e.to_string()),
            e => Self::Denied(e.to_string()),
        }
    }
}

impl From<crate::kube::policy::Denied> for HelmError {
    fn from(d: crate::kube::policy::Denied) -> Self {
        Self::Denied(d.0)
    }
}

/// Everything one operation needs, resolved from the call's state.
pub(crate) struct Call {
    pub svc: Arc<HelmService>,
    pub kube: Option<Arc<KubeService>>,
    pub context: Option<String>,
    pub tenant: files::TenantDirs,
    pub tenant_id: String,
    pub egress: Arc<crate::policy::EgressPolicy>,
}

impl HelmState {
    fn helm_call(&self) -> R<Call> {
        if !self.granted {
            let why = super::denied(&self.component, Grant::Helm);
            return Err(HelmError::NotConfigured(format!("{why}; it is not granted Helm access (helm.components)")));
        }
        let svc = self.service.clone().ok_or_else(|| HelmError::NotConfigured("Helm is not configured".into()))?;
        let tenant = files::TenantDirs::open(&svc.state_dir, &self.tenant)
            .map_err(|e| HelmError::Failed(format!("tenant Helm state: {e}")))?;
        Ok(Call {
            svc,
            kube: self.kube.service().filter(|_| self.kube_granted),
            context: self.kube.context(),
            tenant,
            tenant_id: self.tenant.clone(),
            egress: self.egress.clone(),
        })
    }
}

impl Host for HelmState {
    async fn release_secrets(
        &mut self,
        namespace: Option<String>,
        label_selector: Option<String>,
        latest_only: bool,
    ) -> R<String> {
        let call = self.helm_call()?;
        releases::list(&call, namespace, label_selector, latest_only).await
    }
    async fn install(&mut self, request: ReleaseRequest) -> R<String> {
        ops::release(&self.helm_call()?, ops::Verb::Install, &request).await
    }
    async fn upgrade(&mut self, request: ReleaseRequest) -> R<String> {
        ops::release(&self.helm_call()?, ops::Verb::Upgrade, &request).await
    }
    async fn template(&mut self, request: ReleaseRequest) -> R<String> {
        ops::release(&self.helm_call()?, ops::Verb::Template, &request).await
    }
    async fn rollback(
        &mut self,
        release: String,
        namespace: String,
        revision: Option<u32>,
        dry_run: bool,
    ) -> R<String> {
        ops::rollback(&self.helm_call()?, &release, &namespace, revision, dry_run).await
    }
    async fn uninstall(&mut self, release: String, namespace: String, keep_history: bool, dry_run: bool) -> R<String> {
        ops::uninstall(&self.helm_call()?, &release, &namespace, keep_history, dry_run).await
    }
    async fn repo_list(&mut self) -> R<String> {
        ops::repo_list(&self.helm_call()?).await
    }
    async fn repo_add(&mut self, name: String, url: String) -> R<String> {
        ops::repo_add(&self.helm_call()?, &name, &url).await
    }
    async fn repo_remove(&mut self, name: String) -> R<String> {
        ops::repo_remove(&self.helm_call()?, &name).await
    }
    async fn repo_update(&mut self, names: Vec<String>) -> R<String> {
        ops::repo_update(&self.helm_call()?, &names).await
    }
    async fn search(&mut self, keyword: String, devel: bool, versions: bool) -> R<String> {
        ops::search(&self.helm_call()?, &keyword, devel, versions).await
    }
    async fn show_chart(&mut self, chart: String, version: Option<String>) -> R<String> {
        ops::show_chart(&self.helm_call()?, &chart, version.as_deref()).await
    }
    async fn cache_stats(&mut self) -> R<String> {
        ops::cache_stats(&self.helm_call()?)
    }
    async fn cache_clear(&mut self) -> R<String> {
        ops::cache_clear(&self.helm_call()?)
    }
    async fn version(&mut self) -> R<String> {
        ops::version(&self.helm_call()?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_is_validated_with_the_key_named() {
        let kube = KubeSection::default();
        let missing = HelmSection { binary: Some("/no/such/helm".into()), ..Default::default() };
        assert!(HelmService::new(&missing, &kube).unwrap_err().to_string().contains("helm.binary"));
        let root = HelmSection { file_roots: vec!["/no/such/root".into()], ..Default::default() };
        assert!(HelmService::new(&root, &kube).unwrap_err().to_string().contains("helm.file_roots"));
        let zero = HelmSection { timeout_seconds: Some(0), ..Default::default() };
        assert!(HelmService::new(&zero, &kube).unwrap_err().to_string().contains("helm.timeout_seconds"));
        // a relative binary becomes absolute: helm runs in the tenant's folder
        let here = std::env::current_dir().unwrap();
        let rel = HelmSection { binary: Some("Cargo.toml".into()), ..Default::default() };
        assert_eq!(HelmService::new(&rel, &kube).unwrap().binary(), Some(here.join("Cargo.toml").as_path()));
    }
}
