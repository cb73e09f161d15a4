"""The backends' stubs (tests/stubs/src/bin, built beside the runtime) and a
component run over stdio against one, configured through the environment
the way users of the Go server configure it. A test module names its
component in `SERVICE` for the `stub_service` and `stub` fixtures."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from support.mcp import json_of, stdio_client, text_of
from support.runtime import RUNTIME, components_subset, stop

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


def module_service(request) -> str:
    service = getattr(request.module, "SERVICE", None)
    assert service, f"{request.module.__name__} sets no SERVICE for the stub fixtures"
    return service


class StubService:
    """One component alone in a components folder (fast start-up), with a
    compilation cache its clients share."""

    def __init__(self, service: str, runtime: Path, components: Path, cache_dir: Path):
        self.service = service
        self.runtime = runtime
        self.components = components
        self.cache_dir = cache_dir

    def env(self, **extra: str) -> dict[str, str]:
        """This process's environment without its `MCP_<SERVICE>` variables, plus `extra`."""
        prefix = f"MCP_{self.service.upper()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
        env.update(extra)
        return env

    def client(self, *extra: str, **env: str):
        """An MCP client whose component is configured by `env` alone (and the
        runtime arguments `extra`)."""
        return stdio_client(self.runtime, self.components, "--cache-dir", str(self.cache_dir), *extra, env=self.env(**env))

    def configured(self, folder: Path, config: str, **env: str):
        """An MCP client of a runtime reading the config file `config` (written to `folder`)."""
        path = folder / f"{self.service}.toml"
        path.write_text(config)
        return self.client("--config", str(path), **env)

    def opener(self, **defaults: str):
        """Opens MCP clients whose component is configured by `defaults`, or
        by the variables given instead."""

        def open_client(**env: str):
            return self.client(**(env or defaults))

        return open_client


@pytest.fixture(scope="module")
def stub_service(request, runtime_bin, tmp_path_factory) -> StubService:
    """The module's `SERVICE` component, ready to run."""
    service = module_service(request)
    components = components_subset(tmp_path_factory.mktemp(f"{service}-components"), service)
    return StubService(service, runtime_bin, components, tmp_path_factory.mktemp(f"{service}-cache"))


@pytest.fixture
def stub(request):
    """Base URL of a fresh stub of the module's `SERVICE` backend, so state
    changes of one test never leak into another."""
    with stub_server(module_service(request)) as url:
        yield url


class Recorder:
    """Calls the tools of `service` and keeps every result's text, to check
    no credential leaks."""

    service = ""

    def __init__(self, client):
        self.client = client
        self.texts: list[str] = []

    async def call(self, name: str, args: dict | None = None):
        result = await self.client.call_tool(f"{self.service}_{name}", args or {})
        self.texts.append(text_of(result))
        return result

    async def ok(self, name: str, args: dict | None = None) -> dict:
        return json_of(await self.call(name, args))

    async def error(self, name: str, args: dict | None = None) -> str:
        result = await self.call(name, args)
        assert result.is_error, f"{name} should fail: {text_of(result)[:500]}"
        return text_of(result)

    def assert_no_secrets(self, *secrets: str):
        for text in self.texts:
            for secret in secrets:
                assert secret not in text, f"credential leaked: {text[:300]}"
