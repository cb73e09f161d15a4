"""Fixtures of the tests that drive one component over stdio against the stub
of its backend (tests/stubs/src/bin), configured through the environment the
way users of the Go server configure it. A test module names its component
in `SERVICE`; conftest.py re-exports the fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import COMPONENTS, components_subset, stub_server
from helpers import json_of, stdio_client, text_of


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

    def opener(self, **defaults: str):
        """Opens MCP clients whose component is configured by `defaults`, or
        by the variables given instead."""

        def open_client(**env: str):
            full = self.env(**(env or defaults))
            return stdio_client(self.runtime, self.components, "--cache-dir", str(self.cache_dir), env=full)

        return open_client


@pytest.fixture(scope="module")
def stub_service(request, runtime_bin, tmp_path_factory) -> StubService:
    """The module's `SERVICE` component, ready to run."""
    service = module_service(request)
    assert (COMPONENTS / service / f"{service}.wasm").exists(), "run scripts/build-components.sh"
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
