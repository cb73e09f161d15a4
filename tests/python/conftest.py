"""Fixtures for end-to-end tests: the runtime binary, component directories,
a loopback HTTP origin, and running servers driven by the Python MCP SDK."""

from __future__ import annotations

import contextlib
import json
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = Path(os.environ.get("K8S_MCP_RUNTIME_BIN", ROOT / "target" / "debug" / "k8s-mcp-runtime"))
COMPONENTS = ROOT / "components"
TESTKIT_WASM = COMPONENTS / "target" / "wasm32-wasip2" / "release" / "testkit.wasm"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def runtime_bin() -> Path:
    assert RUNTIME.exists(), f"{RUNTIME} missing: run scripts/test.sh (or cargo build)"
    return RUNTIME


@pytest.fixture(scope="session")
def components_dir() -> Path:
    wasm = COMPONENTS / "utilities" / "utilities.wasm"
    assert wasm.exists(), f"{wasm} missing: run scripts/build-components.sh"
    return COMPONENTS


class Origin(http.server.ThreadingHTTPServer):
    """A loopback HTTP server the tests allow components to reach."""

    daemon_threads = True


class OriginHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        """Counts the request body (Content-Length or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            received = 0
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                received += len(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            received = len(self.rfile.read(length)) if length else 0
        self._send(200, json.dumps({"received": received}).encode(), "application/json")

    def do_GET(self):
        if self.path == "/page":
            html = (
                "<html><head><title>Test page</title><style>p{color:red}</style></head>"
                "<body><h1>Hello &amp; welcome</h1><script>alert('x')</script>"
                "<p>First paragraph.</p><p>Second&nbsp;paragraph.</p></body></html>"
            )
            self._send(200, html.encode(), "text/html; charset=utf-8")
        elif self.path == "/json":
            self._send(200, b'{"ok": true}', "application/json")
        elif self.path == "/long":
            self._send(200, ("abcdefghij" * 5000).encode(), "text/plain")
        elif self.path == "/api/v1/status/buildinfo":
            # Echoes the credentials and headers a backend client sent (for
            # checking the client side only; real Prometheus is tested elsewhere).
            seen = {"authorization": self.headers.get("Authorization"), "org": self.headers.get("X-Scope-OrgID")}
            body = json.dumps({"status": "success", "data": {"version": "echo", "seen": seen}}).encode()
            self._send(200, body, "application/json")
        elif self.path == "/slow":
            time.sleep(3)  # longer than the testkit policy's 1 s HTTP timeout
            self._send(200, b"late", "text/plain")
        elif self.path.startswith("/redirect?to="):
            self._send(302, b"", "text/plain", {"Location": self.path.split("=", 1)[1]})
        else:
            self._send(404, b"not found", "text/plain")


@pytest.fixture(scope="session")
def origin():
    server = Origin(("127.0.0.1", 0), OriginHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def components_subset(dest: Path, *services: str) -> Path:
    """A components folder holding only `services` (their installed
    `<name>.wasm` and `<name>.policy.toml`)."""
    dest.mkdir(parents=True, exist_ok=True)
    for service in services:
        for suffix in (".wasm", ".policy.toml"):
            shutil.copy(COMPONENTS / service / f"{service}{suffix}", dest / f"{service}{suffix}")
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def testkit_dir(tmp_path_factory, origin) -> Path:
    """The fault-injection component with a policy allowing only `origin`."""
    assert TESTKIT_WASM.exists(), f"{TESTKIT_WASM} missing: run scripts/build-components.sh"
    d = tmp_path_factory.mktemp("testkit")
    shutil.copy(TESTKIT_WASM, d / "testkit.wasm")
    policy = (ROOT / "tests" / "fixtures" / "testkit.policy.toml").read_text()
    policy = policy.replace("allow = []", f'allow = ["{origin}"]')
    (d / "testkit.policy.toml").write_text(policy)
    return d


@pytest.fixture(scope="session")
def testkit_config(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("testkit-config")
    cfg = d / "config.toml"
    cfg.write_text('[components.testkit.secrets]\ntoken = "s3cr3t-t0ken-value"\n')
    return cfg


def wait_http_ready(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read().decode() if proc.stderr else ''}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        time.sleep(0.05)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate a server process, killing it if it outlives `grace` seconds."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def http_server(runtime: Path, components: Path, *extra: str):
    port = free_port()
    proc = subprocess.Popen(
        [str(runtime), "serve", "--components", str(components), "--transport", "http", "--listen", f"127.0.0.1:{port}",
         *(() if "--admin-listen" in extra else ("--admin-listen", f"127.0.0.1:{free_port()}")), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http_ready(f"http://127.0.0.1:{port}/healthz", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def utilities_http(runtime_bin, components_dir):
    with http_server(runtime_bin, components_dir) as base:
        yield base


@pytest.fixture(scope="session")
def backends():
    """Real Prometheus and Alertmanager on loopback (tests/backends/up.sh)."""
    up = subprocess.run([str(ROOT / "tests" / "backends" / "up.sh")], capture_output=True, text=True, timeout=900)
    assert up.returncode == 0, up.stdout + up.stderr
    env = dict(re.findall(r"export (\w+)=(\S+)", up.stdout))
    assert "PROMETHEUS_URL" in env and "ALERTMANAGER_URL" in env, up.stdout
    yield env
    subprocess.run([str(ROOT / "tests" / "backends" / "down.sh")], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def backend_env(backends):
    """Environment for a runtime that uses the real backends, the way users
    of the Go server configure it."""
    env = dict(os.environ)
    env["MCP_PROM_ADDRESS"] = backends["PROMETHEUS_URL"]
    env["MCP_ALERTMANAGER_ADDRESS"] = backends["ALERTMANAGER_URL"]
    return env


STUBS_BIN_DIR = RUNTIME.parent


@contextlib.contextmanager
def stub_server(name: str):
    """Run the stub server `k8s-mcp-stubs`' binary `name` (tests/stubs/src/bin)
    on a free loopback port; yields its base URL. Stubs follow the upstream
    API documentation for backends no real server of is installable here."""
    exe = STUBS_BIN_DIR / name
    assert exe.exists(), f"{exe} missing: run `cargo build --bins`"
    proc = subprocess.Popen([str(exe), "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.match(r"listening on (http://\S+)", line)
        assert m, f"stub {name} did not start: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield m.group(1)
    finally:
        stop(proc)


# Fixtures of the tests against a real kube-apiserver (tests/python/kubefix.py).
from kubefix import kube, kube_cluster, namespace  # noqa: E402,F401

# Fixture of the tests against a real Elasticsearch (tests/python/esfix.py).
from esfix import elasticsearch  # noqa: E402,F401


# Fixtures of the tests against a backend's stub (tests/python/stubfix.py).
from stubfix import stub, stub_service  # noqa: E402,F401
