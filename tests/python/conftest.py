"""Fixtures for end-to-end tests: the runtime binary, component directories,
a loopback HTTP origin, and running servers driven by the Python MCP SDK.
The helpers live in the `support` package; this file registers the fixtures
several test modules share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.backends import backend_env, backends, elasticsearch  # noqa: F401 (fixtures)
from support.kube import kube, kube_cluster, namespace  # noqa: F401 (fixtures)
from support.loopback import OriginHandler, serving
from support.runtime import COMPONENTS, ROOT, RUNTIME, TESTKIT_WASM, http_server
from support.stubs import stub, stub_service  # noqa: F401 (fixtures)


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


@pytest.fixture(scope="session")
def origin():
    """A loopback HTTP server the tests allow components to reach."""
    with serving(OriginHandler) as url:
        yield url


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


@pytest.fixture(scope="module")
def utilities_http(runtime_bin, components_dir):
    with http_server(runtime_bin, components_dir) as base:
        yield base
