"""Quotas that hold and a cache that keeps callers apart, each attack once:
concurrent fuel bombs against a small `fuel_per_minute` burn at most the
budget plus one call's budget; a reload while a tenant's `max_concurrent`
slots are taken frees none of them; and one subject calling with another
role (JWT) or another API key is never served the other's cached result."""

from __future__ import annotations

import json
import signal
import time

import anyio
import pytest

from support.frontdoor import ISSUER, JWT_SECRET, api_key, client, metric, mint, serve, utilities_only, wait_for
from support.mcp import text_of
from support.tenants import stub_prometheus, tenant_components

pytestmark = pytest.mark.anyio

KEY = "quota-key-cXVvdGE"
# testkit's fuel per call (tests/fixtures/testkit.policy.toml); fuel_bomb burns all of it.
CALL_FUEL = 500_000_000
FUEL_PER_MINUTE = 600_000_000
BOMBS = 6


def audit_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_concurrent_fuel_bombs_burn_at_most_the_budget_and_one_call(runtime_bin, tmp_path, testkit_dir):
    audit = tmp_path / "audit.jsonl"
    config = f"""
{api_key("bomber", KEY, tenant="bomber")}
[audit]
path = "{audit}"
fsync = "always"

[tenants.bomber.limits]
fuel_per_minute = {FUEL_PER_MINUTE}
"""
    with serve(runtime_bin, testkit_dir, config, tmp_path) as s:
        results = []

        async def bomb():
            async with client(s.base, {"X-API-Key": KEY}) as c:
                results.append(await c.call_tool("testkit_fuel_bomb", {}))

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for _ in range(BOMBS):
                    tg.start_soon(bomb)
            async with client(s.base, {"X-API-Key": KEY}) as c:
                later = await c.call_tool("testkit_echo", {"message": "anything left?"})
        burned = sum(r["fuel_used"] for r in audit_lines(audit) if r["tenant"] == "bomber")
        assert burned <= FUEL_PER_MINUTE + CALL_FUEL, f"{BOMBS} concurrent bombs burned {burned}"
        refused = [text_of(r) for r in results if "units per minute" in text_of(r)]
        assert refused and all(r.is_error for r in results), [text_of(r) for r in results]
        assert later.is_error and f"fuel budget of {FUEL_PER_MINUTE} units per minute" in text_of(later), \
            text_of(later)


def slots_config(tag: str) -> str:
    return f"""
{api_key("slots", KEY, tenant="slots")}
[tenants.slots]
audit_tag = "{tag}"

[tenants.slots.limits]
max_concurrent = 2
"""


async def test_a_reload_frees_no_slot_a_running_call_holds(runtime_bin, tmp_path):
    with serve(runtime_bin, utilities_only(tmp_path), slots_config("before"), tmp_path) as s:
        config_path = next(tmp_path.glob("config-*.toml"))
        running = []
        async with anyio.create_task_group() as tg:

            async def hold():
                async with client(s.base, {"X-API-Key": KEY}) as c:
                    running.append(await c.call_tool("utilities_sleep", {"duration": 25}))

            tg.start_soon(hold)
            tg.start_soon(hold)

            async def both_running():
                return metric(s.admin, "k8s_mcp_tool_calls_in_flight") >= 2

            await wait_for(both_running)
            # A reload that leaves the tenant's limits as they are.
            config_path.write_text(slots_config("after"))
            s.proc.send_signal(signal.SIGHUP)

            async def reloaded():
                return metric(s.admin, "k8s_mcp_reloads_total", {"outcome": "ok"}) == 1

            await wait_for(reloaded)
            with anyio.fail_after(20):
                async with client(s.base, {"X-API-Key": KEY}) as c:
                    third = await c.call_tool("utilities_get_time", {})
            assert not running, "both slots were still held while the third call waited"
            assert third.is_error and "server busy: 2 calls already in flight" in text_of(third), \
                f"a third call ran beside the two running ones: {text_of(third)}"
            tg.cancel_scope.cancel()


def cache_config(prometheus_url: str) -> str:
    return f"""
{api_key("alice-ops", "alice-ops-key-b3Bz", subject="alice", roles=["ops"])}
{api_key("alice-viewer", "alice-viewer-key-dmlld2Vy", subject="alice", roles=["viewer"])}
[auth.jwt]
secret = "{JWT_SECRET}"
issuer = "{ISSUER}"
audience = "quotas-test"

[auth.roles.ops]
services = ["prometheus", "utilities"]

[auth.roles.viewer]
tools = ["prometheus_query"]

[components.prometheus]
settings = {{ address = "{prometheus_url}" }}
"""


def sample_time(result) -> float:
    """The sample's timestamp: the stub's clock when it answered."""
    assert not result.is_error, text_of(result)
    doc = json.loads(text_of(result))
    return (doc["data"] if "data" in doc else doc)["result"][0]["value"][0]


def jwt_headers(roles: list[str]) -> dict[str, str]:
    now = int(time.time())
    token = mint({"sub": "alice", "iss": ISSUER, "aud": "quotas-test", "iat": now, "exp": now + 300, "roles": roles})
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("how", ["jwt", "api_key"])
async def test_the_viewer_never_gets_the_ops_callers_cached_result(runtime_bin, tmp_path, how):
    headers = {
        "jwt": (jwt_headers(["ops"]), jwt_headers(["viewer"])),
        "api_key": ({"X-API-Key": "alice-ops-key-b3Bz"}, {"X-API-Key": "alice-viewer-key-dmlld2Vy"}),
    }[how]
    with stub_prometheus("backend", "unused") as prom, \
            serve(runtime_bin, tenant_components(tmp_path), cache_config(prom.url), tmp_path) as s:
        async with client(s.base, headers[0]) as ops, client(s.base, headers[1]) as viewer:
            first = sample_time(await ops.call_tool("prometheus_query", {"query": "up"}))
            asked = len(prom.seen)
            again = sample_time(await ops.call_tool("prometheus_query", {"query": "up"}))
            assert (again, len(prom.seen)) == (first, asked), "the ops caller's own result is cached"
            seen = sample_time(await viewer.call_tool("prometheus_query", {"query": "up"}))
            assert seen != first and len(prom.seen) > asked, "the viewer was served the ops caller's cached result"
