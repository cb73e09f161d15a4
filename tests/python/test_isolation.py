"""Isolation under attack: capability grants, untrusted tenant components and
manifests, and broken components that must not take the server down.

Each test plays the attacker: a copy of the kubernetes component under
another name, a tenant folder whose manifest names the server's
environment or allows itself loopback egress, components whose
`list-tools` runs out of fuel, memory or time or declares too much."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import urllib.request

import pytest

from support.frontdoor import api_key, client, serve
from support.kube import needs_kube, runtime_env
from support.loopback import serving
from support.mcp import stdio_client, text_of
from support.runtime import COMPONENTS, HOSTILE_WASM, TESTKIT_WASM, components_subset

pytestmark = pytest.mark.anyio

TENANT_KEY = "iso-tenant-key-SXNvbGF0ZQ"


def rogue_kube(dest, name: str = "rogue"):
    """The kubernetes component's code under another service name."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(COMPONENTS / "kubernetes" / "kubernetes.wasm", dest / f"{name}.wasm")
    (dest / f"{name}.policy.toml").write_text(f'name = "{name}"\n')
    return dest


def components_list(runtime_bin, components, *extra: str) -> str:
    r = subprocess.run([str(runtime_bin), "components", "list", str(components), *extra],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


@needs_kube
async def test_a_component_without_the_kube_grant_cannot_reach_the_cluster(runtime_bin, tmp_path, kube_cluster):
    components = rogue_kube(components_subset(tmp_path / "c", "kubernetes"))
    listing = components_list(runtime_bin, components)
    assert "imports `kube` but is not granted it" in listing, listing
    env = runtime_env(kube_cluster["KUBECONFIG_ADMIN"])
    async with stdio_client(runtime_bin, components, env=env) as c:
        args = {"kind": "Secret", "apiVersion": "v1", "allNamespaces": True}
        # The granted service reaches the cluster with the same arguments...
        granted = await c.call_tool("kubernetes_list_resources", args)
        assert not granted.is_error, text_of(granted)
        # ...the same code under another name is refused before any request.
        for tool, extra in [("list_resources", {}), ("get_api_resources", {}), ("get_resource", {"name": "x", "namespace": "default"})]:
            r = await c.call_tool(f"rogue_{tool}", {**args, **extra})
            assert r.is_error and "not granted the `kube` capability" in text_of(r), (tool, text_of(r))


@needs_kube
async def test_a_grant_is_the_operators_decision_and_a_manifest_cannot_take_it(runtime_bin, tmp_path, kube_cluster):
    components = rogue_kube(tmp_path / "c")
    env = runtime_env(kube_cluster["KUBECONFIG_ADMIN"])
    config = tmp_path / "grants.toml"
    config.write_text('[components.rogue]\ngrants = ["kube"]\n')
    async with stdio_client(runtime_bin, components, "--config", str(config), env=env) as c:
        r = await c.call_tool("rogue_get_api_resources", {})
        assert not r.is_error, text_of(r)
    # The manifest asking for kube grants nothing.
    (components / "rogue.policy.toml").write_text('name = "rogue"\ncapabilities = ["kube", "helm"]\n')
    async with stdio_client(runtime_bin, components, env=env) as c:
        r = await c.call_tool("rogue_get_api_resources", {})
        assert r.is_error and "not granted the `kube` capability" in text_of(r), text_of(r)
    # A manifest may narrow: the kubernetes service asking for no kube loses it.
    own = components_subset(tmp_path / "k", "kubernetes")
    policy = own / "kubernetes.policy.toml"
    policy.write_text('capabilities = ["config", "log"]\n' + policy.read_text())
    async with stdio_client(runtime_bin, own, env=env) as c:
        r = await c.call_tool("kubernetes_get_api_resources", {})
        assert r.is_error and "not granted the `kube` capability" in text_of(r), text_of(r)


def serve_fails(runtime_bin, components, config_text: str, tmp_path) -> str:
    config = tmp_path / "bad.toml"
    config.write_text(config_text)
    r = subprocess.run([str(runtime_bin), "serve", "--components", str(components), "--config", str(config)],
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode != 0, r.stderr
    return r.stderr


def test_unknown_or_widening_grants_are_refused_naming_the_key(runtime_bin, tmp_path):
    components = components_subset(tmp_path / "c", "utilities")
    err = serve_fails(runtime_bin, components, '[components.utilities]\ngrants = ["kubernetes"]\n[sandbox]\nstrict = true\n', tmp_path)
    assert "components.utilities.grants" in err and "`kubernetes`" in err, err
    # A tenant section can narrow a server-wide component's grants, not widen them.
    widen = api_key("t", TENANT_KEY, tenant="t") + '\n[tenants.t.components.utilities]\ngrants = ["log", "kube"]\n'
    err = serve_fails(runtime_bin, components, widen, tmp_path)
    assert "tenants.t.components.utilities.grants" in err and "can only narrow" in err, err


def tenant_config(own_dir, extra: str = "") -> str:
    return (api_key("t", TENANT_KEY, subject="t-user", tenant="t")
            + f'\n[tenants.t]\ncomponents_dir = "{own_dir}"\n' + extra)


def key() -> dict[str, str]:
    return {"X-API-Key": TENANT_KEY}


def own_testkit(dest, name: str, policy: str):
    dest.mkdir(parents=True, exist_ok=True)
    assert TESTKIT_WASM.exists(), f"{TESTKIT_WASM} missing: run scripts/build-components.sh"
    shutil.copy(TESTKIT_WASM, dest / f"{name}.wasm")
    (dest / f"{name}.policy.toml").write_text(f'name = "{name}"\n' + policy)
    return dest


@needs_kube
async def test_a_tenants_copy_of_the_kubernetes_component_gets_no_cluster(runtime_bin, tmp_path, kube_cluster):
    own = rogue_kube(tmp_path / "own", "mykube")
    env = runtime_env(kube_cluster["KUBECONFIG_ADMIN"])
    with serve(runtime_bin, components_subset(tmp_path / "c", "utilities"), tenant_config(own), tmp_path, env=env) as s:
        async with client(s.base, key()) as c:
            r = await c.call_tool("mykube_list_resources", {"kind": "Secret", "apiVersion": "v1", "allNamespaces": True})
            assert r.is_error and "not granted the `kube` capability" in text_of(r), text_of(r)
    # Only the operator's tenant section can grant it.
    granted = tenant_config(own, '[tenants.t.components.mykube]\ngrants = ["kube"]\n')
    with serve(runtime_bin, components_subset(tmp_path / "c2", "utilities"), granted, tmp_path, env=env) as s:
        async with client(s.base, key()) as c:
            r = await c.call_tool("mykube_get_api_resources", {})
            assert not r.is_error, text_of(r)


def metrics_of(server) -> str:
    with urllib.request.urlopen(f"{server.admin}/metrics", timeout=5) as r:
        return r.read().decode()


class Recording(http.server.BaseHTTPRequestHandler):
    """Answers every GET and remembers the paths it was asked for."""

    seen: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).seen.append(self.path)
        body = b"secret metrics"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


async def test_a_tenant_manifest_cannot_name_server_environment_or_allow_itself_loopback(runtime_bin, tmp_path):
    seen = Recording.seen = []
    with serving(Recording) as url:
        own = tmp_path / "own"
        # Literal loopback in the tenant's manifest is a request, not a grant.
        own_testkit(own, "grabby", f'[http]\nallow = ["{url}"]\n')
        # A manifest naming the server's environment is left out entirely.
        own_testkit(own, "envy", '[backend]\nurl_setting = "url"\nsecret_env = { token = "ISO_OPERATOR_SECRET" }\n')
        env = {"ISO_OPERATOR_SECRET": "operator-only-value"}
        with serve(runtime_bin, components_subset(tmp_path / "c", "utilities"), tenant_config(own), tmp_path, env=env) as s:
            async with client(s.base, key()) as c:
                names = {t.name for t in (await c.list_tools()).tools}
                assert "grabby_fetch" in names and not any(n.startswith("envy_") for n in names), names
                r = await c.call_tool("grabby_fetch", {"url": url + "/metrics"})
                assert r.is_error and "egress" in text_of(r).lower(), text_of(r)
            assert seen == [], "the denied request must never reach the server"
            assert 'k8s_mcp_component_load_failures_total{cause="manifest",component="envy"} 1' in metrics_of(s)
        # The operator granting that origin for the tenant is what opens it.
        granted = tenant_config(own, f'[tenants.t.components.grabby]\negress = ["{url}"]\n')
        with serve(runtime_bin, components_subset(tmp_path / "c2", "utilities"), granted, tmp_path) as s:
            async with client(s.base, key()) as c:
                r = await c.call_tool("grabby_fetch", {"url": url + "/metrics"})
                assert not r.is_error and "secret metrics" in text_of(r), text_of(r)
    assert seen == ["/metrics"]


def broken(dest, name: str, limits: str):
    """A copy of utilities whose manifest starves its `list-tools`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(COMPONENTS / "utilities" / "utilities.wasm", dest / f"{name}.wasm")
    (dest / f"{name}.policy.toml").write_text(f'name = "{name}"\n[limits]\n{limits}\n')


@pytest.mark.parametrize(("limits", "cause"), [
    ("fuel = 1000", "fuel"),
    ("memory_mb = 1", "memory"),
])
async def test_a_component_that_fails_to_describe_itself_is_quarantined(runtime_bin, tmp_path, limits, cause):
    components = components_subset(tmp_path / "c", "utilities")
    broken(components / "sick", "sick", limits)
    listing = components_list(runtime_bin, components)
    assert f"sick failed: {cause}" in listing, listing
    async with stdio_client(runtime_bin, components) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert "utilities_get_time" in names and not any(n.startswith("sick_") for n in names)
        assert not (await c.call_tool("utilities_get_time", {})).is_error
    # sandbox.strict keeps the fail-fast start.
    config = tmp_path / "strict.toml"
    config.write_text("[sandbox]\nstrict = true\n")
    r = subprocess.run([str(runtime_bin), "serve", "--components", str(components), "--config", str(config)],
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode != 0 and "sick" in r.stderr, r.stderr


async def test_too_many_tools_or_descriptor_bytes_are_quarantined_with_a_metric(runtime_bin, tmp_path):
    components = components_subset(tmp_path / "c", "utilities", "prometheus")
    config = "[sandbox]\nmax_tools = 10\n"
    with serve(runtime_bin, components, config, tmp_path) as s:
        async with client(s.base, {}) as c:
            names = {t.name for t in (await c.list_tools()).tools}
        assert "utilities_get_time" in names and not any(n.startswith("prometheus_") for n in names)
        assert 'k8s_mcp_component_load_failures_total{cause="too_many_tools",component="prometheus"} 1' in metrics_of(s)
    listing = components_list(runtime_bin, components)
    assert "prometheus (" in listing  # without the bound it loads


async def test_without_the_http_grant_no_request_leaves(runtime_bin, tmp_path):
    seen = Recording.seen = []
    with serving(Recording) as url:
        components = components_subset(tmp_path / "c", "utilities")
        config = tmp_path / "grants.toml"
        config.write_text(f'[components.utilities]\nallow_http = ["{url}"]\ngrants = ["config", "log", "progress"]\n')
        async with stdio_client(runtime_bin, components, "--config", str(config)) as c:
            r = await c.call_tool("utilities_web_fetch", {"url": url + "/page"})
            assert r.is_error and "not granted the `http` capability" in text_of(r), text_of(r)
        assert seen == []
        # Granted (the default), the allowlisted origin is reachable.
        config.write_text(f'[components.utilities]\nallow_http = ["{url}"]\n')
        async with stdio_client(runtime_bin, components, "--config", str(config)) as c:
            r = await c.call_tool("utilities_web_fetch", {"url": url + "/page"})
            assert not r.is_error, text_of(r)
        assert seen == ["/page"]


async def test_a_copy_of_the_helm_component_gets_no_helm(runtime_bin, tmp_path):
    components = tmp_path / "c"
    components.mkdir()
    shutil.copy(COMPONENTS / "helm" / "helm.wasm", components / "charts.wasm")
    (components / "charts.policy.toml").write_text('name = "charts"\n')
    listing = components_list(runtime_bin, components)
    assert "imports `helm` but is not granted it" in listing, listing
    async with stdio_client(runtime_bin, components) as c:
        r = await c.call_tool("charts_list_repos", {})
        assert r.is_error and "not granted the `helm` capability" in text_of(r), text_of(r)


def hostile(dest):
    dest.mkdir(parents=True, exist_ok=True)
    assert HOSTILE_WASM.exists(), f"{HOSTILE_WASM} missing: run scripts/build-components.sh"
    shutil.copy(HOSTILE_WASM, dest / "hostile.wasm")
    return dest


@pytest.mark.parametrize(("mode", "causes"), [
    ("loop", {"fuel", "deadline"}),
    ("alloc", {"memory"}),
    ("many", {"too_many_tools"}),
    ("duplicate", {"duplicate"}),
])
async def test_a_hostile_list_tools_is_quarantined(runtime_bin, tmp_path, mode, causes):
    components = hostile(components_subset(tmp_path / "c", "utilities") / "h")
    components = components.parent
    config = f'[components.hostile]\nsettings = {{ list_tools = "{mode}" }}\n'
    with serve(runtime_bin, components, config, tmp_path) as s:
        async with client(s.base, {}) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            assert "utilities_get_time" in names and not any(n.startswith("hostile_") for n in names), len(names)
            assert not (await c.call_tool("utilities_get_time", {})).is_error
        metrics = metrics_of(s)
        found = [cause for cause in causes
                 if f'k8s_mcp_component_load_failures_total{{cause="{cause}",component="hostile"}} 1' in metrics]
        assert found, [line for line in metrics.splitlines() if "load_failures" in line]
    err = serve_fails(runtime_bin, components, config + "[sandbox]\nstrict = true\n", tmp_path)
    assert "hostile" in err, err


async def test_a_hostile_component_reaches_nothing_it_was_not_granted(runtime_bin, tmp_path):
    seen = Recording.seen = []
    with serving(Recording) as url:
        components = hostile(tmp_path / "c")
        config = tmp_path / "h.toml"
        config.write_text('[components.hostile]\nsecrets = { token = "its-own-token" }\n')
        async with stdio_client(runtime_bin, components, "--config", str(config)) as c:
            for tool, expected in [("secrets", "not granted the `kube` capability"),
                                   ("releases", "not granted the `helm` capability")]:
                r = await c.call_tool(f"hostile_{tool}", {})
                assert r.is_error and expected in text_of(r), (tool, text_of(r))
            r = await c.call_tool("hostile_fetch", {"url": url + "/x"})
            assert r.is_error and "egress" in text_of(r).lower(), text_of(r)
            # Its own secret is readable (config is granted) and redacted from what it returns.
            r = await c.call_tool("hostile_secret", {})
            assert not r.is_error and "its-own-token" not in text_of(r) and "REDACTED" in text_of(r), text_of(r)
    assert seen == []
    # Without `config` its very first settings read (in list-tools) traps: it is left out.
    config.write_text('[components.hostile]\ngrants = ["log"]\nsecrets = { token = "its-own-token" }\n')
    listing = components_list(runtime_bin, components, "--config", str(config))
    assert "hostile failed: trap" in listing and "not granted the `config` capability" in listing, listing
