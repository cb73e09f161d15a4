"""The runtime under test: where its binary and the components are, component
folders holding a few of them, and the runtime as an HTTP server process on a
free loopback port."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = Path(os.environ.get("K8S_MCP_RUNTIME_BIN", ROOT / "target" / "debug" / "k8s-mcp-runtime"))
COMPONENTS = ROOT / "components"
TESTKIT_WASM = COMPONENTS / "target" / "wasm32-wasip2" / "release" / "testkit.wasm"
# An adversarial component (components/hostile): misbehaves in list-tools as
# its `list_tools` setting says, and tries every host capability.
HOSTILE_WASM = COMPONENTS / "target" / "wasm32-wasip2" / "release" / "hostile.wasm"


def components_subset(dest: Path, *services: str) -> Path:
    """A components folder holding only `services` (their installed
    `<name>.wasm` and `<name>.policy.toml`)."""
    dest.mkdir(parents=True, exist_ok=True)
    for service in services:
        for suffix in (".wasm", ".policy.toml"):
            src = COMPONENTS / service / f"{service}{suffix}"
            assert src.exists(), f"{src} missing: run scripts/build-components.sh"
            shutil.copy(src, dest / f"{service}{suffix}")
    return dest


def component_with_policy(dest: Path, service: str, old: str, new: str) -> Path:
    """A components folder holding only `service`, its policy with `old`
    replaced by `new`."""
    components_subset(dest, service)
    path = dest / f"{service}.policy.toml"
    policy = path.read_text()
    assert old in policy, f"{service}.policy.toml has no {old!r}"
    path.write_text(policy.replace(old, new))
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    """The runtime serving streamable HTTP on a free port; yields its base URL."""
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
