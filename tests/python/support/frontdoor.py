"""Servers behind the front door: a utilities-only components directory,
servers started with a config file and an admin listener, API-key entries
and JWT minting, and MCP clients that send credentials."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import time
import urllib.request
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2 as httpx
import jwt
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from prometheus_client.parser import text_string_to_metric_families

from support.mcp import INIT
from support.runtime import components_subset, free_port, stop, wait_http_ready

JWT_SECRET = "front-door-test-secret-0123456789abcdef"
ISSUER = "https://issuer.test"
KEYS = {"ops": "ops-key-Zm9vYmFy", "clock": "clock-key-YmF6cXV4", "expired": "expired-key-cXV1eA"}

ACCEPT = {"Accept": "application/json, text/event-stream"}


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def api_key(name: str, key: str, **fields) -> str:
    """One `[[auth.api_keys]]` table: `name` with the hash of `key`, then
    `fields` (subject, tenant, roles, expires) as TOML values."""
    lines = ["[[auth.api_keys]]", f'name = "{name}"', f'hash = "{sha256(key)}"']
    lines += [f"{field} = {json.dumps(value)}" for field, value in fields.items()]
    return "\n".join(lines) + "\n"


def utilities_only(tmp: Path) -> Path:
    return components_subset(tmp / "components", "utilities")


def auth_config(port: int, audit: Path, extra: str = "") -> str:
    return f"""
[auth]
resource = "http://127.0.0.1:{port}/mcp"

{api_key("ops", KEYS["ops"], subject="ops-user", tenant="team-a", roles=["ops"])}
{api_key("clock", KEYS["clock"], subject="clock-user", roles=["clock"])}
{api_key("expired", KEYS["expired"], roles=["ops"], expires="2001-01-01T00:00:00Z")}
[auth.jwt]
secret = "{JWT_SECRET}"
issuer = "{ISSUER}"

[auth.roles.ops]
services = ["utilities"]

[auth.roles.clock]
tools = ["utilities_get_time", "utilities_get_date"]

[audit]
path = "{audit}"
fsync = "always"
{extra}
"""


class Server:
    def __init__(self, proc: subprocess.Popen, base: str, admin: str):
        self.proc, self.base, self.admin = proc, base, admin


@contextlib.contextmanager
def serve(runtime: Path, components: Path, config: str | None, tmp: Path, *extra: str, port: int | None = None,
          env: dict | None = None, listen_host: str = "127.0.0.1"):
    port = port or free_port()
    admin_port = free_port()
    args = [str(runtime), "serve", "--components", str(components), "--transport", "http",
            "--admin-listen", f"127.0.0.1:{admin_port}", "--cache-dir", str(tmp.parent / "wasm-cache")]
    if env is None or "MCP_ADDR" not in env:
        args += ["--listen", f"{listen_host}:{port}"]
    if config is not None:
        path = tmp / f"config-{port}.toml"
        path.write_text(config)
        args += ["--config", str(path)]
    proc = subprocess.Popen([*args, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    try:
        wait_http_ready(f"http://127.0.0.1:{port}/healthz", proc, timeout=120.0)
        yield Server(proc, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}")
    finally:
        stop(proc, grace=20)


def mint(claims: dict, key=JWT_SECRET, algorithm: str = "HS256", headers: dict | None = None) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def claims(base: str, **overrides) -> dict:
    now = int(time.time())
    c = {"sub": "jwt-user", "iss": ISSUER, "aud": f"{base}/mcp", "exp": now + 300, "iat": now, "roles": ["ops"]}
    c.update(overrides)
    return {k: v for k, v in c.items() if v is not None}


@asynccontextmanager
async def client(base: str, headers: dict[str, str]):
    http = create_mcp_http_client(headers=headers)
    async with http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="legacy") as c:
            yield c


@asynccontextmanager
async def legacy_sse_client(base: str, headers: dict[str, str]):
    async with Client(sse_client(f"{base}/sse", headers=headers), mode="legacy") as c:
        yield c


def raw_post(base: str, headers: dict[str, str] | None = None, body: dict | None = None) -> httpx.Response:
    return httpx.post(f"{base}/mcp", json=body or INIT, headers={**ACCEPT, **(headers or {})}, timeout=10)


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Call `predicate` until it returns a truthy value or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


def metric(admin: str, name: str, labels: dict[str, str] | None = None) -> float:
    """The first sample of `name` (with `labels`) on the admin listener's /metrics; 0 when absent."""
    with urllib.request.urlopen(f"{admin}/metrics", timeout=5) as r:
        text = r.read().decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in (labels or {}).items()):
                return s.value
    return 0.0


async def wait_for(predicate, timeout: float = 60.0):
    """Await `predicate` until it returns true; fail after `timeout` seconds."""
    with anyio.fail_after(timeout):
        while not await predicate():
            await anyio.sleep(0.05)
