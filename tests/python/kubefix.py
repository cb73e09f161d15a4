"""Shared fixtures and helpers for the tests against a real kube-apiserver
(tests/backends/kube-up.sh: etcd + kube-apiserver/controller-manager/scheduler
+ a fake node and kubelet). conftest.py re-exports the fixtures."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import json_of, stdio_client
from helpers import poll as _poll

ROOT = Path(__file__).resolve().parents[2]
KUBE_UP = ROOT / "tests" / "backends" / "kube-up.sh"
KUBE_DOWN = ROOT / "tests" / "backends" / "kube-down.sh"


@pytest.fixture(scope="session")
def kube_cluster():
    """The control plane shared by the Kubernetes tests; its exports as a dict."""
    yield start_cluster()
    stop_cluster()


def start_cluster(**env: str) -> dict[str, str]:
    """Start (or reuse) a control plane; its `export K=V` lines as a dict."""
    out = subprocess.run([str(KUBE_UP)], capture_output=True, text=True, timeout=1800, env={**os.environ, **env})
    assert out.returncode == 0, f"kube-up.sh failed:\n{out.stderr[-4000:]}"
    exports = {}
    for line in out.stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export ") :].split("=", 1)
            exports[key] = value.strip().strip('"').strip("'")
    for key in ("KUBE_API_URL", "KUBECONFIG_ADMIN", "KUBECONFIG_DEV"):
        assert key in exports, f"kube-up.sh did not export {key}: {out.stdout}"
    return exports


def stop_cluster(**env: str) -> None:
    if os.environ.get("K8S_MCP_KUBE_KEEP") != "1":
        subprocess.run([str(KUBE_DOWN)], capture_output=True, timeout=120, env={**os.environ, **env})


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
