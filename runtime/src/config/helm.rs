//! `[helm]`: the helm binary, per-tenant Helm state and file roots.

use serde::Deserialize;
use std::path::PathBuf;

/// `[helm]` in the config file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelmSection {
    /// The helm binary (default: `HELM_BINARY`, then `helm` on `PATH`).
    pub binary: Option<PathBuf>,
    /// Per-tenant Helm state (repositories, caches, files); default:
    /// `$XDG_STATE_HOME/k8s-mcp-runtime/helm` (or `~/.local/state/...`).
    pub state_dir: Option<PathBuf>,
    /// Components granted this capability (default: `["helm"]`).
    pub components: Option<Vec<String>>,
    /// Folders local charts and values files may also be read from (besides
    /// each tenant's `files` folder).
    #[serde(default)]
    pub file_roots: Vec<PathBuf>,
    /// Longest a helm run may take (default 300).
    pub timeout_seconds: Option<u64>,
    /// Largest helm output accepted (default 16 MiB).
    pub max_output_bytes: Option<usize>,
    /// helm processes running at once (default 4); further calls wait.
    pub max_concurrent: Option<usize>,
    /// Environment variables of the runtime handed to helm besides the proxy
    /// and in-cluster ones (e.g. what a kubeconfig exec credential plugin needs).
    #[serde(default)]
    pub pass_env: Vec<String>,
}
