"""Per-call context selection across two real API servers side by side, and
the size of list summaries on 200 real Pod objects."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from support.kube import call, needs_kube, ok, start_cluster, stop_cluster
from support.mcp import text_of
from support.runtime import ROOT

pytestmark = [
    pytest.mark.anyio,
    needs_kube,
]

# The second plane: its own state folder and preferred ports.
SECOND = {
    "KUBE_STATE": str(ROOT / "target" / "kube" / "state-b"),
    "KUBE_API_PORT": "16444",
    "KUBE_ETCD_PORT": "32389",
    "KUBE_ETCD_PEER_PORT": "32390",
    "KUBE_KCM_PORT": "20267",
    "KUBE_SCHED_PORT": "20269",
    "KUBE_KUBELET_PORT": "20260",
}


@pytest.fixture(scope="module")
def second_cluster(kube_cluster):
    exports = start_cluster(**SECOND)
    yield exports
    stop_cluster(KUBE_STATE=SECOND["KUBE_STATE"])


def kubeconfig_json(kubectl: str, path: str) -> dict:
    out = subprocess.run([kubectl, "config", "view", "--raw", "-o", "json"], capture_output=True, text=True,
                         env={**os.environ, "KUBECONFIG": path}, timeout=60, check=True)
    return json.loads(out.stdout)


def merged_kubeconfig(kubectl: str, named: dict[str, str]) -> dict:
    """One kubeconfig holding each plane's admin credentials under its own context name."""
    merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [], "current-context": next(iter(named))}
    for name, path in named.items():
        cfg = kubeconfig_json(kubectl, path)
        merged["clusters"].append({"name": name, "cluster": cfg["clusters"][0]["cluster"]})
        merged["users"].append({"name": name, "user": cfg["users"][0]["user"]})
        merged["contexts"].append({"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}})
    return merged


async def test_each_call_reaches_the_context_it_names(kube, kube_cluster, second_cluster, tmp_path):
    assert kube_cluster["KUBE_API_URL"] != second_cluster["KUBE_API_URL"]
    kubeconfig = tmp_path / "two-clusters.json"
    kubeconfig.write_text(json.dumps(merged_kubeconfig(kube_cluster["KUBECTL"], {
        "plane-a": kube_cluster["KUBECONFIG_ADMIN"], "plane-b": second_cluster["KUBECONFIG_ADMIN"]})))
    cfg = tmp_path / "config.toml"
    cfg.write_text('[kubernetes]\ncontexts = ["plane-a", "plane-b"]\ndefault_context = "plane-a"\n')
    name = f"only-in-b-{uuid.uuid4().hex[:6]}"
    async with kube(str(kubeconfig), "--config", str(cfg)) as client:
        uids = {}
        for ctx in ("plane-a", "plane-b"):
            ns = await ok(client, "get_resource", {"kind": "Namespace", "name": "kube-system", "context": ctx})
            uids[ctx] = ns["metadata"]["uid"]
        assert uids["plane-a"] != uids["plane-b"], "both contexts reached the same API server"

        await ok(client, "create_resource", {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": {"x": "1"}, "context": "plane-b"})
        in_b = await ok(client, "get_resource", {"kind": "ConfigMap", "name": name, "namespace": "default", "context": "plane-b"})
        assert in_b["data"] == {"x": "1"}
        # The default context (plane-a) and an explicit plane-a do not see it.
        for args in ({}, {"context": "plane-a"}):
            r = await call(client, "get_resource", {"kind": "ConfigMap", "name": name, "namespace": "default", **args})
            assert r.is_error and "not found" in text_of(r).lower(), text_of(r)
        # Results are cached per context: the same read in the other context is not served from a's answer.
        listed_b = await ok(client, "list_resources_summary", {"kind": "ConfigMap", "namespace": "default", "context": "plane-b"})
        listed_a = await ok(client, "list_resources_summary", {"kind": "ConfigMap", "namespace": "default", "context": "plane-a"})
        assert name in [i["name"] for i in listed_b["items"]] and name not in [i["name"] for i in listed_a["items"]]

        unknown = await call(client, "get_resource", {"kind": "Namespace", "name": "default", "context": "plane-c"})
        assert unknown.is_error and "plane-c" in text_of(unknown), text_of(unknown)
        await ok(client, "delete_resource", {"kind": "ConfigMap", "name": name, "namespace": "default", "context": "plane-b"})


def realistic_pod(i: int, ns: str, node: str) -> dict:
    """A pod shaped like one a Deployment makes: labels, owner, resources,
    probes, env, volume mounts."""
    app = f"svc-{i % 10}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{app}-7d9f8b6c5-{i:05d}",
            "namespace": ns,
            "labels": {"app": app, "pod-template-hash": "7d9f8b6c5", "tier": "backend", "team": "payments"},
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9102"},
        },
        "spec": {
            "nodeName": node,
            "serviceAccountName": "default",
            "containers": [{
                "name": "app",
                "image": f"registry.example.com/payments/{app}:1.{i % 7}.3",
                "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9102}],
                "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
                "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
            }],
            "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}}],
        },
    }


async def test_200_pod_summary_is_small(kube, kube_cluster, namespace, tmp_path):
    ns = namespace
    items = [realistic_pod(i, ns, kube_cluster["KUBE_FAKE_NODE"]) for i in range(200)]
    manifest = tmp_path / "pods.json"
    manifest.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    env = {**os.environ, "KUBECONFIG": kube_cluster["KUBECONFIG_ADMIN"]}
    subprocess.run([kube_cluster["KUBECTL"], "create", "-f", str(manifest)], env=env, check=True, capture_output=True, timeout=300)
    listed = subprocess.run([kube_cluster["KUBECTL"], "get", "pods", "-n", ns, "-o", "json"], env=env, check=True,
                            capture_output=True, timeout=120).stdout
    # The full list as the API server sends it: compact JSON.
    full = json.dumps(json.loads(listed), separators=(",", ":"))
    async with kube() as client:
        r = await call(client, "list_resources_summary", {"kind": "Pod", "namespace": ns, "limit": 200})
        summary = text_of(r)
        assert not r.is_error and json.loads(summary)["count"] == 200
    ratio = len(summary) / len(full)
    print(f"200 pods: summary {len(summary)} bytes, full list {len(full)} bytes, {100 * (1 - ratio):.1f}% smaller")
    assert len(summary) <= 36 * 1024, f"summary of 200 pods is {len(summary)} bytes"
    assert ratio <= 0.10, f"summary is {ratio:.1%} of the full list ({len(summary)} / {len(full)} bytes)"
