"""The jaeger component against the Jaeger query service stub
(tests/stubs/src/bin/jaeger.rs, which follows the query service's HTTP JSON
API; no real Jaeger is installable here), configured as users of the Go
server do it: MCP_JAEGER_ADDRESS."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from support.mcp import json_of, text_of
from support.runtime import free_port

pytestmark = pytest.mark.anyio
# The stub fixture is a fresh stub per test: its traces are placed relative to its start.
SERVICE = "jaeger"


def direct(base: str, path: str, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture
def jg(stub_service, stub):
    def open_client(address: str | None = None):
        return stub_service.client(MCP_JAEGER_ADDRESS=address or stub)

    return open_client


def all_traces(stub: str) -> list[dict]:
    """Every trace the stub holds, fetched through its own API."""
    out = {}
    for svc in direct(stub, "/api/services")["data"]:
        for t in direct(stub, "/api/traces", service=svc, start=0)["data"]:
            out[t["traceID"]] = t
    return list(out.values())


def services_of(trace: dict) -> set[str]:
    return {p["serviceName"] for p in trace["processes"].values()}


def duration_ms(trace: dict) -> float:
    start = min(s["startTime"] for s in trace["spans"])
    end = max(s["startTime"] + s["duration"] for s in trace["spans"])
    return (end - start) / 1000


async def test_services_and_operations(jg, stub):
    services = direct(stub, "/api/services")["data"]
    async with jg() as c:
        listed = json_of(await c.call_tool("jaeger_get_services", {}))
        assert listed["services"] == sorted(services) and listed["total"] == len(services)
        capped = json_of(await c.call_tool("jaeger_get_services", {"limit": 2}))
        assert capped["services"] == sorted(services)[:2] and capped["truncated"]
        ops = json_of(await c.call_tool("jaeger_get_service_ops", {"service": "frontend"}))
        expected = direct(stub, "/api/operations", service="frontend")["data"]
        assert {o["name"] for o in ops["operations"]} == {o["name"] for o in expected}
        assert all(o["span_kind"] == "server" for o in ops["operations"])
        clients = json_of(await c.call_tool("jaeger_get_service_ops", {"service": "orders", "span_kind": "client"}))
        assert clients["total"] == 0
        summary = json_of(await c.call_tool("jaeger_get_services_summary", {}))
        assert summary["columns"] == ["service", "operations"]
        counts = dict(map(tuple, summary["rows"]))
        for svc in services:
            assert counts[svc] == len(direct(stub, f"/api/services/{svc}/operations")["data"])
        for args, expected in [({"service": " "}, "`service` must not be empty"), ({"service": "x", "span_kind": "sideways"}, "`span_kind` must be")]:
            r = await c.call_tool("jaeger_get_service_ops", args)
            assert r.is_error and expected in text_of(r), text_of(r)


async def test_find_and_search_traces(jg, stub):
    traces = all_traces(stub)
    day_ago = datetime.now(timezone.utc) - timedelta(days=1)
    recent_frontend = [t for t in traces if "frontend" in services_of(t)
                       and min(s["startTime"] for s in t["spans"]) / 1e6 > day_ago.timestamp()]
    async with jg() as c:
        found = json_of(await c.call_tool("jaeger_get_traces", {"service": "frontend"}))
        assert found["total"] == len(recent_frontend) >= 3
        assert {t["trace_id"] for t in found["traces"]} == {t["traceID"] for t in recent_frontend}
        starts = [t["start"] for t in found["traces"]]
        assert starts == sorted(starts, reverse=True)
        one = json_of(await c.call_tool("jaeger_get_traces", {"service": "frontend", "limit": 1}))
        assert one["returned"] == one["total"] == 1  # the limit reaches Jaeger, which applies it
        assert one["traces"][0]["trace_id"] in {t["trace_id"] for t in found["traces"]}
        slow = json_of(await c.call_tool("jaeger_get_traces", {"service": "frontend", "min_duration": "500ms"}))
        assert slow["traces"] and all(t["duration_ms"] >= 500 for t in slow["traces"])
        fast = json_of(await c.call_tool("jaeger_get_traces", {"service": "frontend", "max_duration": "0.1s"}))
        assert fast["traces"] and all(t["duration_ms"] <= 100 for t in fast["traces"])
        op = json_of(await c.call_tool("jaeger_get_traces", {"service": "frontend", "operation": "HTTP POST /checkout"}))
        assert op["total"] == 2 and {t["root_operation"] for t in op["traces"]} == {"HTTP POST /checkout"}
        recent = json_of(await c.call_tool("jaeger_get_traces", {"service": "frontend", "start_time": "now-2m"}))
        assert [t["root_operation"] for t in recent["traces"]] == ["HTTP GET /"]
        rfc = (datetime.now(timezone.utc) - timedelta(minutes=2)).isoformat()
        same = json_of(await c.call_tool("jaeger_get_traces", {"service": "frontend", "start_time": rfc}))
        assert [t["trace_id"] for t in same["traces"]] == [t["trace_id"] for t in recent["traces"]]
        old = json_of(await c.call_tool("jaeger_get_traces", {"service": "batch-worker"}))
        assert old["total"] == 0
        week = str(int((datetime.now(timezone.utc) - timedelta(days=7)).timestamp() * 1000))
        old = json_of(await c.call_tool("jaeger_get_traces", {"service": "batch-worker", "start_time": week}))
        assert old["total"] == 1 and old["traces"][0]["duration_ms"] == 2000
        errors = json_of(await c.call_tool("jaeger_search_traces", {"service": "frontend", "tags": {"error": True}}))
        assert errors["total"] == 1 and errors["traces"][0]["error_spans"] > 0
        by_code = json_of(await c.call_tool("jaeger_search_traces", {"service": "frontend", "tags": {"http.status_code": 500}}))
        assert [t["trace_id"] for t in by_code["traces"]] == [t["trace_id"] for t in errors["traces"]]
        by_host = json_of(await c.call_tool("jaeger_search_traces", {"service": "catalog", "tags": {"hostname": "catalog-7d9f8"}}))
        assert by_host["total"] == 1
        raw = json_of(await c.call_tool("jaeger_search_traces", {"service": "frontend", "tags": {"error": "true"}, "raw": True}))
        assert raw["traces"][0]["spans"] and raw["traces"][0]["processes"]
        table = json_of(await c.call_tool("jaeger_get_traces_summary", {"service": "frontend"}))
        assert table["columns"][0] == "trace_id" and len(table["rows"]) == found["total"]
        for row in table["rows"]:
            trace = next(t for t in traces if t["traceID"] == row[0])
            assert row[4] == duration_ms(trace) and row[5] == len(trace["spans"])


async def test_tool_schemas_follow_the_reference(jg):
    async with jg() as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert set(tools) == {f"jaeger_{n}" for n in (
            "get_traces", "get_trace", "get_services", "get_service_ops", "search_traces",
            "get_dependencies", "get_traces_summary", "get_services_summary")}
        params = {n: set(t.input_schema.get("properties", {})) for n, t in tools.items()}
        common = {"service", "operation", "start_time", "end_time", "limit", "min_duration", "max_duration"}
        assert common <= params["jaeger_get_traces"] and "tags" not in params["jaeger_get_traces"]
        assert common | {"tags"} <= params["jaeger_search_traces"]
        assert {"trace_id"} <= params["jaeger_get_trace"] and {"start_time", "end_time"} <= params["jaeger_get_dependencies"]
        assert all(t.annotations.read_only_hint for t in tools.values())


async def test_trace_argument_errors(jg):
    async with jg() as c:
        cases = [
            ("jaeger_get_traces", {"service": ""}, "`service` must not be empty"),
            ("jaeger_get_traces", {"service": "frontend", "limit": 101}, "from 1 to 100"),
            ("jaeger_get_traces", {"service": "frontend", "min_duration": "soon"}, "`min_duration` must be a duration"),
            ("jaeger_get_traces", {"service": "frontend", "min_duration": "2s", "max_duration": "1s"}, "must not be greater"),
            ("jaeger_get_traces", {"service": "frontend", "start_time": "yesterday"}, "`start_time` must be an RFC 3339 time"),
            ("jaeger_get_traces", {"service": "frontend", "start_time": "now", "end_time": "now-1h"}, "must be before"),
            ("jaeger_get_traces", {"service": "frontend", "tags": {"error": "true"}}, "use search_traces"),
            ("jaeger_search_traces", {"service": "frontend", "tags": ["error"]}, "`tags` must be an object"),
            ("jaeger_search_traces", {"service": "frontend", "tags": {"a": {"b": 1}}}, "tag `a` must have"),
            ("jaeger_get_trace", {"trace_id": "not-hex"}, "`trace_id` must be up to 32 hex digits"),
        ]
        for tool, args, expected in cases:
            r = await c.call_tool(tool, args)
            assert r.is_error and expected in text_of(r), (tool, args, text_of(r))


async def test_trace_analysis_and_critical_path(jg, stub):
    trace = next(t for t in all_traces(stub) if len(t["spans"]) == 5)
    spans = {s["spanID"]: s for s in trace["spans"]}
    async with jg() as c:
        a = json_of(await c.call_tool("jaeger_get_trace", {"trace_id": trace["traceID"].upper()}))
        assert a["trace_id"] == trace["traceID"] and a["spans"] == 5 and a["duration_ms"] == duration_ms(trace)
        assert {s["service"] for s in a["services"]} == services_of(trace)
        assert len(a["span_table"]) == 5 and a["span_table"][0]["parent_id"] is None
        # Self time: a span's duration minus what its children cover.
        for row in a["span_table"]:
            s = spans[row["span_id"]]
            kids = [k for k in trace["spans"] if any(r["spanID"] == s["spanID"] for r in k["references"])]
            covered = sum(k["duration"] for k in kids)  # the built-in children do not overlap
            assert row["self_ms"] == (s["duration"] - covered) / 1000
        slowest = a["slowest_spans"]
        assert [r["self_ms"] for r in slowest] == sorted((r["self_ms"] for r in slowest), reverse=True)
        path = a["critical_path"]
        assert sum(c["on_path_ms"] for c in path["contributors"]) == pytest.approx(a["duration_ms"])
        assert sum(s["duration_ms"] for s in path["segments"]) == pytest.approx(a["duration_ms"])
        top = path["contributors"][0]
        assert top["span_id"] == slowest[0]["span_id"] and top["percent"] == round(100 * top["on_path_ms"] / a["duration_ms"], 1)
        offsets = [s["start_offset_ms"] for s in path["segments"]]
        assert offsets == sorted(offsets) and offsets[0] == 0
        raw = json_of(await c.call_tool("jaeger_get_trace", {"trace_id": trace["traceID"], "raw": True}))
        assert raw == trace
        padded = json_of(await c.call_tool("jaeger_get_trace", {"trace_id": "0000000000000000a1b2c3d4e5f60718"}))
        assert padded["spans"] == 2
        missing = await c.call_tool("jaeger_get_trace", {"trace_id": "deadbeef"})
        assert missing.is_error and "not found" in text_of(missing) and "HTTP 404" in text_of(missing)


async def test_dependencies_use_end_ts_and_lookback(jg, stub):
    async with jg() as c:
        day = json_of(await c.call_tool("jaeger_get_dependencies", {}))
        edges = {(e["parent"], e["child"]): e["call_count"] for e in day["dependencies"]}
        assert edges[("frontend", "api-gateway")] == 2 and ("batch-worker", "object-store") not in edges
        assert day["total"] == len(day["dependencies"])
        counts = [e["call_count"] for e in day["dependencies"]]
        assert counts == sorted(counts, reverse=True)
        week = json_of(await c.call_tool("jaeger_get_dependencies", {"start_time": "now-4d"}))
        assert ("batch-worker", "object-store") in {(e["parent"], e["child"]) for e in week["dependencies"]}
        assert "batch-worker" in week["services"] and "batch-worker" not in day["services"]
        past = json_of(await c.call_tool("jaeger_get_dependencies", {"start_time": "now-4d", "end_time": "now-2d"}))
        assert [(e["parent"], e["child"]) for e in past["dependencies"]] == [("batch-worker", "object-store")]
        capped = json_of(await c.call_tool("jaeger_get_dependencies", {"limit": 1}))
        assert len(capped["dependencies"]) == 1 and capped["total"] == day["total"]


async def test_backend_errors(jg, stub, stub_service):
    dead = f"http://127.0.0.1:{free_port()}"
    async with jg(dead) as c:
        r = await c.call_tool("jaeger_get_services", {})
        assert r.is_error and "jaeger at" in text_of(r) and "unreachable" in text_of(r)
    async with jg(stub + "/nothing") as c:
        r = await c.call_tool("jaeger_get_services", {})
        assert r.is_error and "HTTP 404" in text_of(r)
    async with stub_service.client() as c:
        r = await c.call_tool("jaeger_get_services", {})
        assert r.is_error and "MCP_JAEGER_ADDRESS" in text_of(r)
    async with stub_service.client(MCP_JAEGER_ADDRESS=stub, MCP_JAEGER_ENABLED="false") as c:
        r = await c.call_tool("jaeger_get_services", {})
        assert r.is_error and "jaeger is disabled" in text_of(r)


def test_stub_speaks_the_query_service_error_envelope(stub):
    """The stub's errors are the query service's: HTTP status plus
    `{data: null, errors: [{code, msg}]}` (what the component reads)."""
    import urllib.error

    def error(path: str, **params):
        with pytest.raises(urllib.error.HTTPError) as e:
            direct(stub, path, **params)
        return e.value.code, json.loads(e.value.read())

    code, body = error("/api/traces")
    assert code == 400 and body["data"] is None and body["errors"] == [{"code": 400, "msg": "parameter 'service' is required"}]
    code, body = error("/api/traces", service="frontend", minDuration="fast")
    assert code == 400 and "unable to parse param 'minDuration'" in body["errors"][0]["msg"]
    code, body = error("/api/dependencies", endTs="yesterday")
    assert code == 400 and "unable to parse param 'endTs'" in body["errors"][0]["msg"]
    code, body = error("/api/traces/ffffffff")
    assert code == 404 and body["errors"][0]["msg"] == "trace not found"
    ok = direct(stub, "/api/services")
    assert ok["errors"] is None and ok["total"] == len(ok["data"])
