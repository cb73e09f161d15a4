//! Port forwarding to a pod, bound to loopback and to a deadline.
//!
//! A tool call cannot keep a socket open itself (its instance ends with the
//! call), so the runtime owns the listeners: it checks policy, makes one
//! forward to the pod up front (an unreachable pod or a kubelet that cannot
//! stream fails the call), then listens on `127.0.0.1` until the deadline.
//! Each accepted connection gets its own forward stream; at the deadline the
//! listeners close and open connections are cut.

use super::KubeService;
use super::api::{PortForwardOptions, PortForwardSession, PortMapping};
use super::ops::KubeFailure;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Default cap on how long a forward stays open.
pub const DEFAULT_MAX_SECONDS: u32 = 300;
/// Mappings per call.
const MAX_PORTS: usize = 8;
/// Time allowed for the up-front forward to the pod.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

type R<T> = Result<T, KubeFailure>;

/// Check the request against policy and the mappings for sense.
fn vet(svc: &KubeService, namespace: &str, o: &PortForwardOptions) -> R<u32> {
    let doc = &svc.policy.doc;
    if !doc.allow_port_forward {
        return Err(KubeFailure::Forbidden(
            "port forwarding is disabled by policy (kubernetes.allow_port_forward)".into(),
        ));
    }
    svc.policy.check_write("port-forward")?;
    svc.policy.check_namespace(Some(namespace))?;
    if o.ports.is_empty() || o.ports.len() > MAX_PORTS {
        return Err(KubeFailure::Invalid(format!("give between 1 and {MAX_PORTS} port mappings")));
    }
    if let Some(m) = o.ports.iter().find(|m| m.remote_port == 0) {
        return Err(KubeFailure::Invalid(format!("remote port must not be 0 (local {})", m.local_port)));
    }
    let max = doc.port_forward_max_seconds.unwrap_or(DEFAULT_MAX_SECONDS).max(1);
    Ok(o.duration_seconds.clamp(1, max))
}

pub async fn port_forward(
    svc: &KubeService,
    ctx: Option<&str>,
    namespace: &str,
    pod: &str,
    o: &PortForwardOptions,
) -> R<PortForwardSession> {
    let seconds = vet(svc, namespace, o)?;
    let api: Api<Pod> = Api::namespaced(svc.client(ctx)?.clone(), namespace);
    let remotes: Vec<u16> = o.ports.iter().map(|m| m.remote_port).collect();
    // Like kubectl: a missing or not-running pod is the caller's problem, any
    // failure after that is the cluster's.
    let phase = api.get(pod).await?.status.and_then(|s| s.phase).unwrap_or_default();
    if phase != "Running" {
        return Err(KubeFailure::Invalid(format!(
            "pod {namespace}/{pod} is not running (phase {phase}); port forwarding needs a running pod"
        )));
    }
    let probe = tokio::time::timeout(CONNECT_TIMEOUT, api.portforward(pod, &remotes))
        .await
        .map_err(|_| KubeFailure::Unavailable(format!("port forward to {namespace}/{pod} timed out")))?
        .map_err(|e| match KubeFailure::from(e) {
            KubeFailure::Forbidden(m) => KubeFailure::Forbidden(m),
            KubeFailure::NotFound(m)
            | KubeFailure::Conflict(m)
            | KubeFailure::Invalid(m)
            | KubeFailure::Unsupported(m)
            | KubeFailure::Unavailable(m)
            | KubeFailure::Other(m) => KubeFailure::Unsupported(format!(
                "the cluster could not open a port forward to {namespace}/{pod} (the node's kubelet must support streaming): {m}"
            )),
        })?;
    // The probe proved the pod is reachable; connections open their own streams.
    probe.abort();

    let mut listeners = Vec::with_capacity(o.ports.len());
    let mut bound = Vec::with_capacity(o.ports.len());
    for m in &o.ports {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, m.local_port));
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| KubeFailure::Conflict(format!("cannot listen on {addr}: {e}")))?;
        let port = l.local_addr().map_err(|e| KubeFailure::Other(e.to_string()))?.port();
        bound.push(PortMapping { local_port: port, remote_port: m.remote_port });
        listeners.push((l, m.remote_port));
    }
    let (ns, name) = (namespace.to_string(), pod.to_string());
    tracing::info!(namespace = %ns, pod = %name, ports = ?remotes, seconds, "port forward open");
    tokio::spawn(async move {
        let mut tasks = JoinSet::new();
        for (listener, remote) in listeners {
            tasks.spawn(serve(listener, api.clone(), name.clone(), remote));
        }
        // Dropping the set at the deadline aborts the accept loops and every
        // connection they own.
        let _ = tokio::time::timeout(Duration::from_secs(u64::from(seconds)), tasks.join_all()).await;
        tracing::info!(namespace = %ns, pod = %name, "port forward closed");
    });
    Ok(PortForwardSession { listeners: bound, expires_in_seconds: seconds })
}

async fn serve(listener: TcpListener, api: Api<Pod>, pod: String, remote: u16) {
    let mut conns = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                conns.spawn(relay(socket, api.clone(), pod.clone(), remote));
            }
            // Out of descriptors and the like: back off instead of spinning.
            Err(e) => {
                tracing::warn!(pod = %pod, error = %e, "port forward accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        while conns.try_join_next().is_some() {}
    }
}

async fn relay(mut socket: TcpStream, api: Api<Pod>, pod: String, remote: u16) {
    let mut pf = match api.portforward(&pod, &[remote]).await {
        Ok(pf) => pf,
        Err(e) => {
            tracing::warn!(pod = %pod, remote, error = %e, "port forward stream failed");
            return;
        }
    };
    if let Some(mut upstream) = pf.take_stream(remote) {
        let _ = tokio::io::copy_bidirectional(&mut socket, &mut upstream).await;
    }
    pf.abort();
}
