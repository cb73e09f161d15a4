"""The server driven by a second real MCP client: the MCP Inspector CLI
(npm @modelcontextprotocol/inspector, installed by scripts/install-deps.sh),
over stdio, streamable HTTP and the legacy HTTP+SSE transport."""

from __future__ import annotations

import json
import subprocess

import pytest

from support.runtime import ROOT

INSPECTOR = ROOT / "target" / "npm" / "node_modules" / ".bin" / "mcp-inspector"


def inspector(*args: str) -> subprocess.CompletedProcess:
    assert INSPECTOR.exists(), f"{INSPECTOR} missing: run scripts/install-deps.sh"
    return subprocess.run([str(INSPECTOR), "--cli", *args], capture_output=True, text=True, timeout=120)


def answer(*args: str) -> dict:
    out = inspector(*args)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def utilities(components_dir):
    return str(components_dir / "utilities")


def test_stdio_list_and_call(runtime_bin, utilities):
    cmd = [str(runtime_bin), "serve", "--components", utilities]
    tools = answer(*cmd, "--method", "tools/list")["tools"]
    names = {t["name"] for t in tools}
    assert {"utilities_get_time", "utilities_web_fetch"} <= names
    assert all(t["inputSchema"]["type"] == "object" for t in tools)
    result = answer(*cmd, "--method", "tools/call", "--tool-name", "utilities_get_time", "--tool-arg", "format=RFC3339")
    assert result["isError"] is False and result["structuredContent"]["format"] == "RFC3339"
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]


def test_stdio_bad_input_is_an_error_not_a_crash(runtime_bin, utilities):
    cmd = [str(runtime_bin), "serve", "--components", utilities]
    unknown = inspector(*cmd, "--method", "tools/call", "--tool-name", "utilities_nope")
    assert unknown.returncode != 0 or '"isError": true' in unknown.stdout, unknown.stdout
    assert "utilities_nope" in unknown.stdout + unknown.stderr
    bad = answer(*cmd, "--method", "tools/call", "--tool-name", "utilities_pause", "--tool-arg", "seconds=not-a-number")
    assert bad["isError"] is True and "seconds" in bad["content"][0]["text"], bad


@pytest.mark.parametrize("transport,path", [("http", "/mcp"), ("sse", "/sse")])
def test_http_transports(utilities_http, transport, path):
    url = f"{utilities_http}{path}"
    tools = answer(url, "--transport", transport, "--method", "tools/list")["tools"]
    assert "utilities_get_date" in {t["name"] for t in tools}
    result = answer(url, "--transport", transport, "--method", "tools/call", "--tool-name", "utilities_get_timestamp")
    assert result["isError"] is False and result["structuredContent"]["timestamp"] > 1_700_000_000, result
