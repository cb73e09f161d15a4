"""The real backends the start scripts in tests/backends run on loopback:
Prometheus and Alertmanager (up.sh), Elasticsearch 2.4.1 (es-up.sh); each
is started once per test run and stopped at the end. kube.py starts the
Kubernetes control plane the same way."""

from __future__ import annotations

import os
import subprocess

import pytest

from support.runtime import ROOT

SCRIPTS = ROOT / "tests" / "backends"


def up(script: str, *required: str, timeout: float, **env: str) -> dict[str, str]:
    """Run the start script `script`; its `export K=V` lines as a dict, which
    must name every key in `required`."""
    out = subprocess.run([str(SCRIPTS / script)], capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, **env})
    assert out.returncode == 0, f"{script} failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    exports = {}
    for line in out.stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export ") :].split("=", 1)
            exports[key] = value.strip().strip('"').strip("'")
    for key in required:
        assert key in exports, f"{script} did not export {key}: {out.stdout}"
    return exports


def down(script: str, **env: str) -> None:
    subprocess.run([str(SCRIPTS / script)], capture_output=True, timeout=120, env={**os.environ, **env})


@pytest.fixture(scope="session")
def backends():
    """Real Prometheus and Alertmanager on loopback (tests/backends/up.sh)."""
    yield up("up.sh", "PROMETHEUS_URL", "ALERTMANAGER_URL", timeout=900)
    down("down.sh")


@pytest.fixture(scope="session")
def backend_env(backends):
    """Environment for a runtime that uses the real backends, the way users
    of the Go server configure it."""
    env = dict(os.environ)
    env["MCP_PROM_ADDRESS"] = backends["PROMETHEUS_URL"]
    env["MCP_ALERTMANAGER_ADDRESS"] = backends["ALERTMANAGER_URL"]
    return env


@pytest.fixture(scope="session")
def elasticsearch() -> str:
    """Base URL of a fresh single-node Elasticsearch 2.4.1 on loopback (tests/backends/es-up.sh)."""
    yield up("es-up.sh", "ELASTICSEARCH_URL", timeout=600)["ELASTICSEARCH_URL"]
    down("es-down.sh")
