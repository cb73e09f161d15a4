"""The utilities component through real MCP clients, over stdio and
streamable HTTP, with both the handshake (2025-11-25) and discovery
(2026-07-28) protocol modes."""

from __future__ import annotations

import datetime as dt
import re
import time
from contextlib import asynccontextmanager

import pytest
from mcp.shared.exceptions import MCPError

from support.mcp import http_client, json_of, stdio_client, text_of

pytestmark = pytest.mark.anyio

EXPECTED_TOOLS = {
    "utilities_get_time",
    "utilities_get_timestamp",
    "utilities_get_date",
    "utilities_pause",
    "utilities_sleep",
    "utilities_web_fetch",
}


@pytest.fixture(params=["stdio-legacy", "stdio-auto", "http-legacy", "http-auto"])
def connect(request, runtime_bin, components_dir, utilities_http):
    transport, mode = request.param.split("-")

    @asynccontextmanager
    async def open_client(*extra: str):
        if transport == "stdio":
            async with stdio_client(runtime_bin, components_dir, *extra, mode=mode) as c:
                yield c
        else:
            assert not extra, "HTTP fixture uses the default configuration"
            async with http_client(utilities_http, mode=mode) as c:
                yield c

    return open_client


async def test_lists_the_utilities_tools_with_schemas_and_annotations(connect, request):
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        expected_version = "2026-07-28" if request.node.callspec.params["connect"].endswith("auto") else "2025-11-25"
        assert client.protocol_version == expected_version
        assert client.server_info.name == "k8s-mcp-runtime"
    assert EXPECTED_TOOLS <= set(tools)
    fetch = tools["utilities_web_fetch"]
    assert fetch.input_schema["type"] == "object"
    assert fetch.input_schema["required"] == ["url"]
    assert fetch.annotations.read_only_hint is True
    assert fetch.annotations.open_world_hint is True
    assert tools["utilities_get_time"].annotations.open_world_hint is False
    assert "seconds" in tools["utilities_pause"].input_schema["properties"]


async def test_get_time_default_and_named_layouts(connect):
    async with connect() as client:
        default = json_of(await client.call_tool("utilities_get_time", {}))
        rfc = json_of(await client.call_tool("utilities_get_time", {"format": "RFC3339"}))
        kitchen = json_of(await client.call_tool("utilities_get_time", {"format": "3:04PM"}))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", default["time"]), default
    assert abs(default["unix"] - time.time()) < 60
    parsed = dt.datetime.fromisoformat(rfc["time"].replace("Z", "+00:00"))
    assert abs(parsed.timestamp() - time.time()) < 60
    assert rfc["time"].endswith("Z")
    assert re.fullmatch(r"\d{1,2}:\d{2}(AM|PM)", kitchen["time"]), kitchen


async def test_get_timestamp_units(connect):
    async with connect() as client:
        secs = json_of(await client.call_tool("utilities_get_timestamp", {}))
        ms = json_of(await client.call_tool("utilities_get_timestamp", {"unit": "ms", "include_millis": True}))
        days = json_of(await client.call_tool("utilities_get_timestamp", {"unit": "days"}))
    now = time.time()
    assert secs["unit"] == "seconds" and abs(secs["timestamp"] - now) < 60
    assert ms["unit"] == "milliseconds" and abs(ms["timestamp"] / 1000 - now) < 60
    assert abs(ms["millis"] - ms["timestamp"]) < 1000
    assert days["timestamp"] == int(now // 86400) or days["timestamp"] == int(now // 86400) - 1
    assert secs["rfc3339"].endswith("Z")


async def test_get_date_fields_match_the_clock(connect):
    async with connect() as client:
        d = json_of(await client.call_tool("utilities_get_date", {"include_time": True}))
        custom = json_of(await client.call_tool("utilities_get_date", {"format": "Monday, January 2"}))
    today = dt.datetime.now(dt.timezone.utc)
    assert d["year"] == today.year and d["month"] == today.month
    assert d["date"] == f"{d['year']:04d}-{d['month']:02d}-{d['day']:02d}"
    assert d["day_of_year"] == dt.date(d["year"], d["month"], d["day"]).timetuple().tm_yday
    assert d["weekday"] == dt.date(d["year"], d["month"], d["day"]).strftime("%A")
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", d["time"])
    assert custom["date"] == f"{d['weekday']}, {d['month_name']} {d['day']}"


async def test_sleep_and_pause_wait_and_report_progress(connect):
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(p, total, message):
        progress.append((p, total, message))

    async with connect() as client:
        started = time.monotonic()
        out = json_of(await client.call_tool("utilities_sleep", {"duration": 300, "unit": "ms"}))
        assert 0.29 <= time.monotonic() - started < 5
        assert 290 <= out["slept_ms"] < 5000
        started = time.monotonic()
        out = json_of(await client.call_tool("utilities_pause", {"seconds": 1.5}, progress_callback=on_progress))
        assert 1.45 <= time.monotonic() - started < 10
    assert progress, "pause must send progress notifications"
    assert progress[-1][0] == pytest.approx(1.5) and progress[-1][1] == pytest.approx(1.5)
    assert [p for p, _, _ in progress] == sorted(p for p, _, _ in progress)


async def test_bad_arguments_give_clear_tool_errors(connect):
    async with connect() as client:
        cases = {
            ("utilities_get_timestamp", (("unit", "fortnights"),)): "unknown unit `fortnights`",
            ("utilities_pause", (("seconds", -3),)): "`seconds` must be a non-negative number",
            ("utilities_sleep", (("unit", "lightyears"),)): "unknown unit `lightyears`",
            ("utilities_web_fetch", ()): "missing field `url`",
            ("utilities_web_fetch", (("url", "file:///etc/passwd"),)): "only http and https",
            ("utilities_web_fetch", (("url", "http://127.0.0.1:1/"), ("timeout", 0))): "`timeout` must be between",
            ("utilities_web_fetch", (("url", "http://127.0.0.1:1/"), ("max_chars", 0))): "`max_chars` must be between",
            ("utilities_get_time", (("format", 12),)): "invalid type",
        }
        for (tool, args), expected in cases.items():
            result = await client.call_tool(tool, dict(args))
            assert result.is_error, (tool, args)
            assert expected in text_of(result), (tool, args, text_of(result))
        with pytest.raises(MCPError, match="unknown tool `utilities_nope`"):
            await client.call_tool("utilities_nope", {})
        # The server still answers after all of that.
        assert not (await client.call_tool("utilities_get_date", {})).is_error


async def test_web_fetch_is_denied_by_default_policy(connect, origin):
    async with connect() as client:
        for url in [f"{origin}/page", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "https://example.com/"]:
            result = await client.call_tool("utilities_web_fetch", {"url": url})
            assert result.is_error, url
            assert "denied by the egress policy" in text_of(result), text_of(result)
