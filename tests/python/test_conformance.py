"""The official MCP conformance suite (npm @modelcontextprotocol/conformance,
installed by scripts/install-deps.sh) against the streamable HTTP transport.

Run: the server scenarios that apply to a tools-only server. Not run, and
why: the `tools-call-*`, `json-schema-2020-12` and `elicitation-*` scenarios
call fixture tools of the suite's reference server (`test_simple_text`,
`json_schema_2020_12_tool`, ...) that no production server exposes (ours are
prefixed by service); `resources-*`, `prompts-*`, `logging-set-level` and
`completion-complete` exercise capabilities this server does not offer."""

from __future__ import annotations

import re
import subprocess

import pytest

from support.runtime import ROOT

CONFORMANCE = ROOT / "target" / "npm" / "node_modules" / ".bin" / "conformance"
SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario(utilities_http, scenario, tmp_path):
    assert CONFORMANCE.exists(), f"{CONFORMANCE} missing: run scripts/install-deps.sh"
    run = subprocess.run(
        [str(CONFORMANCE), "server", "--url", f"{utilities_http}/mcp", "--scenario", scenario],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    summary = re.search(r"Passed: (\d+)/(\d+), (\d+) failed", out)
    assert run.returncode == 0 and summary, out[-3000:]
    passed, total, failed = map(int, summary.groups())
    assert failed == 0 and passed == total > 0, out[-3000:]
