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
