"""Benchmark: tenant fairness. Tenant `quiet` calls a cheap tool
(`testkit_echo`) one call at a time and records p50/p99; meanwhile tenant
`noisy` keeps NOISY_CLIENTS calls of `testkit_spin` (a guest busy loop that
runs until its 200 ms deadline) going. Three phases: quiet alone, quiet while
noisy saturates under a per-tenant cap (`max_concurrent = 1`), and the same
without the cap for comparison. Prints p50/p99 per phase and the ratio to
the quiet-alone p99.

Bounded in count and time; talks only to 127.0.0.1. Run by `just bench`
(scripts/bench.sh) with the release binary in K8S_MCP_RUNTIME_BIN."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = Path(os.environ.get("K8S_MCP_RUNTIME_BIN", ROOT / "target" / "release" / "k8s-mcp-runtime"))
TESTKIT = ROOT / "components" / "target" / "wasm32-wasip2" / "release" / "testkit.wasm"
QUIET_CALLS = 200
NOISY_CLIENTS = 6
PHASE_TIME_LIMIT = 90.0
KEYS = {"quiet": "quiet-key-cXVpZXQ", "noisy": "noisy-key-bm9pc3k"}

POLICY = """name = "testkit"
[limits]
fuel = 500_000_000
timeout_ms = 10_000
memory_mb = 32
[tools.spin.limits]
fuel = 1_000_000_000_000_000
timeout_ms = 200
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(cap: bool) -> str:
    keys = "".join(
        f'[[auth.api_keys]]\nname = "{t}"\nhash = "sha256:{hashlib.sha256(k.encode()).hexdigest()}"\ntenant = "{t}"\n\n'
        for t, k in KEYS.items()
    )
    limits = "[tenants.noisy.limits]\nmax_concurrent = 1\n" if cap else ""
    return f"{keys}[server]\nmax_in_flight = 32\n\n[tenants.quiet]\n\n[tenants.noisy]\n{limits}"


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round((len(sorted_values) - 1) * p))]


@asynccontextmanager
async def session(base: str, tenant: str):
    http = create_mcp_http_client(headers={"X-API-Key": KEYS[tenant]})
    async with http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="legacy") as c:
            yield c


async def quiet_run(base: str) -> list[float]:
    samples = []
    async with session(base, "quiet") as c:
        for _ in range(20):  # warm-up
            await c.call_tool("testkit_echo", {"message": "x"})
        deadline = time.monotonic() + PHASE_TIME_LIMIT
        while len(samples) < QUIET_CALLS and time.monotonic() < deadline:
            started = time.perf_counter()
            r = await c.call_tool("testkit_echo", {"message": "x"})
            samples.append(time.perf_counter() - started)
            assert not r.is_error
    return sorted(samples)


async def noisy_client(base: str, stop: anyio.Event, counter: list[int]) -> None:
    async with session(base, "noisy") as c:
        while not stop.is_set():
            await c.call_tool("testkit_spin", {})
            counter[0] += 1


async def phase(base: str, noisy: bool) -> tuple[list[float], int]:
    stop, counter = anyio.Event(), [0]
    result: list[float] = []
    async with anyio.create_task_group() as tg:
        if noisy:
            for _ in range(NOISY_CLIENTS):
                tg.start_soon(noisy_client, base, stop, counter)
            await anyio.sleep(1.0)  # let the noisy tenant reach saturation
        result = await quiet_run(base)
        stop.set()
    return result, counter[0]


def serve(components: Path, tmp: Path, cap: bool):
    port = free_port()
    path = tmp / f"fair-{cap}.toml"
    path.write_text(config(cap))
    proc = subprocess.Popen(
        [str(RUNTIME), "serve", "--transport", "http", "--listen", f"127.0.0.1:{port}", "--components",
         str(components), "--config", str(path), "--admin-listen", f"127.0.0.1:{free_port()}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "warn"},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise TimeoutError("server not ready")


def main() -> int:
    if not TESTKIT.exists():
        print(f"{TESTKIT} missing: run scripts/build-components.sh", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        components = tmp / "components"
        components.mkdir()
        shutil.copy(TESTKIT, components / "testkit.wasm")
        (components / "testkit.policy.toml").write_text(POLICY)
        rows = []
        for label, cap, noisy in (("quiet alone", True, False), ("quiet + noisy, noisy capped at 1", True, True),
                                  ("quiet + noisy, no cap", False, True)):
            proc, base = serve(components, tmp, cap)
            try:
                samples, spins = anyio.run(phase, base, noisy)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            rows.append((label, samples, spins))
        base_p99 = percentile(rows[0][1], 0.99)
        print(f"tenant fairness ({os.cpu_count()} CPUs, {NOISY_CLIENTS} noisy clients spinning 200 ms calls)")
        for label, samples, spins in rows:
            p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
            print(f"  {label:<34} n={len(samples):<4} p50={p50 * 1000:7.2f} ms p99={p99 * 1000:7.2f} ms "
                  f"p99/alone={p99 / base_p99:5.1f}x noisy calls={spins}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
