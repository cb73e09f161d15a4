"""The alertmanager component against a real Alertmanager fed by a real
Prometheus (tests/backends/up.sh), configured through MCP_ALERTMANAGER_ADDRESS
and driven over stdio by the Python MCP SDK."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import urllib.request
import uuid

import pytest
from mcp.shared.exceptions import MCPError

from support.mcp import poll as _poll, json_of, stdio_client, text_of

pytestmark = pytest.mark.anyio

TOOLS = {
    "get_status", "get_alerts", "get_alert_groups", "get_silences", "create_silence", "delete_silence",
    "get_receivers", "test_receiver", "query_alerts", "alerts_summary", "silences_summary",
    "alert_groups_paginated", "silences_paginated", "receivers_summary", "query_alerts_advanced", "health_summary",
}
WRITE_TOOLS = {"create_silence", "delete_silence", "test_receiver"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Prometheus evaluates every 2 s and resends every 2 s, but the first
# delivery after a fresh start can take ~10 s.
ALERT_TIMEOUT = 60.0


async def poll(fn, check, timeout=ALERT_TIMEOUT, interval=0.5):
    return await _poll(fn, check, timeout=timeout, interval=interval)


def names(result) -> set[str]:
    return {a["labels"]["alertname"] for a in json_of(result)["alerts"]}


def always_firing(result) -> dict | None:
    if result.is_error:
        return None
    return next((a for a in result.structured_content["alerts"] if a["name"] == "AlwaysFiring"), None)


@pytest.fixture
def am(runtime_bin, components_dir, backend_env):
    assert (components_dir / "alertmanager" / "alertmanager.wasm").exists(), "run scripts/build-components.sh"

    def open_client(*extra, env=backend_env):
        return stdio_client(runtime_bin, components_dir, *extra, env=env)

    return open_client


@pytest.fixture
def synthetic_alerts(backends):
    """Two alerts posted straight to Alertmanager (routed to `default`),
    tagged with a per-test `run` label so queries can isolate them."""
    run = uuid.uuid4().hex[:12]
    now = dt.datetime.now(dt.timezone.utc)
    # Without startsAt, Alertmanager would set it to endsAt (in the future).
    times = {"startsAt": (now - dt.timedelta(minutes=1)).isoformat(), "endsAt": (now + dt.timedelta(minutes=10)).isoformat()}
    alerts = [
        {"labels": {"alertname": "McpTestCritical", "severity": "critical", "run": run}, **times,
         "annotations": {"summary": "critical test alert"}},
        {"labels": {"alertname": "McpTestInfo", "severity": "info", "run": run}, **times},
    ]
    req = urllib.request.Request(
        f"{backends['ALERTMANAGER_URL']}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
    return run


async def test_lists_the_sixteen_tools_with_annotations_and_camel_case_parameters(am):
    async with am() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {f"alertmanager_{n}" for n in TOOLS} <= set(tools)
    for name in TOOLS:
        hints = tools[f"alertmanager_{name}"].annotations
        assert hints.read_only_hint is (name not in WRITE_TOOLS), name
    create = tools["alertmanager_create_silence"]
    assert create.annotations.destructive_hint is True and create.annotations.idempotent_hint is False
    assert set(create.input_schema["required"]) == {"matchers", "endsAt", "comment", "createdBy"}
    assert "startsAt" in create.input_schema["properties"]
    delete = tools["alertmanager_delete_silence"].annotations
    assert delete.destructive_hint is True and delete.idempotent_hint is True
    assert tools["alertmanager_delete_silence"].input_schema["required"] == ["silenceId"]
    assert {"sortBy", "sortOrder"} <= set(tools["alertmanager_query_alerts"].input_schema["properties"])


async def test_status_and_health(am):
    async with am() as client:
        status = json_of(await client.call_tool("alertmanager_get_status", {}))
        basic = json_of(await client.call_tool("alertmanager_health_summary", {}))
        detailed = json_of(await client.call_tool("alertmanager_health_summary", {"level": "detailed", "include_cluster": True}))
        bad = await client.call_tool("alertmanager_health_summary", {"level": "verbose"})
    assert re.match(r"\d+\.\d+", status["versionInfo"]["version"])
    assert status["cluster"]["status"] in {"ready", "settling", "disabled"}
    assert "receivers:" in status["config"]["original"]
    assert basic["version"] == status["versionInfo"]["version"] and basic["reachable"] is True
    assert basic["uptimeSeconds"] >= 0 and basic["cluster"]["status"] == status["cluster"]["status"]
    assert "alerts" not in basic and "peers" not in basic["cluster"]
    assert detailed["level"] == "detailed" and isinstance(detailed["cluster"]["peers"], list)
    assert {"byState", "bySeverity"} <= set(detailed["alerts"]["counts"]) and "byState" in detailed["silences"]
    assert detailed["receivers"] >= 2
    assert bad.is_error and "`level` must be basic or detailed" in text_of(bad)


async def test_always_firing_alert_arrives_with_its_labels_and_receiver(am):
    async with am() as client:
        result = await poll(
            lambda: client.call_tool("alertmanager_alerts_summary", {"filter": 'alertname="AlwaysFiring"'}),
            always_firing,
        )
        alert = always_firing(result)
        assert alert["severity"] == "warning" and alert["receivers"] == ["team-x"]
        assert alert["summary"].startswith("Always-firing alert")
        full = await client.call_tool("alertmanager_get_alerts", {"filters": {"filter": ['alertname="AlwaysFiring"', 'team="x"']}})
        assert names(full) == {"AlwaysFiring"}
        [raw] = json_of(full)["alerts"]
        assert raw["labels"]["team"] == "x" and raw["fingerprint"]
        # The receiver filter is an anchored regex on the receiver name.
        routed = await client.call_tool("alertmanager_get_alerts", {"filters": {"receiver": "team-.*"}})
        assert "AlwaysFiring" in names(routed)
        other = await client.call_tool("alertmanager_query_alerts", {"receiver": "team", "filter": 'alertname="AlwaysFiring"'})
        assert json_of(other)["count"] == 0
        none = await client.call_tool("alertmanager_query_alerts", {"filter": 'alertname="NoSuchAlert"'})
        assert json_of(none)["count"] == 0
        # String booleans are accepted in the free-form filters object.
        hidden = await client.call_tool("alertmanager_get_alerts", {"filters": {"active": "false", "filter": 'alertname="AlwaysFiring"'}})
        assert json_of(hidden)["count"] == 0


async def test_query_alerts_sorts_both_ways_and_advanced_pages(am, synthetic_alerts):
    run = synthetic_alerts
    matcher = f'run="{run}"'
    async with am() as client:
        asc = json_of(await poll(
            lambda: client.call_tool("alertmanager_query_alerts", {"filter": matcher, "sortBy": "severity"}),
            lambda r: not r.is_error and r.structured_content["count"] == 2,
        ))
        desc = json_of(await client.call_tool(
            "alertmanager_query_alerts", {"filter": matcher, "sort_by": "severity", "sort_order": "desc"}))
        by_name = json_of(await client.call_tool(
            "alertmanager_query_alerts", {"filter": matcher, "sortBy": "alertname", "sortOrder": "desc"}))
        assert [a["labels"]["severity"] for a in asc["alerts"]] == ["info", "critical"]
        assert asc["sort"] == {"by": "severity", "order": "asc"}
        assert [a["labels"]["severity"] for a in desc["alerts"]] == ["critical", "info"]
        assert [a["labels"]["alertname"] for a in by_name["alerts"]] == ["McpTestInfo", "McpTestCritical"]

        page1 = json_of(await client.call_tool("alertmanager_query_alerts_advanced", {"filter": matcher, "per_page": 1}))
        page2 = json_of(await client.call_tool(
            "alertmanager_query_alerts_advanced", {"filter": matcher, "per_page": 1, "page": 2, "include_labels": True}))
        assert page1["pagination"]["total"] == 2 and page1["pagination"]["totalPages"] == 2
        assert page1["pagination"]["hasNextPage"] is True and page2["pagination"]["hasNextPage"] is False
        # Default order: most severe first.
        assert page1["alerts"][0]["name"] == "McpTestCritical" and "labels" not in page1["alerts"][0]
        assert page2["alerts"][0]["name"] == "McpTestInfo" and page2["alerts"][0]["labels"]["run"] == run
        assert page1["counts"]["bySeverity"] == {"critical": 1, "info": 1}
        recent = json_of(await client.call_tool("alertmanager_query_alerts_advanced", {"filter": matcher, "time_range": "1h"}))
        assert recent["pagination"]["total"] == 2 and recent["timeRange"]["from"] < recent["timeRange"]["to"]
        old = json_of(await client.call_tool(
            "alertmanager_query_alerts_advanced",
            {"filter": matcher, "time_range": "2000-01-01T00:00:00Z/2000-01-02T00:00:00Z"}))
        assert old["pagination"]["total"] == 0 and old["alerts"] == []

        summary = json_of(await client.call_tool("alertmanager_alerts_summary", {"filter": [matcher], "limit": 1}))
        assert summary["total"] == 2 and summary["returned"] == 1 and summary["truncated"] is True
        assert summary["alerts"][0]["name"] == "McpTestCritical"
        assert summary["counts"]["byAlertname"] == {"McpTestCritical": 1, "McpTestInfo": 1}
        assert summary["counts"]["byReceiver"] == {"default": 2}


async def test_alert_groups_and_receivers(am):
    async with am() as client:
        groups = json_of(await poll(
            lambda: client.call_tool("alertmanager_get_alert_groups", {}),
            lambda r: not r.is_error and any(
                g["receiver"]["name"] == "team-x" and g["alerts"] for g in r.structured_content["groups"]),
        ))
        team_x = next(g for g in groups["groups"] if g["receiver"]["name"] == "team-x")
        assert any(a["labels"]["alertname"] == "AlwaysFiring" for a in team_x["alerts"])

        paged = json_of(await client.call_tool(
            "alertmanager_alert_groups_paginated", {"receiver": "team-x", "per_page": 1, "sort_by": "severity"}))
        assert paged["pagination"]["perPage"] == 1 and paged["count"] == 1
        [group] = paged["groups"]
        assert group["receiver"] == "team-x" and "AlwaysFiring" in group["alertnames"] and group["alertCount"] >= 1
        nobody = json_of(await client.call_tool("alertmanager_alert_groups_paginated", {"receiver": "nobody"}))
        assert nobody["count"] == 0 and nobody["pagination"]["total"] == 0

        receivers = json_of(await client.call_tool("alertmanager_get_receivers", {}))
        assert {r["name"] for r in receivers["receivers"]} == {"default", "team-x"}
        summary = json_of(await client.call_tool("alertmanager_receivers_summary", {"test_info": True}))
        by_name = {r["name"]: r for r in summary["receivers"]}
        assert set(by_name) == {"default", "team-x"} and by_name["team-x"]["alertCount"] >= 1
        # The test configuration's receivers have no integrations.
        assert by_name["default"]["integrations"] == [] and by_name["default"]["testable"] is False
        assert "no" in summary["note"] or "cannot" in summary["note"]


async def test_silence_lifecycle_against_the_always_firing_alert(am):
    tag = f"pytest {uuid.uuid4().hex[:8]}"
    async with am() as client:
        await poll(lambda: client.call_tool("alertmanager_alerts_summary", {"filter": 'alertname="AlwaysFiring"'}), always_firing)
        created = json_of(await client.call_tool("alertmanager_create_silence", {
            "matchers": [{"name": "alertname", "value": "AlwaysFiring"}],
            "endsAt": "1h",
            "comment": f"silenced by {tag}",
            "createdBy": "pytest",
        }))
        sid = created["silenceId"]
        assert UUID.match(sid), created
        assert created["matchers"] == ['alertname="AlwaysFiring"'] and created["duration"] == "1h"
        assert created["matchingAlerts"] >= 1
        try:
            silenced = await poll(
                lambda: client.call_tool("alertmanager_alerts_summary", {"filter": 'alertname="AlwaysFiring"', "silenced": True}),
                lambda r: (a := always_firing(r)) is not None and sid in a.get("silencedBy", []),
            )
            assert always_firing(silenced)["state"] == "suppressed"
            unsilenced = json_of(await client.call_tool(
                "alertmanager_query_alerts", {"silenced": False, "filter": 'alertname="AlwaysFiring"'}))
            assert unsilenced["count"] == 0

            listed = json_of(await client.call_tool("alertmanager_get_silences", {}))
            [mine] = [s for s in listed["silences"] if s["id"] == sid]
            assert mine["status"]["state"] == "active" and mine["createdBy"] == "pytest"
            summary = json_of(await client.call_tool("alertmanager_silences_summary", {"status": "active", "limit": 100}))
            [line] = [s for s in summary["silences"] if s["id"] == sid]
            assert line["state"] == "active" and line["matchers"] == ['alertname="AlwaysFiring"'] and line["endsIn"]
            page = json_of(await client.call_tool(
                "alertmanager_silences_paginated", {"created_by": "PYTEST", "comment_filter": tag.upper()}))
            assert [s["id"] for s in page["silences"]] == [sid] and page["pagination"]["total"] == 1
        finally:
            expired = json_of(await client.call_tool("alertmanager_delete_silence", {"silenceId": sid}))
        assert expired["state"] == "expired" and expired["previousState"] == "active" and expired["alreadyExpired"] is False
        again = json_of(await client.call_tool("alertmanager_delete_silence", {"silenceId": sid}))
        assert again["state"] == "expired" and again["alreadyExpired"] is True
        gone = json_of(await client.call_tool("alertmanager_silences_paginated", {"status": "expired", "comment_filter": tag}))
        assert [s["id"] for s in gone["silences"]] == [sid]
        await poll(
            lambda: client.call_tool("alertmanager_alerts_summary", {"filter": 'alertname="AlwaysFiring"'}),
            lambda r: (a := always_firing(r)) is not None and a["state"] == "active" and "silencedBy" not in a,
        )


async def test_create_silence_accepts_matcher_strings_and_snake_case(am):
    starts = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with am() as client:
        created = json_of(await client.call_tool("alertmanager_create_silence", {
            "matchers": ['alertname="AlwaysFiring"', 'severity=~"warn.*"', 'team!="y"'],
            "starts_at": starts,
            "ends_at": "30m",
            "comment": "string matchers",
            "created_by": "pytest",
        }))
        sid = created["silenceId"]
        try:
            assert created["matchers"] == ['alertname="AlwaysFiring"', 'severity=~"warn.*"', 'team!="y"']
            assert created["startsAt"].startswith(starts[:16]) and created["duration"] == "30m"
            pending = json_of(await client.call_tool("alertmanager_silences_summary", {"status": "pending", "limit": 100}))
            assert sid in {s["id"] for s in pending["silences"]}
        finally:
            expired = json_of(await client.call_tool("alertmanager_delete_silence", {"silence_id": sid}))
        assert expired["previousState"] == "pending" and expired["state"] == "expired"


async def test_bad_input_gives_clear_errors(am):
    past = "2000-01-01T00:00:00Z"
    good = {"matchers": ['alertname="X"'], "endsAt": "1h", "comment": "c", "createdBy": "me"}
    cases = [
        ("alertmanager_create_silence", {**good, "matchers": []}, "at least one matcher"),
        ("alertmanager_create_silence", {**good, "matchers": ["nonsense"]}, "is not a matcher"),
        ("alertmanager_create_silence", {**good, "matchers": [{"value": "x"}]}, "non-empty `name`"),
        ("alertmanager_create_silence", {**good, "matchers": [{"name": "a", "value": "b", "bogus": 1}]}, "unknown key `bogus`"),
        ("alertmanager_create_silence", {**good, "startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z"},
         "must be after `startsAt`"),
        ("alertmanager_create_silence", {**good, "endsAt": past, "startsAt": "1999-01-01T00:00:00Z"}, "in the past"),
        ("alertmanager_create_silence", {**good, "endsAt": "tomorrow"}, "RFC 3339"),
        ("alertmanager_create_silence", {**good, "comment": "  "}, "`comment` must not be empty"),
        ("alertmanager_create_silence", {**good, "createdBy": ""}, "`createdBy` must not be empty"),
        ("alertmanager_create_silence", {k: v for k, v in good.items() if k != "endsAt"}, "missing field `endsAt`"),
        ("alertmanager_delete_silence", {"silenceId": "not-a-uuid"}, "must be a silence UUID"),
        ("alertmanager_delete_silence", {"silenceId": str(uuid.uuid4())}, "no silence with id"),
        ("alertmanager_get_alerts", {"filters": {"state": "active"}}, "unknown filter `state`"),
        ("alertmanager_get_alerts", {"filters": {"active": "maybe"}}, "must be true or false"),
        ("alertmanager_get_alerts", {"filters": {"filter": "not a matcher"}}, "HTTP 400"),
        ("alertmanager_query_alerts", {"sortBy": "colour"}, "`sortBy` must be one of"),
        ("alertmanager_query_alerts", {"sortOrder": "sideways"}, "`sortOrder` must be `asc` or `desc`"),
        ("alertmanager_query_alerts", {"silenced": True, "bogus": 1}, "unknown field `bogus`"),
        ("alertmanager_query_alerts", {"filter": 7}, "must be a matcher string"),
        ("alertmanager_alerts_summary", {"limit": 0}, "from 1 to 100"),
        ("alertmanager_alerts_summary", {"limit": 101}, "from 1 to 100"),
        ("alertmanager_silences_summary", {"status": "sleeping"}, "active, pending or expired"),
        ("alertmanager_silences_paginated", {"per_page": 500}, "`per_page` must be a whole number from 1 to 100"),
        ("alertmanager_silences_paginated", {"page": 1.5}, "`page` must be a whole number"),
        ("alertmanager_silences_paginated", {"page": 100000}, "past the last page"),
        ("alertmanager_alert_groups_paginated", {"sort_by": "colour"}, "`sort_by` must be"),
        ("alertmanager_query_alerts_advanced", {"time_range": "last week"}, "`time_range` must be"),
        ("alertmanager_query_alerts_advanced", {"per_page": 1000}, "from 1 to 100"),
    ]
    async with am() as client:
        for tool, args, expected in cases:
            r = await client.call_tool(tool, args)
            assert r.is_error and expected in text_of(r), (tool, args, text_of(r))


async def test_test_receiver_says_alertmanager_has_no_such_endpoint(am):
    async with am() as client:
        r = await client.call_tool("alertmanager_test_receiver", {"receiver": {"name": "team-x"}})
    assert r.is_error
    assert "no receiver-test endpoint" in text_of(r) and "no test notification was sent" in text_of(r)
    assert "POST /api/v2/alerts" in text_of(r) and "create_silence" in text_of(r)


async def test_read_only_mode_hides_and_refuses_silence_changes(am):
    async with am("--read-only") as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert {f"alertmanager_{n}" for n in WRITE_TOOLS}.isdisjoint(listed)
        assert {f"alertmanager_{n}" for n in TOOLS - WRITE_TOOLS} <= listed
        try:
            r = await client.call_tool("alertmanager_create_silence", {
                "matchers": ['alertname="AlwaysFiring"'], "endsAt": "1h", "comment": "c", "createdBy": "me"})
        except MCPError as e:  # a client may refuse tools it was not offered
            assert "alertmanager_create_silence" in str(e)
        else:
            assert r.is_error and "read-only mode" in text_of(r), text_of(r)
        assert not (await client.call_tool("alertmanager_get_silences", {})).is_error


async def test_unconfigured_backend_is_a_clear_error(am):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_ALERTMANAGER")}
    async with am(env=env) as client:
        r = await client.call_tool("alertmanager_get_status", {})
    assert r.is_error
    assert "alertmanager is not configured" in text_of(r) and "MCP_ALERTMANAGER_ADDRESS" in text_of(r), text_of(r)
