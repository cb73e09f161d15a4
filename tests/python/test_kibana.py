"""The kibana component against the Kibana REST API stub
(tests/stubs/src/bin/kibana: no real Kibana is installable here), configured
the way users of the Go server configure it (MCP_KIBANA_URL,
MCP_KIBANA_API_KEY or MCP_KIBANA_USERNAME/PASSWORD, MCP_KIBANA_SPACE) and
driven over stdio by the Python MCP SDK. Each test gets a fresh stub, so
state changes of one test never leak into another."""

from __future__ import annotations

import base64
import os

import pytest

from support import stubs
from support.mcp import text_of
from support.runtime import free_port

pytestmark = pytest.mark.anyio
SERVICE = "kibana"

API_KEY = "c3R1Yi1raWJhbmEta2V5OnN0dWItc2VjcmV0"  # what the stub accepts
USERNAME, PASSWORD = "elastic", "stub-kibana-password"

REFERENCE_TOOLS = {
    "get_spaces", "get_space", "get_index_patterns", "get_dashboards", "get_dashboard", "get_visualizations",
    "search_saved_objects", "test_connection", "get_visualization", "get_index_pattern", "get_saved_searches",
    "dashboards_summary", "visualizations_summary", "index_patterns_summary", "get_saved_search", "get_status",
    "spaces_summary", "dashboards_paginated", "visualizations_paginated", "search_saved_objects_advanced",
    "get_dashboard_detail_advanced", "health_summary", "query_logs", "get_canvas_workpads", "get_lens_objects",
    "get_maps", "get_alerts", "get_index_pattern_fields", "create_space", "update_space", "delete_space",
    "create_index_pattern", "update_index_pattern", "delete_index_pattern", "set_default_index_pattern",
    "refresh_index_pattern_fields", "create_dashboard", "update_dashboard", "delete_dashboard", "clone_dashboard",
    "create_visualization", "update_visualization", "delete_visualization", "clone_visualization",
    "create_saved_object", "update_saved_object", "delete_saved_object", "bulk_delete_saved_objects",
    "export_saved_objects", "import_saved_objects", "get_alert_rules", "get_alert_rule", "create_alert_rule",
    "update_alert_rule", "delete_alert_rule", "enable_alert_rule", "disable_alert_rule", "mute_alert_rule",
    "unmute_alert_rule", "get_alert_rule_types", "get_alert_rule_history", "get_connectors", "get_connector",
    "create_connector", "update_connector", "delete_connector", "test_connector", "get_connector_types",
    "get_data_views", "get_data_view", "create_data_view", "update_data_view", "delete_data_view",
}
# Tools that change Kibana (or run a connector); export only reads.
WRITE_TOOLS = {n for n in REFERENCE_TOOLS if n.split("_")[0] in {
    "create", "update", "delete", "set", "refresh", "clone", "bulk", "import", "enable", "disable", "mute",
    "unmute", "test"}} - {"test_connection"}
REQUIRED = {
    "get_space": {"space_id"}, "get_dashboard": {"dashboard_id"}, "get_index_pattern_fields": {"patternID"},
    "create_space": {"id", "name"}, "delete_space": {"space_id"}, "create_index_pattern": {"title"},
    "clone_dashboard": {"dashboard_id", "new_title"}, "create_saved_object": {"type", "attributes"},
    "update_saved_object": {"type", "object_id"}, "bulk_delete_saved_objects": {"objects"},
    "export_saved_objects": {"objects"}, "import_saved_objects": {"file"},
    "create_alert_rule": {"name", "alertTypeId", "schedule"}, "mute_alert_rule": {"rule_id", "duration"},
    "create_connector": {"name", "connectorTypeId"}, "test_connector": {"connector_id"},
    "create_data_view": {"title"}, "get_alert_rule_history": {"rule_id"}, "query_logs": set(),
}


@pytest.fixture
def kb(stub_service, stub):
    """Open an MCP client whose kibana component points at this test's stub
    (API key unless other variables are given)."""
    return stub_service.opener(MCP_KIBANA_URL=stub, MCP_KIBANA_API_KEY=API_KEY)


class Recorder(stubs.Recorder):
    service = SERVICE


def ids(listing: dict, key: str = "saved_objects") -> list[str]:
    return [o["id"] for o in listing[key]]


