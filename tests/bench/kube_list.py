"""Benchmark: list 200 pods through MCP `tools/call` (stdio and streamable
HTTP, Python MCP client) against a direct GET of the same list from the same
real kube-apiserver (Python http.client, keep-alive, JSON decoded), p50/p99
and the ratio; also against a direct GET of the server-side table the
default list asks for, which isolates the tools/call overhead. Bounded in count and time; talks only to 127.0.0.1.

Run by `just bench` (scripts/bench.sh). Needs the control plane from
tests/backends/kube-up.sh (started if absent) and built components."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from support.runtime import components_subset, free_port, stop, wait_http_ready  # noqa: E402
from support.kube import start_cluster  # noqa: E402
from test_kubernetes_contexts import realistic_pod  # noqa: E402

RUNTIME = Path(os.environ.get("K8S_MCP_RUNTIME_BIN", ROOT / "target" / "release" / "k8s-mcp-runtime"))
PODS = 200
WARMUP = 5
ITERATIONS = int(os.environ.get("BENCH_ITERATIONS", "60"))
TIME_LIMIT_S = 120.0


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, round(0.99 * (len(s) - 1)))]


def row(name: str, samples: list[float], base: float | None = None, table: float | None = None) -> float:
    p50, p99 = percentiles(samples)
    ratio = f"  ratio {p50 / base:.2f}x" if base else ""
    ratio += f" (vs table GET {p50 / table:.2f}x)" if table else ""
    print(f"{name:<46} n={len(samples):<4} p50={p50 * 1000:7.2f} ms  p99={p99 * 1000:7.2f} ms{ratio}")
    return p50


async def timed(fn) -> list[float]:
    for _ in range(WARMUP):
        await fn()
    samples, deadline = [], time.monotonic() + TIME_LIMIT_S
    for _ in range(ITERATIONS):
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
        if time.monotonic() > deadline:
            break
    return samples


def seed(kube: dict[str, str]) -> str:
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "KUBECONFIG": kube["KUBECONFIG_ADMIN"]}
    subprocess.run([kube["KUBECTL"], "create", "namespace", ns], env=env, check=True, capture_output=True)
    items = [realistic_pod(i, ns, kube["KUBE_FAKE_NODE"]) for i in range(PODS)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
    subprocess.run([kube["KUBECTL"], "create", "-f", f.name], env=env, check=True, capture_output=True, timeout=300)
    os.unlink(f.name)
    return ns


async def bench_mcp(client: Client, tool: str, args: dict) -> list[float]:
    async def one():
        r = await client.call_tool(tool, args)
        assert not r.is_error, r.content
        assert r.structured_content["count"] == PODS

    return await timed(one)


async def main() -> None:
    kube = start_cluster()
    ns = seed(kube)
    comps = components_subset(Path(tempfile.mkdtemp(prefix="k8s-mcp-bench-")), "kubernetes")
    env = {**os.environ, "KUBECONFIG": kube["KUBECONFIG_ADMIN"]}
    args = {"kind": "Pod", "namespace": ns, "limit": PODS}
    full_args = {**args, "full": True}
    print(f"# {PODS} pods in {ns} on {kube['KUBE_API_URL']}; runtime {RUNTIME}")

    tls = ssl.create_default_context(cafile=kube["KUBE_CA_FILE"])
    api = urllib.parse.urlsplit(kube["KUBE_API_URL"])
    conn = http.client.HTTPSConnection(api.hostname, api.port, context=tls, timeout=30)
    headers = {"Authorization": f"Bearer {kube['KUBE_ADMIN_TOKEN']}", "Accept": "application/json"}
    path = f"/api/v1/namespaces/{ns}/pods?limit={PODS}"

    async def direct():
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200 and len(json.loads(body)["items"]) == PODS

    # What the default list_resources asks the API server for: its table
    # rendering without objects. The ratio against it is our whole overhead.
    table_headers = {**headers, "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}

    async def direct_table():
        conn.request("GET", f"{path}&includeObject=None", headers=table_headers)
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200 and len(json.loads(body)["rows"]) == PODS

    base = row("direct GET (http.client, JSON decoded)", await timed(direct))
    table = row("direct GET as=Table (JSON decoded)", await timed(direct_table), base)
    conn.close()

    params = StdioServerParameters(command=str(RUNTIME), args=["serve", "--components", str(comps), "--admin-listen", "off"], env=env)
    async with Client(params) as client:
        row("tools/call list_resources, stdio", await bench_mcp(client, "kubernetes_list_resources", args), base, table)
        row("tools/call list_resources full=true, stdio", await bench_mcp(client, "kubernetes_list_resources", full_args), base)

    port = free_port()
    proc = subprocess.Popen([str(RUNTIME), "serve", "--components", str(comps), "--transport", "http", "--listen", f"127.0.0.1:{port}",
                             "--admin-listen", "off"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http_ready(f"http://127.0.0.1:{port}/healthz", proc)
        # 200 full pods exceed the client's default 1 MiB SSE event limit.
        async with Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", max_sse_event_size=None)) as client:
            row("tools/call list_resources, streamable HTTP", await bench_mcp(client, "kubernetes_list_resources", args), base, table)
            row("tools/call list_resources full=true, HTTP", await bench_mcp(client, "kubernetes_list_resources", full_args), base)
    finally:
        stop(proc)
        shutil.rmtree(comps, ignore_errors=True)
        subprocess.run([kube["KUBECTL"], "delete", "namespace", ns, "--wait=false"], env=env, capture_output=True)


if __name__ == "__main__":
    anyio.run(main)
