"""Multi-tenancy end to end: three tenants in one server, each with its own
API key, driven by the Python MCP client over HTTP. Each tenant sees only
its tools, the same tool name reaches each tenant's own backend with its own
credentials, hidden tools are refused by name, and one tenant's limits trip
while the others keep being served."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from support.frontdoor import api_key, claims, client, mint, serve, utilities_only
from support.mcp import text_of
from support.runtime import COMPONENTS
from support.tenants import AUDIENCE, TENANT_KEYS, stub_prometheus, tenant_components, tenants_config

pytestmark = pytest.mark.anyio


def key(tenant: str) -> dict[str, str]:
    return {"X-API-Key": TENANT_KEYS[tenant]}


@pytest.fixture
def backends():
    with stub_prometheus("backend-a", "alpha-backend-token-1") as a, \
            stub_prometheus("backend-b", "beta-backend-token-2") as b:
        yield a, b


@pytest.fixture
def server(runtime_bin, tmp_path, backends):
    a, b = backends
    audit = tmp_path / "audit.jsonl"
    with serve(runtime_bin, tenant_components(tmp_path), tenants_config(audit, a, b), tmp_path) as s:
        s.audit = audit
        yield s


def sample(result) -> dict:
    assert not result.is_error, text_of(result)
    doc = json.loads(text_of(result))
    return doc["data"]["result"][0]["metric"] if "data" in doc else doc["result"][0]["metric"]


async def names(tenant: str, base: str) -> set[str]:
    async with client(base, key(tenant)) as c:
        return {t.name for t in (await c.list_tools()).tools}


async def test_each_tenant_sees_only_its_tools(server):
    assert await names("alpha", server.base) == {"prometheus_query", "utilities_get_time", "utilities_sleep"}
    beta = await names("beta", server.base)
    assert "prometheus_query" in beta and "prometheus_query_range" in beta and "utilities_get_time" in beta
    assert not {"utilities_sleep", "utilities_pause", "utilities_web_fetch"} & beta
    assert await names("gamma", server.base) == {"utilities_get_time", "utilities_get_date"}


async def test_hidden_tools_are_refused_even_by_name(server):
    async with client(server.base, key("alpha")) as c:
        with pytest.raises(MCPError) as e:
            await c.call_tool("utilities_get_date", {})
        assert "unknown tool" in str(e.value)
    async with client(server.base, key("beta")) as c:
        with pytest.raises(MCPError) as e:
            await c.call_tool("utilities_sleep", {"duration": 0.01})
        assert "unknown tool" in str(e.value)
    async with client(server.base, key("gamma")) as c:
        with pytest.raises(MCPError):
            await c.call_tool("prometheus_query", {"query": "up"})


async def test_same_tool_reaches_each_tenants_own_backend(server, backends):
    a, b = backends
    async with client(server.base, key("alpha")) as c:
        got = sample(await c.call_tool("prometheus_query", {"query": "up"}))
        assert (got["backend"], got["auth"]) == ("backend-a", "ok")
    async with client(server.base, key("beta")) as c:
        got = sample(await c.call_tool("prometheus_query", {"query": "up"}))
        assert (got["backend"], got["auth"]) == ("backend-b", "ok")
    # Each backend saw only its own tenant's credential.
    assert a.seen and set(a.seen) == {f"Bearer {a.token}"}
    assert b.seen and set(b.seen) == {f"Bearer {b.token}"}
    # Neither token reaches the audit log.
    text = server.audit.read_text()
    assert a.token not in text and b.token not in text
    lines = [json.loads(line) for line in text.splitlines()]
    alpha = [r for r in lines if r["tenant"] == "alpha"]
    assert alpha and all(r.get("tag") == "alpha-stream" for r in alpha)
    assert all("tag" not in r for r in lines if r["tenant"] == "beta")


async def test_results_are_not_shared_between_tenants_through_the_cache(server):
    """prometheus_query results are cached briefly: the cache key has the tenant."""
    for tenant, backend in (("alpha", "backend-a"), ("beta", "backend-b"), ("alpha", "backend-a")):
        async with client(server.base, key(tenant)) as c:
            got = sample(await c.call_tool("prometheus_query", {"query": "cached"}))
            assert got["backend"] == backend


async def test_limits_trip_for_one_tenant_while_others_are_served(server):
    async with client(server.base, key("gamma")) as c:
        starved = await c.call_tool("utilities_get_date", {})
        assert starved.is_error and "fuel budget of 1000" in text_of(starved), text_of(starved)
        # Burst 4: the fuel-starved call above was the first.
        for _ in range(3):
            ok = await c.call_tool("utilities_get_time", {})
            assert not ok.is_error, text_of(ok)
        limited = await c.call_tool("utilities_get_time", {})
        assert limited.is_error and "rate limit exceeded for tenant `gamma`" in text_of(limited), text_of(limited)
    latencies = []
    async with client(server.base, key("beta")) as c:
        for _ in range(10):
            started = time.monotonic()
            r = await c.call_tool("utilities_get_date", {})
            latencies.append(time.monotonic() - started)
            assert not r.is_error and "fuel" not in text_of(r), text_of(r)
    latencies.sort()
    print(f"beta while gamma is limited: p50={latencies[4] * 1000:.1f} ms max={latencies[-1] * 1000:.1f} ms")


async def test_unknown_tenant_is_refused(server):
    token = mint(claims(server.base, tenant="nobody", aud=AUDIENCE))
    async with client(server.base, {"Authorization": f"Bearer {token}"}) as c:
        with pytest.raises(MCPError) as e:
            await c.list_tools()
        assert "tenant `nobody` is not configured" in str(e.value)
        with pytest.raises(MCPError) as e:
            await c.call_tool("utilities_get_time", {})
        assert "tenant `nobody` is not configured" in str(e.value)
    token = mint(claims(server.base, tenant="alpha", aud=AUDIENCE))
    async with client(server.base, {"Authorization": f"Bearer {token}"}) as c:
        assert "utilities_sleep" in {t.name for t in (await c.list_tools()).tools}


async def test_jwt_subjects_map_to_tenants(server):
    # No tenant claim: the [[auth.jwt.tenants]] rule (issuer + subject pattern) decides.
    token = mint(claims(server.base, sub="svc-beta-7", aud=AUDIENCE))
    async with client(server.base, {"Authorization": f"Bearer {token}"}) as c:
        tools = {t.name for t in (await c.list_tools()).tools}
        assert "prometheus_query_range" in tools and "utilities_sleep" not in tools
    token = mint(claims(server.base, sub="svc-other", aud=AUDIENCE))
    async with client(server.base, {"Authorization": f"Bearer {token}"}) as c:
        with pytest.raises(MCPError) as e:
            await c.list_tools()
        assert "is not configured" in str(e.value)


def start_fails(runtime_bin, tmp_path, config: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(config)
    components = tmp_path / "bad-components"
    if not components.exists():
        components = tenant_components(tmp_path) if not (tmp_path / "components").exists() else tmp_path / "components"
    r = subprocess.run(
        [str(runtime_bin), "serve", "--transport", "http", "--listen", "127.0.0.1:0", "--components", str(components),
         "--config", str(path), "--cache-dir", str(tmp_path.parent / "wasm-cache")],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode != 0
    return r.stderr


def test_bad_tenant_config_names_the_key(runtime_bin, tmp_path, backends):
    a, b = backends
    base = tenants_config(tmp_path / "audit.jsonl", a, b)
    err = start_fails(runtime_bin, tmp_path, base.replace('tenant = "gamma"', 'tenant = "delta"'))
    assert "auth.api_keys `gamma`.tenant" in err and "delta" in err, err
    err = start_fails(runtime_bin, tmp_path, base + "\n[tenants.gamma.components.nosuch]\n")
    assert "tenants.gamma.components.nosuch" in err, err
    err = start_fails(runtime_bin, tmp_path, base + "\n[kubernetes]\nallowed_namespaces = [\"a\"]\n"
                      "[tenants.beta.kubernetes]\nallowed_namespaces = [\"b\"]\n")
    assert "tenants.beta.kubernetes.allowed_namespaces" in err, err
    err = start_fails(runtime_bin, tmp_path, base.replace("fuel = 1000", "fuel = 0"))
    assert "tenants.gamma.components.utilities.tools.get_date.limits.fuel" in err, err
    assert a.token not in err and b.token not in err


async def test_anonymous_caller_needs_a_declared_default_tenant(runtime_bin, tmp_path):
    components = utilities_only(tmp_path)
    config = '[tenants.default]\nallow_tools = ["utilities_get_time"]\n'
    with serve(runtime_bin, components, config, tmp_path) as s:
        async with client(s.base, {}) as c:
            assert {t.name for t in (await c.list_tools()).tools} == {"utilities_get_time"}
    with serve(runtime_bin, components, '[tenants.other]\n', tmp_path) as s:
        async with client(s.base, {}) as c:
            with pytest.raises(MCPError) as e:
                await c.list_tools()
            assert "tenant `default` is not configured" in str(e.value)


async def test_tenant_concurrency_cap(runtime_bin, tmp_path, backends):
    """alpha may run one call at a time: a second waits for the first."""
    a, b = backends
    config = tenants_config(tmp_path / "audit.jsonl", a, b, "[tenants.alpha.limits]\nmax_concurrent = 1\n")
    with serve(runtime_bin, tenant_components(tmp_path), config, tmp_path) as s:
        async with client(s.base, key("alpha")) as c1, client(s.base, key("alpha")) as c2:
            finished = []

            async def call(c, tag):
                r = await c.call_tool("utilities_sleep", {"duration": 0.6})
                assert not r.is_error, text_of(r)
                finished.append((tag, time.monotonic()))

            started = time.monotonic()
            async with anyio.create_task_group() as tg:
                tg.start_soon(call, c1, "first")
                tg.start_soon(call, c2, "second")
            assert len(finished) == 2
            # Serialized: the pair took at least two sleeps.
            assert max(t for _, t in finished) - started >= 1.2


def test_inspect_prints_a_tenants_effective_policy(runtime_bin, tmp_path, backends):
    a, b = backends
    components = tenant_components(tmp_path)
    config = tmp_path / "tenants.toml"
    config.write_text(tenants_config(tmp_path / "audit.jsonl", a, b) +
                      '\n[kubernetes]\nallowed_namespaces = ["x", "y"]\n'
                      '[tenants.gamma.kubernetes]\nread_only = true\nallowed_namespaces = ["y"]\n')

    def inspect(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(runtime_bin), "components", "inspect", str(components), "--config", str(config),
                               *extra], capture_output=True, text=True, timeout=120)

    alpha = inspect("--tenant", "alpha")
    assert alpha.returncode == 0, alpha.stderr
    out = alpha.stdout
    assert "tenant alpha: audit_tag=alpha-stream" in out
    assert "prometheus_query" in out and "prometheus_query_range" not in out and "utilities_get_date" not in out
    assert f"egress: {a.url}" in out and b.url not in out
    assert a.token not in out and "bearer_token" in out
    gamma = inspect("--tenant", "gamma").stdout
    assert "limits[get_date]: fuel=1000 " in gamma
    assert 'read_only=true allowed_namespaces=["y"]' in gamma
    assert "prometheus" not in gamma
    missing = inspect("--tenant", "nobody")
    assert missing.returncode != 0 and "--tenant" in missing.stderr and "nobody" in missing.stderr


async def test_per_request_credentials_only_where_the_tenant_allows(server, backends):
    a, b = backends
    own = "per-request-token-7f3a9c"
    headers = {**key("alpha"), "X-Mcp-Backend-Prometheus-Token": own}
    async with client(server.base, headers) as c:
        got = sample(await c.call_tool("prometheus_query", {"query": "creds"}))
        # The caller's token replaced the tenant's and never comes back in output.
        assert (got["backend"], got["auth"]) == ("backend-a", "no")
        assert got["echo"] == "Bearer [REDACTED]", got
    assert a.seen[-1] == f"Bearer {own}"
    # Without the header the same arguments are not answered from the entry above.
    async with client(server.base, key("alpha")) as c:
        got = sample(await c.call_tool("prometheus_query", {"query": "creds"}))
        assert got["auth"] == "ok" and got["echo"] == "Bearer [REDACTED]"
    assert a.seen[-1] == f"Bearer {a.token}"
    # An address header must name the configured backend: egress never follows a header.
    async with client(server.base, {**key("alpha"), "X-Mcp-Backend-Prometheus-Url": "http://169.254.169.254"}) as c:
        refused = await c.call_tool("prometheus_query", {"query": "up"})
        assert refused.is_error and "not this tenant's configured backend" in text_of(refused), text_of(refused)
    reference_style = {**headers, "X-Mcp-Backend-Prometheus-Url": a.url + "/", "X-Mcp-Backend-Prometheus-Tls-Skip-Verify": "true"}
    async with client(server.base, reference_style) as c:
        got = sample(await c.call_tool("prometheus_query", {"query": "reference"}))
        assert (got["backend"], got["auth"]) == ("backend-a", "no")
    assert a.seen[-1] == f"Bearer {own}"
    # beta does not accept per-request credentials: its configured token is used.
    async with client(server.base, {**key("beta"), "X-Mcp-Backend-Prometheus-Token": own}) as c:
        got = sample(await c.call_tool("prometheus_query", {"query": "ignored"}))
        assert (got["backend"], got["auth"]) == ("backend-b", "ok")
    assert f"Bearer {own}" not in b.seen
    # Headers for another service are ignored.
    async with client(server.base, {**key("beta"), "X-Mcp-Backend-Grafana-Api-Key": own}) as c:
        assert sample(await c.call_tool("prometheus_query", {"query": "up"}))["backend"] == "backend-b"
    assert own not in server.audit.read_text()


async def test_tenant_owned_components_are_visible_only_to_their_tenant(runtime_bin, tmp_path, backends):
    a, b = backends
    hello = COMPONENTS / "target" / "wasm32-wasip2" / "release" / "hello.wasm"
    assert hello.exists(), f"{hello} missing: run scripts/build-components.sh"
    own = tmp_path / "alpha-components"
    own.mkdir()
    shutil.copy(hello, own / "hello.wasm")
    extra = '\n[tenants.beta.limits]\nmax_concurrent = 2\n'
    config = tenants_config(tmp_path / "audit.jsonl", a, b, extra).replace(
        'allow_request_credentials = ["prometheus"]',
        f'allow_request_credentials = ["prometheus"]\ncomponents_dir = "{own}"',
    ).replace('"utilities_sleep"]', '"utilities_sleep", "hello_*"]')
    with serve(runtime_bin, tenant_components(tmp_path), config, tmp_path) as s:
        assert "hello_greet" in await names("alpha", s.base)
        assert not any(n.startswith("hello_") for n in await names("beta", s.base))
        async with client(s.base, key("alpha")) as c:
            r = await c.call_tool("hello_greet", {"name": "alpha"})
            assert not r.is_error and "(tenant alpha)" in text_of(r), text_of(r)
        async with client(s.base, key("beta")) as c:
            with pytest.raises(MCPError) as e:
                await c.call_tool("hello_greet", {"name": "beta"})
            assert "unknown tool" in str(e.value)
    # A tenant's component cannot take the name of a server-wide one: it is
    # left out (the server and the tenant's other tools serve), or, with
    # sandbox.strict, start-up fails naming it.
    shutil.copy(COMPONENTS / "utilities" / "utilities.wasm", own / "utilities.wasm")
    with serve(runtime_bin, tenant_components(tmp_path), config, tmp_path) as s:
        assert "hello_greet" in await names("alpha", s.base)
        async with client(s.base, key("alpha")) as c:
            r = await c.call_tool("hello_greet", {"name": "alpha"})
            assert not r.is_error and "(tenant alpha)" in text_of(r), text_of(r)
    err = start_fails(runtime_bin, tmp_path, "[sandbox]\nstrict = true\n" + config)
    assert "tenants.alpha.components_dir" in err and "utilities" in err, err


async def test_read_only_tenant_and_fuel_per_minute(runtime_bin, tmp_path):
    config = (api_key("t", TENANT_KEYS["alpha"], tenant="thrifty") + "\n"
              + api_key("o", TENANT_KEYS["beta"], tenant="open") + "\n"
              '[tenants.thrifty]\nread_only = true\n[tenants.thrifty.limits]\nfuel_per_minute = 1\n\n[tenants.open]\n')
    with serve(runtime_bin, tenant_components(tmp_path), config, tmp_path) as s:
        async with client(s.base, key("beta")) as c:
            everything = (await c.list_tools()).tools
        async with client(s.base, key("alpha")) as c:
            tools = (await c.list_tools()).tools
            assert tools and len(tools) < len(everything)
            assert all(t.annotations.read_only_hint for t in tools)
            assert any(not t.annotations.read_only_hint for t in everything)
            first = await c.call_tool("utilities_get_time", {})
            assert not first.is_error, text_of(first)
            second = await c.call_tool("utilities_get_time", {})
            assert second.is_error and "fuel budget of 1 units per minute" in text_of(second), text_of(second)
        async with client(s.base, key("beta")) as c:
            assert not (await c.call_tool("utilities_get_time", {})).is_error


async def test_tenant_egress_only_narrows(runtime_bin, tmp_path, origin):
    keys = (api_key("n", TENANT_KEYS["alpha"], tenant="narrow") + "\n"
            + api_key("w", TENANT_KEYS["beta"], tenant="wide") + "\n")
    config = (keys + f'[components.utilities]\nallow_http = ["{origin}"]\n\n'
              f'[tenants.narrow.components.utilities]\negress = ["{origin}/json"]\n\n[tenants.wide]\n')
    components = utilities_only(tmp_path)
    with serve(runtime_bin, components, config, tmp_path) as s:
        async with client(s.base, key("alpha")) as c:
            assert not (await c.call_tool("utilities_web_fetch", {"url": f"{origin}/json"})).is_error
            page = await c.call_tool("utilities_web_fetch", {"url": f"{origin}/page"})
            assert page.is_error and "no egress rule" in text_of(page), text_of(page)
        async with client(s.base, key("beta")) as c:
            page = await c.call_tool("utilities_web_fetch", {"url": f"{origin}/page"})
            assert not page.is_error, text_of(page)
    wider = config.replace(f'egress = ["{origin}/json"]', 'egress = ["http://127.0.0.1:1/"]')
    err = start_fails(runtime_bin, tmp_path, wider)
    assert "tenants.narrow.components.utilities.egress[0]" in err and "only narrow" in err, err