async def test_lists_the_73_reference_tools_with_annotations_and_parameters(kb):
    async with kb() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    names = {n.removeprefix("kibana_") for n in tools if n.startswith("kibana_")}
    assert names == REFERENCE_TOOLS and len(REFERENCE_TOOLS) == 73
    for name in names:
        assert tools[f"kibana_{name}"].annotations.read_only_hint is (name not in WRITE_TOOLS), name
    for name in ("delete_dashboard", "delete_space", "bulk_delete_saved_objects", "import_saved_objects"):
        assert tools[f"kibana_{name}"].annotations.destructive_hint is True, name
    for name, required in REQUIRED.items():
        assert set(tools[f"kibana_{name}"].input_schema.get("required", [])) == required, name
    logs = tools["kibana_query_logs"].input_schema["properties"]
    assert {"indexPattern", "query", "size", "sortBy", "sortOrder", "timeFrom", "timeTo"} <= set(logs)
    assert {"space", "page", "per_page"} <= set(tools["kibana_get_dashboards"].input_schema["properties"])


# (tool, arguments, check on the structured result) over the stub's seed data.
READS = [
    ("get_spaces", {}, lambda r: {"default", "ops"} == set(ids(r, "spaces")) and r["total"] == 2),
    ("get_space", {"space_id": "ops"}, lambda r: r["name"] == "Operations" and r["disabledFeatures"] == ["canvas"]),
    ("spaces_summary", {"limit": 1}, lambda r: r["count"] == 1 and r["truncated"] and r["total"] == 2),
    ("get_index_patterns", {}, lambda r: {o["title"] for o in r["saved_objects"]} == {"logs-*", "metrics-*"}),
    ("index_patterns_summary", {"per_page": 1}, lambda r: r["count"] == 1 and r["total"] == 2),
    ("get_index_pattern", {"index_pattern_id": "logs-dv"}, lambda r: r["attributes"]["timeFieldName"] == "@timestamp"),
    ("get_index_pattern_fields", {"patternID": "logs-dv", "search": "level"},
     lambda r: [f["name"] for f in r["fields"]] == ["log.level"] and r["total"] == 1),
    ("get_dashboards", {}, lambda r: set(ids(r)) == {"dash-overview", "dash-api", "dash-web"}),
    ("get_dashboard", {"dashboard_id": "dash-overview"}, lambda r: r["attributes"]["title"] == "Service overview"),
    ("dashboards_summary", {"per_page": 2}, lambda r: r["count"] == 2 and r["total"] == 3 and r["has_more"]),
    ("dashboards_paginated", {"search": "service", "include_description": True},
     lambda r: ids(r) == ["dash-overview"] and "Errors" in r["saved_objects"][0]["description"]),
    ("get_dashboard_detail_advanced", {"dashboard_id": "dash-overview"},
     lambda r: r["panel_count"] == 2 and r["panels"][0]["ref_id"] == "vis-errors" and r["panels"][0]["title"] == "Errors"
     and r["time"]["timeFrom"] == "now-24h" and "uiState" not in r),
    ("get_dashboard_detail_advanced", {"dashboard_id": "dash-overview", "include_ui_state": True, "include_panels": False},
     lambda r: r["options"]["useMargins"] is True and "panels" not in r),
    ("get_dashboard_detail_advanced", {"dashboard_id": "dash-overview", "output_format": "summary"},
     lambda r: r["panel_titles"] == ["Errors", None] and "time" not in r),
    ("get_visualizations", {}, lambda r: set(ids(r)) == {"vis-errors", "vis-levels"}),
    ("get_visualization", {"visualization_id": "vis-levels"}, lambda r: '"pie"' in r["attributes"]["visState"]),
    ("visualizations_summary", {}, lambda r: r["count"] == 2),
    ("visualizations_paginated", {"type": "pie"},
     lambda r: ids(r) == ["vis-levels"] and r["saved_objects"][0]["vis_type"] == "pie" and r["filtered_out"] == 1),
    ("get_saved_searches", {}, lambda r: ids(r) == ["search-errors"]),
    ("get_saved_search", {"search_id": "search-errors"}, lambda r: r["attributes"]["title"] == "All errors"),
    ("get_canvas_workpads", {}, lambda r: ids(r) == ["workpad-status"]),
    ("get_lens_objects", {}, lambda r: ids(r) == ["lens-cpu"]),
    ("get_maps", {"raw": True}, lambda r: r["saved_objects"][0]["attributes"]["layerListJSON"] == "[]"),
    ("search_saved_objects", {"type": "dashboard", "search": "web*"}, lambda r: ids(r) == ["dash-web"]),
    ("search_saved_objects", {"search": "log"}, lambda r: {"vis-levels", "logs-dv"} <= set(ids(r))),
    ("search_saved_objects_advanced", {"type": "dashboard", "sort_order": "desc"},
     lambda r: [o["title"] for o in r["saved_objects"]] == ["Web traffic", "Service overview", "API latency"]),
    ("search_saved_objects_advanced", {"has_reference": "visualization:vis-errors"}, lambda r: ids(r) == ["dash-overview"]),
    ("search_saved_objects_advanced", {"type": "visualization", "fields": ["title"], "raw": True},
     lambda r: all(set(o["attributes"]) == {"title"} for o in r["saved_objects"])),
    ("get_status", {}, lambda r: r["version"]["number"] == "8.19.0"
     and [p["plugin"] for p in r["plugins"]["not_available"]] == ["reporting"]),
    ("test_connection", {}, lambda r: r["connected"] and r["version"] == "8.19.0" and r["space"] == "default"),
    ("health_summary", {}, lambda r: r["healthy"] is False and r["elasticsearch"] == "available" and "plugins" not in r),
    ("health_summary", {"level": "detailed", "include_saved_objects": True},
     lambda r: r["plugins"]["by_level"] == {"available": 3, "degraded": 1} and r["saved_objects"]["counts"]["dashboard"] == 3),
    ("get_alert_rules", {}, lambda r: r["total"] == 2 and {x["name"] for x in r["rules"]} == {"High CPU", "Error spike"}),
    ("get_alert_rules", {"enabled": True}, lambda r: ids(r, "rules") == ["rule-cpu"]),
    ("get_alert_rules", {"filter": 'alert.attributes.tags:"app"'}, lambda r: ids(r, "rules") == ["rule-errors"]),
    ("get_alert_rule", {"rule_id": "rule-cpu"}, lambda r: r["schedule"]["interval"] == "1m" and r["actions"][0]["id"] == "log-connector"),
    ("get_alert_rule_types", {}, lambda r: {".index-threshold", ".es-query"} == set(ids(r, "rule_types"))),
    ("get_alert_rule_history", {"rule_id": "rule-cpu", "per_page": 10, "page": 3},
     lambda r: r["total"] == 25 and r["count"] == 5 and r["runs"][0]["timestamp"] > r["runs"][-1]["timestamp"]),
    ("get_alerts", {}, lambda r: r["total"] == 2 and {a["alertTypeId"] for a in r["alerts"]} == {".index-threshold"}),
    ("get_connectors", {}, lambda r: ids(r, "connectors") == ["log-connector"] and r["connectors"][0]["referenced_by_count"] == 2),
    ("get_connector", {"connector_id": "log-connector"}, lambda r: r["connector_type_id"] == ".server-log"),
    ("get_connector_types", {}, lambda r: ".webhook" in ids(r, "connector_types")),
    ("get_data_views", {"per_page": 1, "page": 2}, lambda r: r["total"] == 2 and r["count"] == 1),
    ("get_data_view", {"data_view_id": "logs-dv"},
     lambda r: r["field_count"] == 5 and "fields" not in r and "@timestamp" in r["field_names"]),
    ("get_data_view", {"data_view_id": "logs-dv", "include_fields": True}, lambda r: r["fields"]["message"]["aggregatable"] is False),
]


