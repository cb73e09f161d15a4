//! Capability grants: which host capabilities a component may use. Nothing
//! is assumed: a capability a component was not granted answers every call
//! with a denial. Grants come from the operator (`[components.<c>] grants`,
//! narrowed per tenant); a component's own manifest may only *request* a
//! subset (`capabilities = [...]`), never grant itself anything.

use std::collections::BTreeSet;
use std::fmt;

/// One host capability a component can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grant {
    /// Its own settings and secrets (`config` interface).
    Config,
    /// Log lines (`log` interface).
    Log,
    /// Progress reports and cancellation (`progress` interface).
    Progress,
    /// Outbound HTTP (wasi:http), within the component's egress allowlist.
    Http,
    /// Kubernetes (`kube` interface), within the Kubernetes policy.
    Kube,
    /// Helm (`helm` interface), within the Kubernetes policy.
    Helm,
}

impl Grant {
    pub const ALL: [Grant; 6] = [Grant::Config, Grant::Log, Grant::Progress, Grant::Http, Grant::Kube, Grant::Helm];

    pub fn name(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Log => "log",
            Self::Progress => "progress",
            Self::Http => "http",
            Self::Kube => "kube",
            Self::Helm => "helm",
        }
    }

    /// The capability named `name` (exact, lowercase), if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }

    /// The capability behind an imported interface name such as
    /// `k8s-mcp:tools/kube@0.1.0` or `wasi:http/outgoing-handler@0.2.12`.
    pub fn of_import(interface: &str) -> Option<Self> {
        let base = interface.split('@').next().unwrap_or(interface);
        match base {
            "k8s-mcp:tools/config" => Some(Self::Config),
            "k8s-mcp:tools/log" => Some(Self::Log),
            "k8s-mcp:tools/progress" => Some(Self::Progress),
            "k8s-mcp:tools/kube" => Some(Self::Kube),
            "k8s-mcp:tools/helm" => Some(Self::Helm),
            "wasi:http/outgoing-handler" => Some(Self::Http),
            _ => None,
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(BTreeSet<Grant>);

/// A grant list that names something that is not a capability.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a capability (one of config, log, progress, http, kube, helm)")]
pub struct UnknownGrant(pub String);

impl Grants {
    pub fn none() -> Self {
        Self::default()
    }

    /// What every component gets unless the operator says otherwise: its
    /// own settings, log lines, progress, and HTTP within its (empty by
    /// default) egress allowlist. Never Kubernetes or Helm.
    pub fn baseline() -> Self {
        Self([Grant::Config, Grant::Log, Grant::Progress, Grant::Http].into_iter().collect())
    }

    /// Parse a list of capability names.
    pub fn parse(names: &[String]) -> Result<Self, UnknownGrant> {
        names.iter().map(|n| Grant::parse(n.trim()).ok_or_else(|| UnknownGrant(n.clone()))).collect()
    }

    pub fn contains(&self, grant: Grant) -> bool {
        self.0.contains(&grant)
    }

    pub fn with(mut self, grant: Grant) -> Self {
        self.0.insert(grant);
        self
    }

    /// Only what both allow.
    pub fn intersect(&self, other: &Grants) -> Grants {
        Self(self.0.intersection(&other.0).copied().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = Grant> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Grant> for Grants {
    fn from_iter<I: IntoIterator<Item = Grant>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.0.iter().map(|g| g.name()).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_exactly() {
        assert_eq!(Grants::parse(&["kube".into(), "log".into()]).unwrap().to_string(), "log, kube");
        for bad in ["Kube", "kubernetes", "*", "", "kube,helm"] {
            assert!(Grants::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_baseline_never_holds_kubernetes_or_helm() {
        let b = Grants::baseline();
        assert!(!b.contains(Grant::Kube) && !b.contains(Grant::Helm));
        assert!(b.contains(Grant::Http) && b.contains(Grant::Config));
    }

    #[test]
    fn imports_map_to_capabilities_whatever_their_version() {
        assert_eq!(Grant::of_import("k8s-mcp:tools/kube@0.1.0"), Some(Grant::Kube));
        assert_eq!(Grant::of_import("k8s-mcp:tools/kube@9.9.9"), Some(Grant::Kube));
        assert_eq!(Grant::of_import("wasi:http/outgoing-handler@0.2.12"), Some(Grant::Http));
        assert_eq!(Grant::of_import("wasi:http/types@0.2.12"), None);
        assert_eq!(Grant::of_import("k8s-mcp:tools/types@0.1.0"), None);
    }

    #[test]
    fn intersection_only_narrows() {
        let op = Grants::baseline().with(Grant::Kube);
        let asked = Grants::parse(&["kube".into(), "helm".into()]).unwrap();
        let got = op.intersect(&asked);
        assert!(got.contains(Grant::Kube) && !got.contains(Grant::Helm), "a request cannot add helm");
    }
}
