"""Fixtures and helpers of the helm component tests (test_helm.py):
a runtime with only the helm component, a file root and Helm state folder,
a loopback chart repository, the real helm binary from kube-up.sh."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from support.loopback import serving
from support.mcp import json_of, stdio_client, text_of
from support.runtime import ROOT, components_subset

CHART = ROOT / "tests" / "fixtures" / "charts" / "demo"


@pytest.fixture(scope="module")
def helm_env(kube_cluster):
    assert "HELM" in kube_cluster, "kube-up.sh did not export HELM"
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "MCP_KUBECONFIG", "HELM_BINARY", "K8S_MCP_READ_ONLY")}
    env["KUBECONFIG"] = kube_cluster["KUBECONFIG_ADMIN"]
    return env


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A file root for charts and values files, and the runtime's Helm state."""
    d = tmp_path_factory.mktemp("helm")
    (d / "root").mkdir()
    (d / "state").mkdir()
    return d


@pytest.fixture(scope="module")
def repo(work):
    """A chart repository (index.yaml + packaged chart) on a loopback port."""
    served = work / "repo"
    served.mkdir()
    with serving(functools.partial(QuietHandler, directory=str(served))) as url:
        yield served, url


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def write_config(work: Path, repo_url: str | None, *, tenant: str = "default", kube_read_only: bool = False, kube: str = "") -> Path:
    lines = [
        "[server]",
        f'tenant = "{tenant}"',
        "[helm]",
        f'state_dir = "{work / "state"}"',
        f'file_roots = ["{CHART.parent}", "{work / "root"}"]',
    ]
    if repo_url:
        lines += ["[components.helm]", f'allow_http = ["{repo_url}"]']
    if kube_read_only or kube:
        lines += ["[kubernetes]", f"read_only = {str(kube_read_only).lower()}", kube]
    cfg = work / f"config-{uuid.uuid4().hex[:6]}.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


@pytest.fixture(scope="module")
def helm_components(components_dir, tmp_path_factory) -> Path:
    """Only the helm component (start-up compiles every component it finds)."""
    return components_subset(tmp_path_factory.mktemp("helm-components"), "helm")


@pytest.fixture
def mcp(runtime_bin, helm_components, kube_cluster, helm_env, work, repo):
    def open_client(*extra: str, with_helm: bool = True, config: Path | None = None, **env: str):
        e = dict(helm_env)
        if with_helm:
            e["HELM_BINARY"] = kube_cluster["HELM"]
        else:
            e["PATH"] = "/usr/bin:/bin"
        e.update(env)
        cfg = config or write_config(work, repo[1])
        return stdio_client(runtime_bin, helm_components, "--config", str(cfg), *extra, env=e)

    return open_client


def helm(kube_cluster, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, KUBECONFIG=kube_cluster["KUBECONFIG_ADMIN"])
    out = subprocess.run([kube_cluster["HELM"], *args], capture_output=True, text=True, timeout=300, env=env)
    if check:
        assert out.returncode == 0, f"helm {' '.join(args)} failed: {out.stderr}"
    return out


def helm_json(kube_cluster, *args: str):
    return json.loads(helm(kube_cluster, *args, "-o", "json").stdout)


@pytest.fixture
def namespace(kube_cluster):
    ns = f"helm-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, KUBECONFIG=kube_cluster["KUBECONFIG_ADMIN"])
    subprocess.run([kube_cluster["KUBECTL"], "create", "namespace", ns], check=True, capture_output=True, env=env)
    yield ns
    subprocess.run([kube_cluster["KUBECTL"], "delete", "namespace", ns, "--wait=false"], capture_output=True, env=env)


async def call(client, tool: str, args: dict):
    return await client.call_tool(f"helm_{tool}", args)


async def ok(client, tool: str, args: dict) -> dict:
    return json_of(await call(client, tool, args))


async def err(client, tool: str, args: dict) -> str:
    r = await call(client, tool, args)
    assert r.is_error, f"{tool} should have failed: {text_of(r)}"
    return text_of(r)
