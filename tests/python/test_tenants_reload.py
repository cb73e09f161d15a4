"""Hot reload on SIGHUP: a changed tenant configuration adds a tool while a
long call keeps running to its normal end; a broken new component is
rejected, and the previous components keep serving; API keys rotate and
rate limits change without a restart, and a broken `[auth]` changes
nothing."""

from __future__ import annotations

import shutil
import signal

import anyio
import pytest

from support.frontdoor import api_key, client, metric, raw_post, serve, utilities_only, wait_for, wait_until
from support.mcp import text_of
from support.runtime import COMPONENTS, TESTKIT_WASM

pytestmark = pytest.mark.anyio

KEY = "reload-key-cmVsb2Fk"


def config(tools: list[str]) -> str:
    return f"""
{api_key("alpha", KEY, tenant="alpha")}
[tenants.alpha]
allow_tools = {tools!r}
""".replace("'", '"')


async def test_reload_adds_a_tool_without_breaking_a_call_in_flight(runtime_bin, tmp_path):
    components = utilities_only(tmp_path)
    with serve(runtime_bin, components, config(["utilities_sleep", "utilities_get_time"]), tmp_path) as s:
        config_path = next(tmp_path.glob("config-*.toml"))
        async with client(s.base, {"X-API-Key": KEY}) as c, client(s.base, {"X-API-Key": KEY}) as other:
            assert "utilities_get_date" not in {t.name for t in (await c.list_tools()).tools}
            results = []

            async def long_call():
                results.append(await c.call_tool("utilities_sleep", {"duration": 3}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(long_call)

                async def in_flight():
                    return metric(s.admin, "k8s_mcp_tool_calls_in_flight") >= 1

                await wait_for(in_flight)
                config_path.write_text(config(["utilities_sleep", "utilities_get_time", "utilities_get_date"]))
                s.proc.send_signal(signal.SIGHUP)

                async def has_date():
                    return "utilities_get_date" in {t.name for t in (await other.list_tools()).tools}

                await wait_for(has_date)
                assert not results, "the long call must still be running when the reload lands"
                r = await other.call_tool("utilities_get_date", {})
                assert not r.is_error, text_of(r)
            assert len(results) == 1 and not results[0].is_error, text_of(results[0])
            assert metric(s.admin, "k8s_mcp_reloads_total", {"outcome": "ok"}) == 1

            # A broken new component is left out of the reload; the rest keeps serving.
            (components / "broken.wasm").write_bytes(b"\0asm not really")
            s.proc.send_signal(signal.SIGHUP)

            async def quarantined():
                return metric(s.admin, "k8s_mcp_component_load_failures_total", {"component": "broken"}) >= 1

            await wait_for(quarantined)
            assert metric(s.admin, "k8s_mcp_reloads_total", {"outcome": "rejected"}) == 0
            r = await c.call_tool("utilities_get_date", {})
            assert not r.is_error, text_of(r)
            assert s.proc.poll() is None
    log = s.proc.stderr.read().decode()
    assert "component left out" in log and "broken" in log, log[-2000:]


async def test_file_watch_reloads_without_a_signal(runtime_bin, tmp_path):
    components = utilities_only(tmp_path)
    watched = "[server]\nwatch = true\n"
    with serve(runtime_bin, components, watched + config(["utilities_get_time"]), tmp_path) as s:
        config_path = next(tmp_path.glob("config-*.toml"))
        async with client(s.base, {"X-API-Key": KEY}) as c:
            assert {t.name for t in (await c.list_tools()).tools} == {"utilities_get_time"}
            config_path.write_text(watched + config(["utilities_get_time", "utilities_get_date"]))

            async def has_date():
                return "utilities_get_date" in {t.name for t in (await c.list_tools()).tools}

            await wait_for(has_date)
            # A broken component dropped into the watched folder is left out.
            (components / "broken.wasm").write_bytes(b"\0asm not really")

            async def quarantined():
                return metric(s.admin, "k8s_mcp_component_load_failures_total", {"component": "broken"}) >= 1

            await wait_for(quarantined)
            assert not (await c.call_tool("utilities_get_date", {})).is_error


NEW_KEY = "rotated-key-bmV3a2V5"


def keys_config(key: str, extra: str = "") -> str:
    return f"""
{api_key("alpha", key)}{extra}
"""


def admitted(base: str, headers: dict[str, str]) -> int:
    """The status of the first request the rate limiter lets through."""
    return wait_until(lambda: (code := raw_post(base, headers).status_code) != 429 and code, timeout=10)


async def test_reload_rotates_keys_and_rate_limits(runtime_bin, tmp_path):
    components = utilities_only(tmp_path)
    with serve(runtime_bin, components, keys_config(KEY), tmp_path) as s:
        config_path = next(tmp_path.glob("config-*.toml"))
        old, new = {"X-API-Key": KEY}, {"X-API-Key": NEW_KEY}
        assert raw_post(s.base, old).status_code == 200
        assert raw_post(s.base, new).status_code == 401

        config_path.write_text(keys_config(NEW_KEY, "[ratelimit]\nenabled = true\nrequests_per_second = 1\nburst = 2\n"))
        s.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: raw_post(s.base, new).status_code != 401, timeout=30)
        assert raw_post(s.base, old).status_code == 401, "the replaced key no longer opens the door"
        codes = [raw_post(s.base, new).status_code for _ in range(6)]
        assert 429 in codes, f"the rate limit added by the reload applies: {codes}"

        # A broken [auth] (an API key without its hash) is rejected as a whole.
        config_path.write_text('[[auth.api_keys]]\nname = "broken"\n')
        s.proc.send_signal(signal.SIGHUP)

        async def rejected():
            return metric(s.admin, "k8s_mcp_reloads_total", {"outcome": "rejected"}) == 1

        await wait_for(rejected)
        assert admitted(s.base, new) == 200, "the previous keys keep serving"
        assert admitted(s.base, old) == 401


async def test_a_change_in_a_tenants_folder_reloads_that_tenant_alone(runtime_bin, tmp_path):
    own = tmp_path / "alpha-own"
    own.mkdir()
    hello = COMPONENTS / "target" / "wasm32-wasip2" / "release" / "hello.wasm"
    assert hello.exists() and TESTKIT_WASM.exists(), "run scripts/build-components.sh"
    shutil.copy(hello, own / "hello.wasm")
    watched = f"""
[server]
watch = true
{api_key("alpha", KEY, tenant="alpha")}
{api_key("beta", "beta-" + KEY, tenant="beta")}
[tenants.alpha]
components_dir = "{own}"
[tenants.beta]
"""
    with serve(runtime_bin, utilities_only(tmp_path), watched, tmp_path) as s:
        async with client(s.base, {"X-API-Key": KEY}) as alpha, client(s.base, {"X-API-Key": "beta-" + KEY}) as beta:
            assert "hello_greet" in {t.name for t in (await alpha.list_tools()).tools}
            beta_tools = {t.name for t in (await beta.list_tools()).tools}
            # The tenant adds a component to its own folder: only its scope is rebuilt.
            (own / "extra.policy.toml").write_text('name = "extra"\n')
            shutil.copy(TESTKIT_WASM, own / "extra.wasm")

            async def alpha_has_extra():
                return "extra_echo" in {t.name for t in (await alpha.list_tools()).tools}

            await wait_for(alpha_has_extra)
            assert metric(s.admin, "k8s_mcp_tenant_reloads_total", {"tenant": "alpha", "outcome": "ok"}) >= 1
            assert metric(s.admin, "k8s_mcp_reloads_total", {"outcome": "ok"}) == 0, "no server-wide reload"
            assert {t.name for t in (await beta.list_tools()).tools} == beta_tools
            # A broken component there is left out of alpha's scope; nobody else notices.
            (own / "broken.wasm").write_bytes(b"\0asm not really")

            async def quarantined():
                return metric(s.admin, "k8s_mcp_component_load_failures_total", {"component": "broken"}) >= 1

            await wait_for(quarantined)
            assert metric(s.admin, "k8s_mcp_reloads_total", {"outcome": "rejected"}) == 0
            r = await alpha.call_tool("extra_echo", {"message": "still here"})
            assert not r.is_error and "still here" in text_of(r), text_of(r)
            assert not (await beta.call_tool("utilities_get_time", {})).is_error
