"""The tests against a real kube-apiserver (tests/backends/kube-up.sh: etcd +
kube-apiserver/controller-manager/scheduler + a fake node and kubelet): the
shared control plane, MCP clients of the kubernetes component, a fresh
namespace per test, and calling its tools."""

from __future__ import annotations

import os
import uuid

import pytest

from support.backends import down, up
from support.mcp import json_of, stdio_client
from support.mcp import poll as _poll

# The marker of the modules that need the control plane (scripts/test.sh sets K8S_MCP_KUBE_TESTS=1).
needs_kube = pytest.mark.skipif(
    os.environ.get("K8S_MCP_KUBE_TESTS") != "1",
    reason="needs a kube-apiserver (tests/backends/kube-up.sh); set K8S_MCP_KUBE_TESTS=1 to run it",
)


@pytest.fixture(scope="session")
def kube_cluster():
    """The control plane shared by the Kubernetes tests; its exports as a dict."""
    yield start_cluster()
    stop_cluster()


def start_cluster(**env: str) -> dict[str, str]:
    """Start (or reuse) a control plane; its `export K=V` lines as a dict."""
    return up("kube-up.sh", "KUBE_API_URL", "KUBECONFIG_ADMIN", "KUBECONFIG_DEV", timeout=1800, **env)


def stop_cluster(**env: str) -> None:
    if os.environ.get("K8S_MCP_KUBE_KEEP") != "1":
        down("kube-down.sh", **env)


def runtime_env(kubeconfig: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "MCP_KUBECONFIG", "K8S_MCP_READ_ONLY")}
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    env.update(extra)
    return env


@pytest.fixture
def kube(runtime_bin, components_dir, kube_cluster):
    def open_client(kubeconfig: str | None = None, *extra: str, **env: str):
        cfg = kube_cluster["KUBECONFIG_ADMIN"] if kubeconfig is None else kubeconfig
        return stdio_client(runtime_bin, components_dir, *extra, env=runtime_env(cfg, **env))

    return open_client


async def poll(fn, check, timeout=60.0, interval=0.5):
    return await _poll(fn, check, timeout=timeout, interval=interval)


async def call(client, tool: str, args: dict):
    return await client.call_tool(f"kubernetes_{tool}", args)


async def ok(client, tool: str, args: dict) -> dict:
    return json_of(await call(client, tool, args))


def deployment(name: str, ns: str, replicas: int = 1) -> dict:
    labels = {"app": name}
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "nginx:1"}]}},
        },
    }


@pytest.fixture
async def namespace(kube):
    ns = f"mcp-{uuid.uuid4().hex[:8]}"
    async with kube() as client:
        created = await ok(client, "create_resource", {"kind": "Namespace", "metadata": {"name": ns}})
        assert created["name"] == ns and created["kind"] == "Namespace"
    yield ns
    async with kube() as client:
        await call(client, "delete_resource", {"kind": "Namespace", "name": ns})