async def test_every_read_tool_against_the_seed_data(kb):
    async with kb() as client:
        rec = Recorder(client)
        for name, args, check in READS:
            result = await rec.ok(name, args)
            assert check(result), f"{name} {args}: {result}"
    rec.assert_no_secrets(API_KEY)


async def test_saved_object_lifecycle_with_versions_and_bulk_delete(kb):
    async with kb() as client:
        rec = Recorder(client)
        made = await rec.ok("create_saved_object", {"type": "tag", "attributes": {"name": "prod", "color": "#ff0000"}})
        tag = made["id"]
        assert made["title"] == "prod" and made["space"] == "default"
        dup = await rec.error("create_saved_object", {"type": "tag", "id": tag, "attributes": {"name": "x"}})
        assert "conflict" in dup and "409" in dup
        found = await rec.ok("search_saved_objects", {"type": "tag", "raw": True})
        version = found["saved_objects"][0]["version"]
        updated = await rec.ok("update_saved_object", {"type": "tag", "object_id": tag, "attributes": {"color": "#00ff00"}, "version": version})
        assert updated["version"] != version
        stale = await rec.error("update_saved_object", {"type": "tag", "object_id": tag, "attributes": {"color": "#000"}, "version": version})
        assert "conflict" in stale
        found = await rec.ok("search_saved_objects", {"type": "tag", "raw": True})
        assert found["saved_objects"][0]["attributes"] == {"name": "prod", "color": "#00ff00"}
        assert (await rec.ok("delete_saved_object", {"type": "tag", "object_id": tag}))["deleted"] is True
        gone = await rec.error("delete_saved_object", {"type": "tag", "object_id": tag})
        assert "not found" in gone and f"[tag/{tag}]" in gone
        bad_type = await rec.error("create_saved_object", {"type": "nosuchtype", "attributes": {"a": 1}})
        assert "Unsupported saved object type" in bad_type
        bulk = await rec.ok("bulk_delete_saved_objects", {"objects": [{"type": "lens", "id": "lens-cpu"}, {"type": "map", "id": "nope"}]})
        assert bulk["deleted"] == 1 and bulk["failed"] == 1
        assert (await rec.ok("get_lens_objects"))["total"] == 0
        assert "at least one" in await rec.error("bulk_delete_saved_objects", {"objects": []})
    rec.assert_no_secrets(API_KEY)


