"""The front door end to end: authentication (API keys, verified JWTs),
roles, Origin checks, the audit log and its durability, metrics, and the
start-up safety check — driven by the Python MCP client over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.frontdoor import KEYS, auth_config, claims, client, legacy_sse_client, mint, raw_post, serve, utilities_only
from support.mcp import INIT, text_of
from support.runtime import COMPONENTS, free_port

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    return utilities_only(tmp_path_factory.mktemp("frontdoor"))


@pytest.fixture(scope="module")
def server(runtime_bin, components, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("frontdoor-server")
    port = free_port()
    audit = tmp / "audit.log"
    with serve(runtime_bin, components, auth_config(port, audit), tmp, port=port) as s:
        s.audit = audit
        yield s


def audit_lines(server) -> list[dict]:
    return [json.loads(line) for line in server.audit.read_text().splitlines()]


def scrape(server) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"{server.admin}/metrics", timeout=5) as r:
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def test_no_credential_is_401_with_resource_metadata(server):
    r = raw_post(server.base)
    assert r.status_code == 401, r.text
    challenge = r.headers["www-authenticate"]
    metadata_url = f"{server.base}/.well-known/oauth-protected-resource"
    assert challenge == f'Bearer resource_metadata="{metadata_url}"'
    assert r.json()["error"]["code"] == -32001
    doc = json.loads(urllib.request.urlopen(metadata_url, timeout=5).read())
    assert doc["resource"] == f"{server.base}/mcp"
    assert doc["bearer_methods_supported"] == ["header"]


@pytest.mark.parametrize(
    "case",
    ["forged", "expired", "not_yet_valid", "wrong_audience", "wrong_issuer", "alg_none", "expired_api_key", "bad_api_key"],
)
def test_bad_credentials_are_401(server, case):
    c = claims(server.base)
    headers = {
        "forged": lambda: {"Authorization": f"Bearer {mint(c, key='some-other-secret-0123456789abcdef')}"},
        "expired": lambda: {"Authorization": f"Bearer {mint(claims(server.base, exp=c['iat'] - 3600))}"},
        "not_yet_valid": lambda: {"Authorization": f"Bearer {mint(claims(server.base, nbf=c['iat'] + 3600))}"},
        "wrong_audience": lambda: {"Authorization": f"Bearer {mint(claims(server.base, aud='http://elsewhere/mcp'))}"},
        "wrong_issuer": lambda: {"Authorization": f"Bearer {mint(claims(server.base, iss='https://evil.test'))}"},
        "alg_none": lambda: {"Authorization": f"Bearer {mint(c, key=None, algorithm='none')}"},
        "expired_api_key": lambda: {"X-API-Key": KEYS["expired"]},
        "bad_api_key": lambda: {"X-API-Key": "guessed-key"},
    }[case]()
    r = raw_post(server.base, headers)
    assert r.status_code == 401, r.text
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert "resource_metadata=" in r.headers["www-authenticate"]


async def test_api_key_and_jwt_reach_the_tools(server):
    async with client(server.base, {"X-API-Key": KEYS["ops"]}) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert {"utilities_get_time", "utilities_web_fetch"} <= names
        result = await c.call_tool("utilities_get_timestamp", {})
        assert not result.is_error, text_of(result)
    token = mint(claims(server.base))
    async with client(server.base, {"Authorization": f"Bearer {token}"}) as c:
        result = await c.call_tool("utilities_get_date", {})
        assert not result.is_error, text_of(result)
    subjects = {(line["subject"], line["tool"]) for line in audit_lines(server)}
    assert ("ops-user", "utilities_get_timestamp") in subjects
    assert ("jwt-user", "utilities_get_date") in subjects


async def test_role_without_access_hides_and_forbids(server):
    async with client(server.base, {"X-API-Key": KEYS["clock"]}) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert names == {"utilities_get_time", "utilities_get_date"}
        # A role refusal is a tool result the model reads (the refusal rule).
        denied = await c.call_tool("utilities_web_fetch", {"url": "http://127.0.0.1:9/"})
        assert denied.is_error and "forbidden" in text_of(denied), text_of(denied)
        assert not (await c.call_tool("utilities_get_time", {})).is_error
    denied_lines = [l for l in audit_lines(server) if l["outcome"] == "denied"]
    assert any(l["subject"] == "clock-user" and l["tool"] == "utilities_web_fetch" for l in denied_lines)


def test_foreign_origin_is_403(server):
    r = raw_post(server.base, {"X-API-Key": KEYS["ops"], "Origin": "https://evil.example"})
    assert r.status_code == 403, r.text
    r = raw_post(server.base, {"X-API-Key": KEYS["ops"], "Origin": "http://localhost:5173"})
    assert r.status_code == 200, r.text


async def test_audit_lines_are_complete_and_redacted(server):
    async with client(server.base, {"X-API-Key": KEYS["ops"]}) as c:
        await c.call_tool("utilities_get_time", {"format": "RFC3339", "api_token": "hunter2-secret-value"})
    text = server.audit.read_text()
    assert "hunter2-secret-value" not in text
    assert KEYS["ops"] not in text
    line = [l for l in audit_lines(server) if l["tool"] == "utilities_get_time" and l["subject"] == "ops-user"][-1]
    assert line["tenant"] == "team-a"
    assert line["arguments"] == {"format": "RFC3339", "api_token": "[REDACTED]"}
    assert line["outcome"] in ("ok", "tool_error", "error")
    assert line["request_id"] != ""
    assert line["time"].endswith("Z")
    assert isinstance(line["duration_ms"], int)
    assert line["fuel_used"] > 0


async def test_metrics_move_with_calls(server):
    before = scrape(server)
    key = ("k8s_mcp_tool_calls_total", (("outcome", "ok"), ("tool", "utilities_get_timestamp")))
    async with client(server.base, {"X-API-Key": KEYS["ops"]}) as c:
        for _ in range(3):
            assert not (await c.call_tool("utilities_get_timestamp", {"unit": "ms"})).is_error
    after = scrape(server)
    assert after[key] - before.get(key, 0) == 3
    fuel = ("k8s_mcp_sandbox_fuel_used_count", (("service", "utilities"),))
    assert after[fuel] - before.get(fuel, 0) >= 3
    post_ok = ("k8s_mcp_http_requests_total", (("method", "POST"), ("route", "/mcp"), ("status", "200")))
    assert after[post_ok] > before.get(post_ok, 0)
    unauthorized = ("k8s_mcp_auth_attempts_total", (("method", "any"), ("result", "missing")))
    raw_post(server.base)
    assert scrape(server)[unauthorized] > after.get(unauthorized, 0)
    assert after[("k8s_mcp_tool_calls_in_flight", ())] == 0
    with urllib.request.urlopen(f"{server.admin}/readyz", timeout=5) as r:
        assert r.status == 200


def test_public_bind_needs_auth_or_the_override(runtime_bin, components, tmp_path):
    port = free_port()
    proc = subprocess.run(
        [str(runtime_bin), "serve", "--components", str(components), "--transport", "http", "--admin-listen", "off"],
        env={"MCP_ADDR": f"0.0.0.0:{port}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert b"--insecure-no-auth" in proc.stderr
    # The reference's environment variables turn authentication on, and then it starts.
    env = {"MCP_ADDR": f"0.0.0.0:{port}", "MCP_AUTH_ENABLED": "true", "MCP_AUTH_MODE": "apikey",
           "MCP_AUTH_API_KEY": "env-key-123"}
    with serve(runtime_bin, components, None, tmp_path, port=port, env=env) as s:
        assert raw_post(s.base).status_code == 401
        assert raw_post(s.base, {"X-API-Key": "env-key-123"}).status_code == 200


async def test_legacy_sse_transport_behind_the_front_door(server):
    assert httpx.get(f"{server.base}/sse", timeout=5).status_code == 401
    async with legacy_sse_client(server.base, {"X-API-Key": KEYS["clock"]}) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert names == {"utilities_get_time", "utilities_get_date"}
        result = await c.call_tool("utilities_get_date", {"marker": "via-sse"})
        assert not result.is_error, text_of(result)
        denied = await c.call_tool("utilities_web_fetch", {"url": "http://127.0.0.1:9/"})
        assert denied.is_error and "forbidden" in text_of(denied), text_of(denied)
    line = [l for l in audit_lines(server) if l["arguments"].get("marker") == "via-sse"][-1]
    assert (line["subject"], line["tool"], line["outcome"]) == ("clock-user", "utilities_get_date", "ok")


def test_sse_routes_check_the_host_header(server):
    headers = {"X-API-Key": KEYS["clock"], "Host": "evil.example"}
    assert httpx.get(f"{server.base}/sse", headers=headers, timeout=5).status_code == 403
    assert httpx.post(f"{server.base}/message?sessionId=x", json=INIT, headers=headers, timeout=5).status_code == 403


def test_sse_session_belongs_to_its_credential(server):
    with httpx.stream("GET", f"{server.base}/sse", headers={"X-API-Key": KEYS["clock"]}, timeout=10) as events:
        assert events.status_code == 200
        lines = events.iter_lines()  # kept referenced: dropping it closes the stream
        endpoint = next(line for line in lines if line.startswith("data: /message")).removeprefix("data: ")
        assert endpoint and "sessionId=" in endpoint
        other = httpx.post(f"{server.base}{endpoint}", json=INIT, headers={"X-API-Key": KEYS["ops"]}, timeout=5)
        assert other.status_code == 404, other.text
        bad = httpx.post(f"{server.base}{endpoint}", content=b"{not json", headers={"X-API-Key": KEYS["clock"]}, timeout=5)
        assert bad.status_code == 400, bad.text
        assert bad.json()["error"]["code"] == -32700
        own = httpx.post(f"{server.base}{endpoint}", json=INIT, headers={"X-API-Key": KEYS["clock"]}, timeout=5)
        assert own.status_code == 202, own.text


async def test_identity_reaches_the_component(runtime_bin, components, tmp_path):
    """The caller's tenant (from the JWT's `tenant` claim or the API key's
    entry) is what the component sees in its call context."""
    hello = COMPONENTS / "target" / "wasm32-wasip2" / "release" / "hello.wasm"
    assert hello.exists(), f"{hello} missing: run scripts/build-components.sh"
    d = tmp_path / "with-hello"
    shutil.copytree(components, d)
    shutil.copy(hello, d / "hello.wasm")
    port = free_port()
    extra = '\n[auth.roles.greeter]\nservices = ["hello"]\n'
    with serve(runtime_bin, d, auth_config(port, tmp_path / "audit.log", extra), tmp_path, port=port) as s:
        for tenant in ("tenant-one", "tenant-two"):
            token = mint(claims(s.base, sub=f"user-{tenant}", tenant=tenant, roles=["greeter"]))
            async with client(s.base, {"Authorization": f"Bearer {token}"}) as c:
                assert {t.name for t in (await c.list_tools()).tools} == {"hello_greet"}
                result = await c.call_tool("hello_greet", {"name": "Ann"})
                assert text_of(result) == f"Hello, Ann! (tenant {tenant})"
