"""Transport-level behaviour: stdout hygiene in stdio mode, Host header
validation on HTTP, protocol version negotiation, start-up errors."""

from __future__ import annotations

import json
import subprocess
import time

import httpx2 as httpx
import pytest

from support.mcp import INIT
from support.runtime import http_server


def test_stdio_stdout_carries_only_json_rpc(runtime_bin, components_dir):
    messages = [
        INIT,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "utilities_get_date", "arguments": {}}},
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in messages)
    proc = subprocess.run(
        [str(runtime_bin), "serve", "--components", str(components_dir)],
        input=stdin.encode(),
        capture_output=True,
        timeout=60,
    )
    lines = [line for line in proc.stdout.decode().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every stdout line is JSON
    assert all(p.get("jsonrpc") == "2.0" for p in parsed)
    by_id = {p["id"]: p for p in parsed if "id" in p}
    assert by_id[1]["result"]["protocolVersion"] == "2025-06-18"
    assert by_id[1]["result"]["serverInfo"]["name"] == "k8s-mcp-runtime"
    names = {t["name"] for t in by_id[2]["result"]["tools"]}
    assert {"utilities_get_time", "utilities_web_fetch"} <= names
    assert by_id[3]["result"]["isError"] is False
    assert b"loaded component" in proc.stderr  # logs went to stderr


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
def test_http_negotiates_supported_versions(runtime_bin, components_dir, version):
    with http_server(runtime_bin, components_dir) as base:
        init = dict(INIT, params=dict(INIT["params"], protocolVersion=version))
        r = httpx.post(
            f"{base}/mcp",
            json=init,
            headers={"Accept": "application/json, text/event-stream"},
            timeout=10,
        )
    assert r.status_code == 200, r.text
    assert f'"protocolVersion":"{version}"' in r.text


def test_http_rejects_foreign_host_header(runtime_bin, components_dir):
    with http_server(runtime_bin, components_dir) as base:
        r = httpx.post(
            f"{base}/mcp",
            json=INIT,
            headers={"Accept": "application/json, text/event-stream", "Host": "evil.example.com"},
            timeout=10,
        )
    assert r.status_code == 403, r.text


def test_public_bind_without_auth_refuses_to_start(runtime_bin, components_dir):
    proc = subprocess.run(
        [str(runtime_bin), "serve", "--components", str(components_dir), "--transport", "http", "--listen", "0.0.0.0:0"],
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode != 0
    assert b"--insecure-no-auth" in proc.stderr


def test_bad_config_names_the_key(runtime_bin, components_dir, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[server]\nmax_in_flight = -1\n")
    proc = subprocess.run(
        [str(runtime_bin), "serve", "--components", str(components_dir), "--config", str(cfg)],
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode != 0
    assert b"server.max_in_flight" in proc.stderr and b"bad.toml" in proc.stderr


def test_components_list_and_inspect(runtime_bin, components_dir, testkit_dir):
    out = subprocess.run(
        [str(runtime_bin), "components", "list", str(components_dir)], capture_output=True, timeout=60, check=True
    ).stdout.decode()
    assert "utilities (6 tools)" in out and "utilities_web_fetch" in out
    assert "egress: none (all outbound HTTP denied)" in out
    out = subprocess.run(
        [str(runtime_bin), "components", "inspect", str(testkit_dir)], capture_output=True, timeout=60, check=True
    ).stdout.decode()
    assert "limits[spin]: fuel=1000000000000000 timeout_ms=1000" in out
    assert "egress: http://127.0.0.1:" in out
    assert '"required":["message"]' in out


def test_compiled_components_are_cached_on_disk(runtime_bin, components_dir, tmp_path):
    cache = tmp_path / "cache"

    def run_once():
        proc = subprocess.run(
            [str(runtime_bin), "serve", "--components", str(components_dir), "--cache-dir", str(cache)],
            input=(json.dumps(INIT) + "\n").encode(),
            capture_output=True,
            timeout=60,
        )
        first = json.loads(proc.stdout.decode().splitlines()[0])
        assert first["result"]["serverInfo"]["name"] == "k8s-mcp-runtime"

    run_once()
    deadline = time.monotonic() + 30
    entries: list = []
    while time.monotonic() < deadline:
        entries = [p for p in cache.rglob("*") if p.is_file()]
        if entries:
            break
        time.sleep(0.1)
    assert entries, "compiled component not written to the cache"
    run_once()  # a restart loads from the cache