async def test_dashboard_and_visualization_lifecycle(kb):
    async with kb() as client:
        rec = Recorder(client)
        dash = await rec.ok("create_dashboard", {"title": "Checkout", "description": "payments", "timeFrom": "now-7d"})
        did = dash["id"]
        got = await rec.ok("get_dashboard", {"dashboard_id": did})
        assert got["attributes"]["timeFrom"] == "now-7d" and got["attributes"]["timeTo"] == "now"
        panels = '[{"panelIndex":"1","gridData":{"x":0,"y":0,"w":10,"h":10,"i":"1"},"type":"visualization","id":"vis-errors","title":"E"}]'
        await rec.ok("update_dashboard", {"dashboard_id": did, "panelsJSON": panels, "title": "Checkout v2"})
        detail = await rec.ok("get_dashboard_detail_advanced", {"dashboard_id": did})
        assert detail["title"] == "Checkout v2" and detail["panel_count"] == 1 and detail["panels"][0]["ref_id"] == "vis-errors"
        assert "JSON array" in await rec.error("update_dashboard", {"dashboard_id": did, "panelsJSON": "{oops"})
        assert "nothing to update" in await rec.error("update_dashboard", {"dashboard_id": did})
        copy = await rec.ok("clone_dashboard", {"dashboard_id": did, "new_title": "Checkout copy"})
        assert copy["id"] != did and (await rec.ok("get_dashboard", {"dashboard_id": copy["id"]}))["attributes"]["panelsJSON"] == panels
        for d in (did, copy["id"]):
            await rec.ok("delete_dashboard", {"dashboard_id": d})
        assert "not found" in await rec.error("get_dashboard", {"dashboard_id": did})
        assert (await rec.ok("get_dashboards"))["total"] == 3

        vis = await rec.ok("create_visualization", {"title": "Latency", "visState": {"type": "line", "params": {}, "aggs": []},
                                                   "savedSearchId": "search-errors"})
        vid = vis["id"]
        stored = await rec.ok("get_visualization", {"visualization_id": vid})
        assert stored["references"] == [{"name": "search_0", "type": "search", "id": "search-errors"}]
        await rec.ok("update_visualization", {"visualization_id": vid, "visState": {"type": "area", "params": {}, "aggs": []}})
        paged = await rec.ok("visualizations_paginated", {"type": "area"})
        assert ids(paged) == [vid]
        clone = await rec.ok("clone_visualization", {"visualization_id": vid, "new_title": "Latency copy"})
        assert clone["title"] == "Latency copy"
        for v in (vid, clone["id"]):
            await rec.ok("delete_visualization", {"visualization_id": v})
        assert "not found" in await rec.error("clone_visualization", {"visualization_id": vid, "new_title": "x"})
        assert "must be a JSON object" in await rec.error("create_visualization", {"title": "x", "visState": "[1]"})
    rec.assert_no_secrets(API_KEY)


async def test_export_then_import_into_another_space(kb):
    async with kb() as client:
        rec = Recorder(client)
        export = await rec.ok("export_saved_objects", {"objects": [{"type": "dashboard", "id": "dash-overview"}]})
        assert {(o["type"], o["id"]) for o in export["objects"]} == {
            ("dashboard", "dash-overview"), ("visualization", "vis-errors"), ("visualization", "vis-levels"),
            ("index-pattern", "logs-dv")}
        assert export["details"]["exportedCount"] == 4 and export["ndjson"].count("\n") == 5
        shallow = await rec.ok("export_saved_objects", {"objects": [{"type": "dashboard", "id": "dash-overview"}], "includeReferences": False})
        assert shallow["count"] == 1
        assert "Error fetching" in await rec.error("export_saved_objects", {"objects": [{"type": "dashboard", "id": "missing"}]})
        imported = await rec.ok("import_saved_objects", {"file": export["ndjson"], "space": "ops"})
        assert imported["success"] is True and imported["successCount"] == 4 and imported["space"] == "ops"
        again = await rec.ok("import_saved_objects", {"file": export["ndjson"], "space": "ops"})
        assert again["success"] is False and {e["error"]["type"] for e in again["errors"]} == {"conflict"}
        copies = await rec.ok("import_saved_objects", {"file": export["ndjson"], "space": "ops", "createNewCopies": True})
        assert copies["successCount"] == 4 and all(r["destinationId"] != r["id"] for r in copies["successResults"])
        ops = await rec.ok("get_dashboards", {"space": "ops"})
        assert ops["total"] == 3 and "dash-overview" in ids(ops)
        assert "cannot be combined" in await rec.error("import_saved_objects", {"file": export["ndjson"], "overwrite": True, "createNewCopies": True})
        assert "line 1 is not a JSON object" in await rec.error("import_saved_objects", {"file": "not json"})
        big = await rec.ok("create_saved_object", {"type": "query", "attributes": {"title": "big", "description": "x" * 1_100_000}})
        too_big = await rec.error("export_saved_objects", {"objects": [{"type": "query", "id": big["id"]}]})
        assert "larger than 1048576 bytes" in too_big and "ask for less" in too_big
    rec.assert_no_secrets(API_KEY)


