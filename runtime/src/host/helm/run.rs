//! Running the helm binary: a clean environment pointing at the tenant's
//! folders, the call's Kubernetes context and identity, a deadline (the
//! process is killed when it passes or the call is dropped) and bounded
//! output.

use super::{Call, HelmError};
use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Proxy and in-cluster settings helm may need; nothing else of the
/// runtime's environment reaches it.
const PASS_ENV: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// One helm invocation being assembled.
pub struct Helm<'a> {
    call: &'a Call,
    args: Vec<OsString>,
    timeout: Duration,
}

impl<'a> Helm<'a> {
    pub fn new(call: &'a Call, args: &[&str]) -> Self {
        Self { call, args: args.iter().map(OsString::from).collect(), timeout: call.svc.timeout }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn opt(self, flag: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.arg(flag).arg(v),
            None => self,
        }
    }

    pub fn flag(self, flag: &str, on: bool) -> Self {
        if on { self.arg(flag) } else { self }
    }

    /// Cap the run below the service's limit.
    pub fn timeout(mut self, secs: Option<u32>) -> Self {
        if let Some(s) = secs.filter(|s| *s > 0) {
            self.timeout = self.timeout.min(Duration::from_secs(u64::from(s)));
        }
        self
    }

    /// Connect to the cluster the way the `kube` capability does: its
    /// kubeconfig, the call's context, the impersonated user and groups.
    pub fn cluster(mut self) -> Result<Self, HelmError> {
        let kube = self.call.kube.as_ref().ok_or_else(|| {
            HelmError::NotConfigured("no Kubernetes cluster is configured (set KUBECONFIG or MCP_KUBECONFIG)".into())
        })?;
        if let Some(path) = &self.call.svc.kubeconfig {
            self = self.arg("--kubeconfig").arg(path);
            let context = self.call.context.clone().unwrap_or_else(|| kube.contexts().1.to_string());
            if !context.is_empty() {
                self = self.arg("--kube-context").arg(context);
            }
        }
        let doc = &kube.policy.doc;
        if let Some(user) = &doc.impersonate_user {
            self = self.arg("--kube-as-user").arg(user);
            for group in &doc.impersonate_groups {
                self = self.arg("--kube-as-group").arg(group);
            }
        }
        Ok(self)
    }

    /// Run to completion; stdout on success, a classified error otherwise.
    pub async fn run(self) -> Result<String, HelmError> {
        let svc = &self.call.svc;
        let binary = svc.binary.as_ref().ok_or_else(|| {
            HelmError::NotConfigured(
                "helm binary not configured (set helm.binary, HELM_BINARY or put helm on PATH)".into(),
            )
        })?;
        let t = &self.call.tenant;
        let mut cmd = tokio::process::Command::new(binary);
        cmd.args(&self.args)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &t.root)
            .env("HELM_CONFIG_HOME", &t.config)
            .env("HELM_CACHE_HOME", &t.cache)
            .env("HELM_DATA_HOME", &t.data)
            .env("HELM_PLUGINS", t.data.join("plugins"))
            .env("HELM_REPOSITORY_CONFIG", t.repositories_file())
            .env("HELM_REPOSITORY_CACHE", t.repository_cache())
            .env("HELM_REGISTRY_CONFIG", t.config.join("registry").join("config.json"))
            .env("HELM_DRIVER", "secret")
            .current_dir(&t.files)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for key in PASS_ENV.iter().copied().chain(svc.pass_env.iter().map(String::as_str)) {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        let verb = self.args.first().map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
        // Waiting for a slot counts against the run's time too.
        let started = std::time::Instant::now();
        let _slot = tokio::time::timeout(self.timeout, svc.slots.acquire())
            .await
            .map_err(|_| {
                HelmError::Timeout(format!("helm {verb}: no free helm slot within {} s", self.timeout.as_secs()))
            })?
            .map_err(|_| HelmError::Failed("helm runner closed".into()))?;
        let left = self.timeout.saturating_sub(started.elapsed());
        let mut child = cmd.spawn().map_err(|e| HelmError::Failed(format!("cannot run {}: {e}", binary.display())))?;
        let max = svc.max_output;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let work = async {
            let (out, err) = tokio::join!(read_capped(stdout, max), read_capped(stderr, 64 * 1024));
            let status = child.wait().await;
            (out, err, status)
        };
        let (out, err, status) = tokio::time::timeout(left, work).await.map_err(|_| {
            HelmError::Timeout(format!("helm {verb} did not finish within {} s", self.timeout.as_secs()))
        })?;
        let status = status.map_err(|e| HelmError::Failed(format!("helm {verb}: {e}")))?;
        let (out, truncated) = out.map_err(|e| HelmError::Failed(format!("helm {verb}: {e}")))?;
        let err = err.map(|(e, _)| e).unwrap_or_default();
        if !status.success() {
            return Err(classify(&verb, &String::from_utf8_lossy(&err)));
        }
        if truncated {
            return Err(HelmError::Failed(format!("helm {verb} printed more than {max} bytes")));
        }
        tracing::debug!(verb, "helm finished");
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

async fn read_capped(stream: Option<impl AsyncRead + Unpin>, max: usize) -> std::io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    let Some(s) = stream else { return Ok((buf, false)) };
    let mut limited = s.take(max as u64 + 1);
    limited.read_to_end(&mut buf).await?;
    // Drain the rest so helm never blocks on a full pipe.
    let mut rest = limited.into_inner();
    let mut sink = [0u8; 8192];
    while rest.read(&mut sink).await? > 0 {}
    let truncated = buf.len() > max;
    buf.truncate(max);
    Ok((buf, truncated))
}

/// helm's last `Error: ...` line, classified.
pub fn classify(verb: &str, stderr: &str) -> HelmError {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("Error:"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("failed without a message");
    let msg = line.trim_start_matches("Error:").trim().to_string();
    let lower = msg.to_ascii_lowercase();
    if lower.contains("not found") || lower.contains("no such file") || lower.contains("has no deployed releases") {
        HelmError::NotFound(format!("helm {verb}: {msg}"))
    } else if lower.contains("forbidden") {
        HelmError::Denied(format!("helm {verb}: {msg}"))
    } else {
        HelmError::Failed(format!("helm {verb}: {msg}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_from_helms_last_error_line() {
        let e = classify("status", "some warning\nError: release: not found\n");
        assert!(matches!(e, HelmError::NotFound(m) if m == "helm status: release: not found"));
        let e = classify("install", "Error: INSTALLATION FAILED: configmaps is forbidden: User \"x\" cannot create");
        assert!(matches!(e, HelmError::Denied(_)));
        let e = classify("install", "Error: INSTALLATION FAILED: cannot re-use a name that is still in use");
        assert!(matches!(e, HelmError::Failed(m) if m.contains("re-use")));
        assert!(matches!(classify("x", ""), HelmError::Failed(m) if m.contains("without a message")));
    }
}
