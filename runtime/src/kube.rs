//! The native Kubernetes client behind the `kube` host capability: one
//! `kube::Client` per configured context (connection pooling across calls),
//! cached API discovery, and the policy every operation passes before it
//! reaches the API server (read-only mode, namespaces, kinds, secrets).

pub mod api;
pub mod forward;
mod identity;
mod mask;
pub mod ops;
pub mod policy;
pub mod table;
pub mod tenant;

use crate::config::kubernetes::KubeSection;
use crate::error::{Error, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use kube::{Client, Config as KubeClientConfig};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub use identity::CallerError;
pub use policy::KubePolicy;

pub const ENV_KUBECONFIG: &str = "KUBECONFIG";
/// The Go server's variable, accepted so its users can switch.
pub const ENV_MCP_KUBECONFIG: &str = "MCP_KUBECONFIG";
const DISCOVERY_TTL: Duration = Duration::from_secs(60);
/// A kind missing from cached discovery triggers a fresh one at most this often.
const REDISCOVER_AFTER: Duration = Duration::from_secs(2);

type DiscoveryCache = Arc<Mutex<Option<(Instant, Arc<Discovery>)>>>;

struct Cluster {
    client: Client,
    /// What `client` was built from; per-caller clients derive from it.
    config: KubeClientConfig,
    /// Shared by every identity's view of the same API server.
    discovery: DiscoveryCache,
}

impl Cluster {
    fn new(config: KubeClientConfig, discovery: DiscoveryCache) -> Result<Self> {
        let client = Client::try_from(config.clone()).map_err(|e| Error::invalid("kubernetes", e.to_string()))?;
        Ok(Self { client, config, discovery })
    }
}

/// Client settings shared by every context: no built-in retries (kube's
/// default retries 429s for up to minutes, which would hold a tool call far
/// past its deadline when a PodDisruptionBudget refuses an eviction), and
/// impersonation of the configured user so the API server's RBAC decides.
fn impersonate(config: &mut KubeClientConfig, policy: &KubePolicy) {
    config.default_retry = false;
    if let Some(user) = &policy.doc.impersonate_user {
        config.auth_info.impersonate = Some(user.clone());
        if !policy.doc.impersonate_groups.is_empty() {
            config.auth_info.impersonate_groups = Some(policy.doc.impersonate_groups.clone());
        }
    }
}

/// All configured clusters plus the policy.
pub struct KubeService {
    clusters: BTreeMap<String, Cluster>,
    default_context: String,
    pub policy: KubePolicy,
    /// Views that act as a given caller (`impersonate_callers`).
    callers: identity::CallerViews,
}

impl KubeService {
    /// Connect according to the config; `Ok(None)` when no kubeconfig or
    /// in-cluster environment exists (the capability then answers
    /// `not-configured`).
    pub async fn connect(section: &KubeSection) -> Result<Option<Arc<Self>>> {
        let policy = KubePolicy::compile(&section.policy)?;
        let path = section
            .kubeconfig
            .clone()
            .or_else(|| std::env::var_os(ENV_MCP_KUBECONFIG).map(PathBuf::from))
            .or_else(|| std::env::var_os(ENV_KUBECONFIG).map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config")).filter(|p| p.exists()));
        let mut clusters = BTreeMap::new();
        let default_context;
        match path {
            Some(path) => {
                let kubeconfig = Kubeconfig::read_from(&path)
                    .map_err(|e| Error::invalid("kubernetes.kubeconfig", format!("{}: {e}", path.display())))?;
                let current = kubeconfig.current_context.clone().unwrap_or_default();
                default_context = section.default_context.clone().unwrap_or(current);
                let mut names = section.contexts.clone();
                if !names.contains(&default_context) {
                    names.push(default_context.clone());
                }
                for name in names {
                    if !kubeconfig.contexts.iter().any(|c| c.name == name) {
                        return Err(Error::invalid(
                            "kubernetes.contexts",
                            format!("no context `{name}` in {}", path.display()),
                        ));
                    }
                    let options = KubeConfigOptions { context: Some(name.clone()), ..Default::default() };
                    let mut config = KubeClientConfig::from_custom_kubeconfig(kubeconfig.clone(), &options)
                        .await
                        .map_err(|e| Error::invalid("kubernetes.kubeconfig", format!("context `{name}`: {e}")))?;
                    impersonate(&mut config, &policy);
                    clusters.insert(name, Cluster::new(config, DiscoveryCache::default())?);
                }
            }
            None => match KubeClientConfig::incluster() {
                Ok(mut config) => {
                    impersonate(&mut config, &policy);
                    default_context = "in-cluster".into();
                    clusters.insert(default_context.clone(), Cluster::new(config, DiscoveryCache::default())?);
                }
                Err(_) => return Ok(None),
            },
        }
        Ok(Some(Arc::new(Self { clusters, default_context, policy, callers: identity::CallerViews::default() })))
    }

    /// Context names and the default one.
    pub fn contexts(&self) -> (Vec<String>, &str) {
        (self.clusters.keys().cloned().collect(), &self.default_context)
    }

    pub(crate) fn client(&self, context: Option<&str>) -> std::result::Result<&Client, ops::KubeFailure> {
        let name = context.filter(|c| !c.is_empty()).unwrap_or(&self.default_context);
        self.clusters.get(name).map(|c| &c.client).ok_or_else(|| {
            ops::KubeFailure::Invalid(format!("unknown context `{name}`; configured: {:?}", self.contexts().0))
        })
    }

    /// Discovery of the context's API server, cached for a minute.
    pub(crate) async fn discovery(
        &self,
        context: Option<&str>,
    ) -> std::result::Result<Arc<Discovery>, ops::KubeFailure> {
        self.discovery_within(context, DISCOVERY_TTL).await
    }

    /// Discovery no older than `max_age`.
    async fn discovery_within(
        &self,
        context: Option<&str>,
        max_age: Duration,
    ) -> std::result::Result<Arc<Discovery>, ops::KubeFailure> {
        let name = context.filter(|c| !c.is_empty()).unwrap_or(&self.default_context);
        let cluster =
            self.clusters.get(name).ok_or_else(|| ops::KubeFailure::Invalid(format!("unknown context `{name}`")))?;
        let mut cached = cluster.discovery.lock().await;
        if let Some((at, d)) = cached.as_ref()
            && at.elapsed() < max_age
        {
            return Ok(d.clone());
        }
        let d = Arc::new(Discovery::new(cluster.client.clone()).run().await.map_err(ops::KubeFailure::from)?);
        *cached = Some((Instant::now(), d.clone()));
        Ok(d)
    }

    /// The resource for `apiVersion` + `kind` (see `find_resource`); a kind
    /// the cached discovery lacks is looked up again in a fresh one.
    pub(crate) async fn resolve(
        &self,
        context: Option<&str>,
        api_version: &str,
        kind: &str,
    ) -> std::result::Result<(ApiResource, ApiCapabilities), ops::KubeFailure> {
        let found = find_resource(&*self.discovery(context).await?, api_version, kind);
        match found {
            // A kind created since (a new CRD): look again with fresher discovery.
            None => find_resource(&*self.discovery_within(context, REDISCOVER_AFTER).await?, api_version, kind),
            found => found,
        }
        .ok_or_else(|| {
            let within = if api_version.trim().is_empty() { String::new() } else { format!(" in `{api_version}`") };
            ops::KubeFailure::Unsupported(format!("the API server serves no kind `{kind}`{within}"))
        })
    }

    pub(crate) fn is_namespaced(caps: &ApiCapabilities) -> bool {
        caps.scope == Scope::Namespaced
    }
}

/// `apiVersion` + `kind` (kind, plural or singular name, any case) in
/// `discovery`; without `apiVersion`, the preferred version of the first
/// group serving that kind, core first.
fn find_resource(discovery: &Discovery, api_version: &str, kind: &str) -> Option<(ApiResource, ApiCapabilities)> {
    let wanted = kind.trim().to_ascii_lowercase();
    let matches = |ar: &ApiResource| ar.kind.to_ascii_lowercase() == wanted || ar.plural == wanted;
    if api_version.trim().is_empty() {
        let mut groups: Vec<_> = discovery.groups().collect();
        groups.sort_by_key(|g| !g.name().is_empty());
        return groups.into_iter().find_map(|g| g.recommended_resources().into_iter().find(|(ar, _)| matches(ar)));
    }
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    discovery
        .groups()
        .filter(|g| g.name() == group)
        .find_map(|g| g.versioned_resources(version).into_iter().find(|(ar, _)| matches(ar)))
}