async def test_index_patterns_and_data_views_lifecycle(kb):
    async with kb() as client:
        rec = Recorder(client)
        ip = await rec.ok("create_index_pattern", {"title": "logs-app*", "timeField": "@timestamp", "fieldFormatMap": {"bytes": {"id": "bytes"}}})
        pid = ip["id"]
        await rec.ok("update_index_pattern", {"index_pattern_id": pid, "title": "logs-*app"})
        stored = await rec.ok("get_index_pattern", {"index_pattern_id": pid})
        assert stored["attributes"]["title"] == "logs-*app" and '"bytes"' in stored["attributes"]["fieldFormatMap"]
        assert (await rec.ok("set_default_index_pattern", {"index_pattern_id": pid}))["acknowledged"] is True
        assert "not found" in await rec.error("set_default_index_pattern", {"index_pattern_id": "nope"})
        refreshed = await rec.ok("refresh_index_pattern_fields", {"index_pattern_id": pid})
        assert refreshed["field_count"] == 5 and "message" in refreshed["fields"]
        await rec.ok("delete_index_pattern", {"index_pattern_id": pid})
        assert "not found" in await rec.error("get_index_pattern_fields", {"patternID": pid})

        dv = await rec.ok("create_data_view", {"title": "metrics-app*", "name": "App metrics", "timeField": "ts", "allowNoIndex": True})
        view = await rec.ok("get_data_view", {"data_view_id": dv["id"]})
        assert view["name"] == "App metrics" and view["timeFieldName"] == "ts" and view["field_count"] == 0
        dup = await rec.error("create_data_view", {"title": "metrics-app*"})
        assert "Duplicate data view" in dup
        await rec.ok("update_data_view", {"data_view_id": dv["id"], "name": "Renamed", "timeField": "@timestamp"})
        assert (await rec.ok("get_data_view", {"data_view_id": dv["id"]}))["name"] == "Renamed"
        assert (await rec.ok("get_data_views"))["total"] == 3
        await rec.ok("delete_data_view", {"data_view_id": dv["id"]})
        assert "not found" in await rec.error("get_data_view", {"data_view_id": dv["id"]})
        assert "nothing to update" in await rec.error("update_data_view", {"data_view_id": "logs-dv"})
    rec.assert_no_secrets(API_KEY)


async def test_spaces_lifecycle_and_space_scoped_calls(kb):
    async with kb() as client:
        rec = Recorder(client)
        made = await rec.ok("create_space", {"id": "team-a", "name": "Team A", "initials": "TA", "disabledFeatures": ["dev_tools"]})
        assert made["id"] == "team-a" and made["disabledFeatures"] == ["dev_tools"]
        assert "already exists" in await rec.error("create_space", {"id": "team-a", "name": "again"})
        assert "space identifier" in await rec.error("create_space", {"id": "Team B", "name": "bad"})
        assert "at most 2" in await rec.error("create_space", {"id": "team-b", "name": "b", "initials": "ABC"})
        updated = await rec.ok("update_space", {"space_id": "team-a", "description": "first team"})
        assert updated["name"] == "Team A" and updated["description"] == "first team"
        dash = await rec.ok("create_dashboard", {"title": "Team board", "space": "team-a"})
        assert dash["space"] == "team-a"
        assert ids(await rec.ok("get_dashboards", {"space": "team-a"})) == [dash["id"]]
        assert dash["id"] not in ids(await rec.ok("get_dashboards"))
        refused = await rec.error("delete_space", {"space_id": "team-a"})
        assert "still holds 1 saved object" in refused and "force=true" in refused
        assert (await rec.ok("delete_space", {"space_id": "team-a", "force": True}))["deleted"] is True
        assert "not found" in await rec.error("get_space", {"space_id": "team-a"})
        assert "not found" in await rec.error("get_dashboards", {"space": "team-a"})
        assert "reserved" in await rec.error("delete_space", {"space_id": "default"})
        assert "reserved" in await rec.error("delete_space", {"space_id": "default", "force": True})


