"""Session fixture for the tests against a real Elasticsearch 2.4.1
(tests/backends/es-up.sh): started once per run, stopped at the end."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def elasticsearch() -> str:
    """Base URL of a fresh single-node Elasticsearch 2.4.1 on loopback."""
    up = subprocess.run([str(ROOT / "tests" / "backends" / "es-up.sh")], capture_output=True, text=True, timeout=600)
    assert up.returncode == 0, up.stdout + up.stderr
    env = dict(re.findall(r"export (\w+)=(\S+)", up.stdout))
    assert "ELASTICSEARCH_URL" in env, up.stdout
    yield env["ELASTICSEARCH_URL"]
    subprocess.run([str(ROOT / "tests" / "backends" / "es-down.sh")], capture_output=True, timeout=120)


def only_component(tmp_path_factory, name: str) -> Path:
    """A components directory holding only `name` (fast start-up)."""
    import shutil

    src = ROOT / "components" / name
    assert (src / f"{name}.wasm").exists(), "run scripts/build-components.sh"
    d = tmp_path_factory.mktemp(f"{name}-components")
    shutil.copy(src / f"{name}.wasm", d / f"{name}.wasm")
    shutil.copy(src / f"{name}.policy.toml", d / f"{name}.policy.toml")
    return d
