"""Sandbox fault handling with the testkit component: each fault becomes a
tool error naming its cause, and the same server keeps answering."""

from __future__ import annotations

import shutil
import json
import time

import anyio
import pytest

from support.mcp import http_client, json_of, stdio_client, text_of
from support.runtime import TESTKIT_WASM, http_server

pytestmark = pytest.mark.anyio


async def assert_still_serving(client):
    result = await client.call_tool("testkit_echo", {"message": "still here"})
    assert not result.is_error and text_of(result) == "still here"


FAULTS = [
    ("testkit_spin", {}, "exceeded its deadline of 1000 ms"),
    ("testkit_fuel_bomb", {}, "exceeded its fuel budget of 500000000 units"),
    ("testkit_memory_bomb", {}, "exceeded its memory limit of 32 MiB"),
    ("testkit_panic", {}, "testkit panic on purpose"),
    ("testkit_big_output", {"bytes": 100_000}, "tool output of 100000 bytes exceeds the limit of 65536 bytes"),
]


async def test_faults_become_errors_and_the_server_survives(runtime_bin, testkit_dir, testkit_config):
    async with stdio_client(runtime_bin, testkit_dir, "--config", str(testkit_config)) as client:
        await assert_still_serving(client)
        for tool, args, expected in FAULTS:
            started = time.monotonic()
            result = await client.call_tool(tool, args)
            assert result.is_error, tool
            assert expected in text_of(result), (tool, text_of(result))
            assert time.monotonic() - started < 10, tool
            await assert_still_serving(client)


async def test_small_output_within_limit(runtime_bin, testkit_dir):
    async with stdio_client(runtime_bin, testkit_dir) as client:
        result = await client.call_tool("testkit_big_output", {"bytes": 60_000})
    assert not result.is_error and len(text_of(result)) == 60_000


async def test_http_policy(runtime_bin, testkit_dir, origin):
    port = int(origin.rsplit(":", 1)[1])
    other_port = port + 1 if port < 65535 else port - 1
    denied = [
        f"http://127.0.0.1:{other_port}/json",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[::1]:8080/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "https://example.com/",
        f"http://localhost:{port}/json",
    ]
    async with stdio_client(runtime_bin, testkit_dir) as client:
        ok = json_of(await client.call_tool("testkit_fetch", {"url": f"{origin}/json"}))
        assert ok["status"] == 200 and ok["body"] == '{"ok": true}'
        for url in denied:
            result = await client.call_tool("testkit_fetch", {"url": url})
            assert result.is_error, url
            assert "denied by the egress policy" in text_of(result), (url, text_of(result))
            await assert_still_serving(client)
        redirected = await client.call_tool("testkit_fetch", {"url": f"{origin}/redirect?to=http://169.254.169.254/"})
        assert redirected.is_error and "169.254.169.254" in text_of(redirected)


async def test_http_response_size_and_timeout_limits(runtime_bin, testkit_dir, origin):
    async with stdio_client(runtime_bin, testkit_dir) as client:
        big = await client.call_tool("testkit_fetch", {"url": f"{origin}/long"})
        assert big.is_error and "of 50000 bytes exceeds the policy limit of 20000 bytes" in text_of(big), text_of(big)
        posted = json_of(await client.call_tool("testkit_post", {"url": f"{origin}/upload", "bytes": 15000}))
        assert posted["status"] == 200 and json.loads(posted["body"]) == {"received": 15000}
        too_big = await client.call_tool("testkit_post", {"url": f"{origin}/upload", "bytes": 50000})
        assert too_big.is_error and "request body" in text_of(too_big) and "max_request_bytes" in text_of(too_big), text_of(too_big)
        started = time.monotonic()
        slow = await client.call_tool("testkit_fetch", {"url": f"{origin}/slow"})
        assert slow.is_error and "timed out" in text_of(slow).lower(), text_of(slow)
        assert time.monotonic() - started < 2.9
        await assert_still_serving(client)


async def test_secrets_are_redacted_from_output(runtime_bin, testkit_dir, testkit_config):
    async with stdio_client(runtime_bin, testkit_dir, "--config", str(testkit_config)) as client:
        result = await client.call_tool("testkit_secret", {})
    assert not result.is_error
    assert text_of(result) == "token=[REDACTED]"


async def test_guest_progress_reaches_the_client(runtime_bin, testkit_dir):
    seen = []

    async def on_progress(p, total, message):
        seen.append((p, total, message))

    async with stdio_client(runtime_bin, testkit_dir) as client:
        result = await client.call_tool("testkit_progress", {}, progress_callback=on_progress)
    assert not result.is_error
    assert seen == [(1.0, 3.0, "step 1"), (2.0, 3.0, "step 2"), (3.0, 3.0, "step 3")]


async def test_concurrency_is_bounded_with_back_pressure(runtime_bin, testkit_dir):
    """With one slot, concurrent calls queue instead of failing."""
    with http_server(runtime_bin, testkit_dir, "--max-in-flight", "1") as base:
        results = []

        async def one(i):
            async with http_client(base) as client:
                results.append(await client.call_tool("testkit_echo", {"message": f"m{i}"}))

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(one, i)
    assert len(results) == 8
    assert sorted(text_of(r) for r in results) == sorted(f"m{i}" for i in range(8))


async def test_faults_over_http_keep_other_sessions_working(runtime_bin, testkit_dir):
    with http_server(runtime_bin, testkit_dir) as base:
        async with http_client(base) as a, http_client(base) as b:
            async with anyio.create_task_group() as tg:
                faults = []

                async def fault():
                    faults.append(await a.call_tool("testkit_spin", {}))

                tg.start_soon(fault)
                for _ in range(5):
                    await assert_still_serving(b)
            assert faults[0].is_error and "deadline" in text_of(faults[0])


async def test_cancelled_call_frees_its_slot(runtime_bin, components_dir):
    """Cancelling a long call stops its instance: with one slot, the next
    call runs at once instead of waiting for the 30 s pause."""
    async with stdio_client(runtime_bin, components_dir, "--max-in-flight", "1") as client:
        started = time.monotonic()
        with anyio.move_on_after(1.0):
            await client.call_tool("utilities_pause", {"seconds": 30})
        assert time.monotonic() - started < 5
        result = await client.call_tool("utilities_get_date", {})
        assert not result.is_error, text_of(result)
        assert time.monotonic() - started < 8


async def test_component_without_manifest_gets_safe_defaults(runtime_bin, tmp_path):
    hello = TESTKIT_WASM.with_name("hello.wasm")
    shutil.copy(hello, tmp_path / "hello.wasm")
    async with stdio_client(runtime_bin, tmp_path) as client:
        tools = (await client.list_tools()).tools
        assert [t.name for t in tools] == ["hello_greet"]
        result = await client.call_tool("hello_greet", {"name": "Ada"})
    assert text_of(result) == "Hello, Ada! (tenant default)"