async def test_configured_space_prefixes_calls_and_the_argument_overrides_it(kb, stub):
    async with kb(MCP_KIBANA_URL=stub, MCP_KIBANA_API_KEY=API_KEY, MCP_KIBANA_SPACE="ops") as client:
        rec = Recorder(client)
        ops = await rec.ok("get_dashboards")
        assert ids(ops) == ["ops-dash"] and ops["space"] == "ops"
        assert ids(await rec.ok("get_dashboards", {"space": "default"})) != ["ops-dash"]
        assert (await rec.ok("get_alert_rules"))["total"] == 0
        assert "not found" in await rec.error("get_dashboard", {"dashboard_id": "dash-overview"})
        made = await rec.ok("create_connector", {"name": "ops hook", "connectorTypeId": ".server-log"})
        assert made["space"] == "ops"
        assert ids(await rec.ok("get_connectors"), "connectors") == [made["connector"]["id"]]
        assert (await rec.ok("test_connection"))["space"] == "ops"
    async with kb(MCP_KIBANA_URL=stub, MCP_KIBANA_API_KEY=API_KEY, MCP_KIBANA_SPACE="Bad Space") as client:
        result = await client.call_tool("kibana_get_dashboards", {})
        assert result.is_error and "MCP_KIBANA_SPACE" in text_of(result)


async def test_alert_rule_lifecycle_with_snooze_and_mute(kb):
    async with kb() as client:
        rec = Recorder(client)
        made = await rec.ok("create_alert_rule", {
            "name": "Disk full", "alertTypeId": ".index-threshold", "schedule": {"interval": "5m"},
            "params": {"index": ["logs-*"]}, "tags": ["infra"],
            "actions": [{"group": "threshold met", "id": "log-connector", "params": {"message": "disk"}}]})
        rid = made["rule"]["id"]
        assert made["rule"]["enabled"] is True and made["rule"]["interval"] == "5m"
        rule = await rec.ok("get_alert_rule", {"rule_id": rid})
        assert rule["actions"][0]["connector_type_id"] == ".server-log" and rule["consumer"] == "alerts"
        assert rule["actions"][0]["frequency"]["notify_when"] == "onActionGroupChange"
        updated = await rec.ok("update_alert_rule", {"rule_id": rid, "name": "Disk almost full", "schedule": "10m"})
        assert updated["rule"]["name"] == "Disk almost full" and updated["rule"]["interval"] == "10m"
        rule = await rec.ok("get_alert_rule", {"rule_id": rid})
        assert rule["params"] == {"index": ["logs-*"]} and rule["tags"] == ["infra"] and rule["revision"] == 1
        assert (await rec.ok("disable_alert_rule", {"rule_id": rid}))["enabled"] is False
        assert (await rec.ok("get_alert_rule", {"rule_id": rid}))["enabled"] is False
        await rec.ok("enable_alert_rule", {"rule_id": rid})
        assert (await rec.ok("get_alert_rule", {"rule_id": rid}))["enabled"] is True
        snoozed = await rec.ok("mute_alert_rule", {"rule_id": rid, "duration": "2h"})
        assert snoozed["snoozed"] is True and snoozed["schedule"]["custom"]["duration"] == "2h"
        rule = await rec.ok("get_alert_rule", {"rule_id": rid})
        assert len(rule["snooze_schedule"]) == 1 and rule["is_snoozed_until"]
        await rec.ok("mute_alert_rule", {"rule_id": rid, "duration": "indefinite"})
        assert (await rec.ok("get_alert_rule", {"rule_id": rid}))["mute_all"] is True
        unmuted = await rec.ok("unmute_alert_rule", {"rule_id": rid})
        assert unmuted["snooze_schedules_removed"] == [snoozed["schedule"]["id"]]
        rule = await rec.ok("get_alert_rule", {"rule_id": rid})
        assert rule["mute_all"] is False and rule["snooze_schedule"] == [] and rule["is_snoozed_until"] is None
        assert "`duration` must be" in await rec.error("mute_alert_rule", {"rule_id": rid, "duration": "soon"})
        assert "`schedule` must be" in await rec.error("update_alert_rule", {"rule_id": rid, "schedule": {"interval": "often"}})
        await rec.ok("delete_alert_rule", {"rule_id": rid})
        assert "not found" in await rec.error("get_alert_rule", {"rule_id": rid})
        assert "not found" in await rec.error("enable_alert_rule", {"rule_id": rid})
        bad_type = await rec.error("create_alert_rule", {"name": "x", "alertTypeId": ".nope", "schedule": {"interval": "1m"}})
        assert 'Rule type ".nope" is not registered' in bad_type
        bad_action = await rec.error("create_alert_rule", {"name": "x", "alertTypeId": ".es-query", "schedule": "1m",
                                                           "actions": [{"group": "query matched", "id": "ghost", "params": {}}]})
        assert "Invalid connectors: ghost" in bad_action
        assert "KQL" in await rec.error("get_alert_rules", {"filter": "not a filter"})
    rec.assert_no_secrets(API_KEY)


async def test_connector_lifecycle_never_shows_secrets(kb):
    secret = "hook-secret-password-123"
    async with kb() as client:
        rec = Recorder(client)
        made = await rec.ok("create_connector", {"name": "Hook", "connectorTypeId": ".webhook",
                                                 "config": {"url": "http://127.0.0.1:9/hook", "method": "post"},
                                                 "secrets": {"user": "u", "password": secret}})
        cid = made["connector"]["id"]
        got = await rec.ok("get_connector", {"connector_id": cid})
        assert got["config"]["url"] == "http://127.0.0.1:9/hook" and "secrets" not in got
        assert "url" in await rec.error("create_connector", {"name": "No url", "connectorTypeId": ".webhook"})
        assert "not registered" in await rec.error("create_connector", {"name": "x", "connectorTypeId": ".pager"})
        await rec.ok("update_connector", {"connector_id": cid, "name": "Hook v2"})
        got = await rec.ok("get_connector", {"connector_id": cid})
        assert got["name"] == "Hook v2" and got["config"]["method"] == "post"
        ran = await rec.ok("test_connector", {"connector_id": cid, "body": {"body": "{\"text\":\"hi\"}"}})
        assert ran["status"] == "ok" and ran["data"]["received"] == {"body": "{\"text\":\"hi\"}"}
        failed = await rec.ok("test_connector", {"connector_id": "log-connector", "body": {}})
        assert failed["status"] == "error" and "[message]" in failed["message"]
        logged = await rec.ok("test_connector", {"connector_id": "log-connector", "body": {"params": {"message": "hello"}}})
        assert logged["status"] == "ok"
        await rec.ok("delete_connector", {"connector_id": cid})
        assert "not found" in await rec.error("get_connector", {"connector_id": cid})
        assert "not found" in await rec.error("test_connector", {"connector_id": cid})
    rec.assert_no_secrets(API_KEY, secret)


async def test_query_logs_time_range_size_cap_and_summary(kb):
    async with kb() as client:
        rec = Recorder(client)
        everything = await rec.ok("query_logs", {"indexPattern": "logs-*"})
        assert everything["total"] == 32 and everything["returned"] == 20
        stamps = [h["timestamp"] for h in everything["hits"]]
        assert stamps == sorted(stamps, reverse=True)
        assert sum(everything["summary"]["levels"].values()) == 20
        assert everything["summary"]["latest"] == stamps[0] and everything["summary"]["earliest"] == stamps[-1]
        long = next(h for h in everything["hits"] if h["message"].startswith("request trace"))
        assert long["message"].endswith("…") and len(long["message"]) == 501
        recent = await rec.ok("query_logs", {"indexPattern": "logs-*", "timeFrom": "now-1h", "size": 100})
        assert 0 < recent["total"] < 30 and recent["returned"] == recent["total"]
        old = await rec.ok("query_logs", {"indexPattern": "logs-app", "timeFrom": "now-5d", "timeTo": "now-2d"})
        assert old["total"] == 2 and all("disk full" in h["message"] for h in old["hits"])
        errors = await rec.ok("query_logs", {"query": "log.level:error AND service.name:api", "size": 100})
        assert errors["total"] > 0 and set(errors["summary"]["levels"]) == {"error"}
        assert all(h["service"] == {"name": "api"} or h["service"] == "api" for h in errors["hits"])
        asc = await rec.ok("query_logs", {"sortOrder": "asc", "size": 3, "raw": True})
        assert [h["_source"]["message"] for h in asc["hits"]][0] == "old incident: disk full"
        capped = await rec.ok("query_logs", {"size": 5000})
        assert capped["size"] == 500 and capped["size_capped"] is True and capped["returned"] == 32
        assert (await rec.ok("query_logs", {"indexPattern": "other-*"}))["total"] == 0
        assert "index_not_found_exception" in await rec.error("query_logs", {"indexPattern": "nosuch"})
        assert "Failed to parse query" in await rec.error("query_logs", {"query": 'message:"unbalanced'})
        assert "not a valid index pattern" in await rec.error("query_logs", {"indexPattern": "../_cluster"})
        assert "`sortOrder` must be" in await rec.error("query_logs", {"sortOrder": "sideways"})


async def test_pagination_is_bounded(kb):
    async with kb() as client:
        rec = Recorder(client)
        pages = [ids(await rec.ok("get_dashboards", {"per_page": 1, "page": p})) for p in (1, 2, 3, 4)]
        assert [len(p) for p in pages] == [1, 1, 1, 0] and len({p[0] for p in pages[:3]}) == 3
        big = await rec.ok("search_saved_objects", {"per_page": 5000})
        assert big["per_page"] == 100
        assert (await rec.ok("get_connectors", {"per_page": 1000}))["per_page"] == 100
        assert "`page` starts at 1" in await rec.error("get_dashboards", {"page": 0})
        assert "`per_page` must be at least 1" in await rec.error("get_alert_rules", {"per_page": 0})
        assert "`limit` must be at least 1" in await rec.error("spaces_summary", {"limit": 0})


async def test_invalid_arguments_and_unknown_ids_are_clear_errors(kb):
    async with kb() as client:
        rec = Recorder(client)
        assert "invalid arguments" in await rec.error("get_dashboard", {})
        assert "`dashboard_id` must not be empty" in await rec.error("get_dashboard", {"dashboard_id": "  "})
        assert "not found" in await rec.error("get_dashboard", {"dashboard_id": "no-such"})
        assert "not found" in await rec.error("get_visualization", {"visualization_id": "../../api/status"})
        assert "not found" in await rec.error("get_connector", {"connector_id": "nope"})
        assert "`output_format` must be" in await rec.error("get_dashboard_detail_advanced", {"dashboard_id": "dash-overview", "output_format": "xml"})
        assert "`level` must be basic or detailed" in await rec.error("health_summary", {"level": "max"})
        assert "`sort_order` must be" in await rec.error("search_saved_objects_advanced", {"sort_order": "up"})
        assert "`has_reference` must be" in await rec.error("search_saved_objects_advanced", {"has_reference": "nocolon"})
        assert "`attributes` must be" in await rec.error("create_saved_object", {"type": "tag", "attributes": []})
        assert "space identifier" in await rec.error("get_dashboards", {"space": "../etc"})
        assert "nothing to update" in await rec.error("update_space", {"space_id": "ops"})


async def test_credentials_basic_auth_and_bad_credentials(kb, stub):
    async with kb(MCP_KIBANA_URL=stub, MCP_KIBANA_USERNAME=USERNAME, MCP_KIBANA_PASSWORD=PASSWORD) as client:
        rec = Recorder(client)
        assert (await rec.ok("test_connection"))["connected"] is True
        assert (await rec.ok("create_dashboard", {"title": "via basic"}))["title"] == "via basic"
    rec.assert_no_secrets(PASSWORD, base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode())
    wrong_key = "d3Jvbmc6a2V5LXRoYXQtaXMtd3Jvbmc="
    async with kb(MCP_KIBANA_URL=stub, MCP_KIBANA_API_KEY=wrong_key) as client:
        rec = Recorder(client)
        message = await rec.error("get_dashboards")
        assert "HTTP 401" in message and "credentials" in message and "MCP_KIBANA_API_KEY" in message
        assert "HTTP 401" in await rec.error("create_space", {"id": "x", "name": "x"})
    rec.assert_no_secrets(wrong_key)
    async with kb(MCP_KIBANA_URL=stub, MCP_KIBANA_USERNAME=USERNAME, MCP_KIBANA_PASSWORD="not-the-password") as client:
        rec = Recorder(client)
        assert "HTTP 401" in await rec.error("get_status")
    rec.assert_no_secrets("not-the-password")
    async with kb(MCP_KIBANA_URL=stub) as client:
        assert "missing authentication credentials" in await Recorder(client).error("get_spaces")


async def test_backend_down_and_not_configured(kb):
    down = f"http://127.0.0.1:{free_port()}"
    async with kb(MCP_KIBANA_URL=down, MCP_KIBANA_API_KEY=API_KEY) as client:
        rec = Recorder(client)
        message = await rec.error("test_connection")
        assert "unreachable" in message and down in message
        assert "unreachable" in await rec.error("create_dashboard", {"title": "x"})
    rec.assert_no_secrets(API_KEY)
    async with kb(PATH=os.environ.get("PATH", "")) as client:
        message = await Recorder(client).error("get_spaces")
        assert "not configured" in message and "MCP_KIBANA_URL" in message


async def test_config_file_settings_and_secrets(stub_service, stub, tmp_path):
    """The config-file route: settings.url and .space, the API key from the environment."""
    config = (
        "[components.kibana]\n"
        f'settings = {{ url = "{stub}", space = "ops" }}\n'
        'secrets = { api_key = "env:KIBANA_TEST_API_KEY" }\n'
    )
    async with stub_service.configured(tmp_path, config, KIBANA_TEST_API_KEY=API_KEY) as client:
        rec = Recorder(client)
        assert ids(await rec.ok("get_dashboards")) == ["ops-dash"]
    rec.assert_no_secrets(API_KEY)


async def test_disabled_by_environment(kb, stub):
    async with kb(MCP_KIBANA_URL=stub, MCP_KIBANA_API_KEY=API_KEY, MCP_KIBANA_ENABLED="false") as client:
        assert "kibana is disabled" in await Recorder(client).error("get_spaces")
