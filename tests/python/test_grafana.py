"""The grafana component against the Grafana API stub (tests/stubs/src/bin/grafana:
no real Grafana is installable here), configured the way users of the Go
server configure it (MCP_GRAFANA_URL, MCP_GRAFANA_API_KEY, ...) and driven
over stdio by the Python MCP SDK. Each test gets a fresh stub, so state
changes of one test never leak into another."""

from __future__ import annotations

import base64
import time

import pytest

from support import stubs
from support.grafana import READS
from support.mcp import json_of, text_of
from support.runtime import free_port

pytestmark = pytest.mark.anyio
SERVICE = "grafana"

TOKEN = "stub-grafana-token"
PASSWORD = "stub-admin-password"

# The reference catalogue: every tool exists under the same name.
REFERENCE_TOOLS = {
    "dashboards", "dashboards_summary", "datasources_summary", "plugins_summary", "dashboard", "datasources",
    "plugins", "folders", "create_folder", "update_folder", "delete_folder", "alerts", "test_connection",
    "search_dashboards", "folder_detail", "datasource_detail", "plugin_detail", "check_datasource_health",
    "current_user", "users", "organization", "list_teams", "list_all_roles", "get_role_details",
    "get_role_assignments", "list_user_roles", "list_team_roles", "get_resource_permissions",
    "get_resource_description", "update_dashboard", "get_dashboard_versions", "get_dashboard_version",
    "restore_dashboard_version", "delete_dashboard", "get_dashboard_panel_queries", "get_dashboard_property",
    "get_alert_rule_by_uid", "create_alert_rule", "update_alert_rule", "delete_alert_rule", "list_contact_points",
    "get_annotations", "create_annotation", "update_annotation", "patch_annotation", "delete_annotation",
    "get_annotation_tags", "generate_deeplink", "generate_logs_drilldown_link", "get_datasource_by_name",
    "render_panel_image", "create_graphite_annotation", "create_datasource", "update_datasource",
    "delete_datasource",
}
EXTRA_TOOLS = {"dashboard_summary", "query_datasource", "datasource_proxy"}
WRITE_TOOLS = {
    "create_folder", "update_folder", "delete_folder", "update_dashboard", "restore_dashboard_version",
    "delete_dashboard", "create_alert_rule", "update_alert_rule", "delete_alert_rule", "create_annotation",
    "update_annotation", "patch_annotation", "delete_annotation", "create_graphite_annotation",
    "create_datasource", "update_datasource", "delete_datasource",
}
# Required parameters as the reference declares them (update_datasource
# needs only the uid here: other fields keep their stored values).
REQUIRED = {
    "dashboard": {"uid"}, "update_dashboard": {"dashboard"}, "create_folder": {"title"},
    "update_folder": {"uid", "title"}, "create_alert_rule": {"title", "condition", "folderUID"},
    "update_alert_rule": {"ruleUID"}, "create_annotation": {"text"}, "update_annotation": {"annotationID"},
    "get_dashboard_property": {"dashboardUID", "propertyPath"}, "get_dashboard_version": {"dashboardUID", "version"},
    "create_datasource": {"name", "type", "url"}, "update_datasource": {"uid"},
    "render_panel_image": {"dashboardUID", "panelID"}, "generate_deeplink": {"resourceType", "resourceUID"},
    "create_graphite_annotation": {"what"}, "get_resource_permissions": {"resourceType"},
}


@pytest.fixture
def gf(stub_service, stub):
    """Open an MCP client whose grafana component points at this test's stub
    (bearer token unless other variables are given)."""
    return stub_service.opener(MCP_GRAFANA_URL=stub, MCP_GRAFANA_API_KEY=TOKEN)


class Recorder(stubs.Recorder):
    service = SERVICE


async def test_lists_every_reference_tool_with_annotations_and_parameters(gf):
    async with gf() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    names = {n.removeprefix("grafana_") for n in tools if n.startswith("grafana_")}
    assert names == REFERENCE_TOOLS | EXTRA_TOOLS
    assert len(REFERENCE_TOOLS) == 55
    for name in names:
        hints = tools[f"grafana_{name}"].annotations
        assert hints.read_only_hint is (name not in WRITE_TOOLS), name
    for name in ("delete_dashboard", "delete_alert_rule", "delete_datasource", "update_dashboard"):
        assert tools[f"grafana_{name}"].annotations.destructive_hint is True, name
    for name, required in REQUIRED.items():
        assert set(tools[f"grafana_{name}"].input_schema.get("required", [])) == required, name
    search = tools["grafana_search_dashboards"].input_schema["properties"]
    assert {"query", "tag", "folderUID", "starred", "limit"} <= set(search)
    assert {"limit", "offset"} <= set(tools["grafana_dashboards_summary"].input_schema["properties"])


async def test_read_only_mode_hides_and_refuses_writes(stub_service, stub):
    async with stub_service.client("--read-only", MCP_GRAFANA_URL=stub, MCP_GRAFANA_API_KEY=TOKEN) as client:
        names = {t.name.removeprefix("grafana_") for t in (await client.list_tools()).tools}
        assert names == (REFERENCE_TOOLS | EXTRA_TOOLS) - WRITE_TOOLS
        refused = await client.call_tool("grafana_delete_dashboard", {"uid": "node-exporter"})
        still_there = await client.call_tool("grafana_dashboard", {"uid": "node-exporter"})
    assert refused.is_error and "read-only" in text_of(refused)
    assert json_of(still_there)["dashboard"]["uid"] == "node-exporter"


async def test_read_tools_against_the_stub(gf, stub):
    async with gf() as client:
        rec = Recorder(client)
        for name, args, check in READS:
            result = await rec.call(name, args)
            assert not result.is_error, f"{name} {args}: {text_of(result)[:500]}"
            assert check(json_of(result)), f"{name} {args}: {text_of(result)[:1500]}"
        link = await rec.ok("generate_deeplink", {"resourceType": "panel", "resourceUID": "node-exporter",
                                                   "panelID": 3, "from": "now-6h", "to": "now"})
        assert link["url"] == f"{stub}/d/node-exporter?viewPanel=3&from=now-6h&to=now"
        explore = await rec.ok("generate_deeplink", {"resourceType": "explore", "resourceUID": "loki-main"})
        assert explore["url"].startswith(f"{stub}/explore?schemaVersion=1&panes=") and "loki-main" in explore["url"]
        rendered = await rec.call("render_panel_image", {"dashboardUID": "node-exporter", "panelID": 3, "width": 400})
        image = json_of(rendered)
        assert image["contentType"] == "image/png" and image["width"] == 400
        # the picture itself is an MCP image block, after the JSON summary
        assert [c.type for c in rendered.content] == ["text", "image"], rendered.content
        block = rendered.content[1]
        png = base64.b64decode(block.data)
        assert block.mime_type == "image/png" and png.startswith(b"\x89PNG") and len(png) == image["bytes"]
        # Legacy plain-text password fields of old Grafana versions are dropped.
        await rec.ok("datasource_detail", {"uid": "loki-main"})
        await rec.ok("get_datasource_by_name", {"name": "Loki"})
        await rec.ok("datasources", {"limit": 100})
        rec.assert_no_secrets(TOKEN, "stub-legacy-password")


async def test_dashboard_lifecycle_with_versions(gf):
    async with gf() as client:
        rec = Recorder(client)
        model = {"uid": "mcp-test", "title": "MCP Test", "tags": ["mcp"],
                 "panels": [{"id": 1, "title": "Up", "type": "stat", "targets": [{"refId": "A", "expr": "up"}]}]}
        created = await rec.ok("update_dashboard", {"dashboard": model, "folderUID": "team-a", "message": "first"})
        assert created["status"] == "success" and created["version"] == 1 and created["uid"] == "mcp-test"
        got = await rec.ok("dashboard", {"uid": "mcp-test"})
        assert got["dashboard"]["version"] == 1 and got["meta"]["folderUid"] == "team-a"
        # A stale version is refused with Grafana's 412 body; the current one saves.
        stale = await rec.error("update_dashboard", {"dashboard": {**model, "title": "MCP Test 2", "version": 0}})
        assert "HTTP 412" in stale and "changed by someone else" in stale
        # The `dashboard` tool's answer can be saved back as is; the folder is kept.
        got["dashboard"]["title"] = "MCP Test 2"
        saved = await rec.ok("update_dashboard", {"dashboard": got, "message": "rename"})
        assert saved["version"] == 2 and saved["folderUid"] == "team-a"
        versions = await rec.ok("get_dashboard_versions", {"dashboardUID": "mcp-test"})
        assert [v["version"] for v in versions["versions"]] == [2, 1]
        assert [v["message"] for v in versions["versions"]] == ["rename", "first"]
        assert (await rec.ok("get_dashboard_versions", {"dashboardUID": "mcp-test", "limit": 1}))["count"] == 1
        old = await rec.ok("get_dashboard_version", {"dashboardUID": "mcp-test", "version": 1})
        assert old["data"]["title"] == "MCP Test"
        restored = await rec.ok("restore_dashboard_version", {"dashboardUID": "mcp-test", "version": 1})
        assert restored["version"] == 3
        title = await rec.ok("get_dashboard_property", {"dashboardUID": "mcp-test", "propertyPath": "title"})
        assert title["value"] == "MCP Test"
        found = await rec.ok("search_dashboards", {"tag": "mcp"})
        assert [d["uid"] for d in found["dashboards"]] == ["mcp-test"]
        # Without a uid Grafana generates one; the same title in the same folder is refused.
        generated = await rec.ok("update_dashboard", {"dashboard": {"title": "Generated Elsewhere"}})
        assert generated["uid"] and generated["version"] == 1
        clash = await rec.error("update_dashboard", {"dashboard": {"title": "MCP Test"}, "folderUID": "team-a"})
        assert "HTTP 412" in clash and "same name" in clash
        deleted = await rec.ok("delete_dashboard", {"uid": "mcp-test"})
        assert deleted["title"] == "MCP Test" and "deleted" in deleted["message"]
        gone = await rec.error("dashboard", {"uid": "mcp-test"})
        assert "not found" in gone and "dashboard `mcp-test` does not exist" in gone and "Dashboard not found" in gone
        assert "not found" in await rec.error("delete_dashboard", {"uid": "mcp-test"})
        missing_version = await rec.error("get_dashboard_version", {"dashboardUID": "node-exporter", "version": 9})
        assert "Dashboard version not found" in missing_version
        no_prop = await rec.error("get_dashboard_property", {"dashboardUID": "node-exporter", "propertyPath": "panels.7.title"})
        assert "stopped at `panels.7`" in no_prop


async def test_folder_lifecycle_and_forced_rule_deletion(gf):
    async with gf() as client:
        rec = Recorder(client)
        folder = await rec.ok("create_folder", {"title": "MCP Folder", "uid": "mcp-folder"})
        assert folder["uid"] == "mcp-folder" and folder["version"] == 1
        dup = await rec.error("create_folder", {"title": "Other", "uid": "mcp-folder"})
        assert "HTTP 409" in dup
        renamed = await rec.ok("update_folder", {"uid": "mcp-folder", "title": "MCP Folder Renamed"})
        assert renamed["title"] == "MCP Folder Renamed" and renamed["version"] == 2
        stale = await rec.error("update_folder", {"uid": "mcp-folder", "title": "X", "version": 1})
        assert "HTTP 412" in stale
        forced = await rec.ok("update_folder", {"uid": "mcp-folder", "title": "Forced", "version": 1, "overwrite": True})
        assert forced["title"] == "Forced"
        assert (await rec.ok("folder_detail", {"uid": "mcp-folder"}))["title"] == "Forced"
        # A folder holding alert rules is deleted only with forceDeleteRules.
        refused = await rec.error("delete_folder", {"uid": "ops-folder"})
        assert "contains alert rules" in refused
        done = await rec.ok("delete_folder", {"uid": "ops-folder", "forceDeleteRules": True})
        assert done["message"] == "Folder deleted"
        assert (await rec.ok("alerts", {}))["total"] == 0
        assert (await rec.ok("delete_folder", {"uid": "mcp-folder"}))["title"] == "Forced"
        assert "folder `mcp-folder` does not exist" in await rec.error("folder_detail", {"uid": "mcp-folder"})


RULE_DATA = [
    {"refId": "A", "relativeTimeRange": {"from": 600, "to": 0}, "datasourceUid": "prom-main",
     "model": {"refId": "A", "expr": "up == 0"}},
    {"refId": "C", "relativeTimeRange": {"from": 0, "to": 0}, "datasourceUid": "__expr__",
     "model": {"refId": "C", "type": "threshold", "expression": "A"}},
]


async def test_alert_rule_lifecycle(gf):
    async with gf() as client:
        rec = Recorder(client)
        created = await rec.ok("create_alert_rule", {
            "title": "Target down", "condition": "C", "folderUID": "team-a", "ruleGroup": "mcp", "intervalSeconds": 30,
            "data": RULE_DATA, "labels": {"severity": "warning"}, "annotations": {"summary": "a target is down"},
            "for": "2m",
        })
        rule = created["rule"]
        assert rule["uid"] and rule["orgID"] == 1 and rule["for"] == "2m" and rule["noDataState"] == "NoData"
        assert created["group"] == {"title": "mcp", "folderUid": "team-a", "interval": 30}
        uid = rule["uid"]
        got = await rec.ok("get_alert_rule_by_uid", {"ruleUID": uid})
        assert got["labels"] == {"severity": "warning"} and len(got["data"]) == 2
        listed = await rec.ok("alerts", {"folderUID": "team-a"})
        assert [r["uid"] for r in listed["rules"]] == [uid]
        updated = await rec.ok("update_alert_rule", {"ruleUID": uid, "title": "Target really down", "isPaused": True})
        assert updated["title"] == "Target really down" and updated["isPaused"] is True
        assert updated["provenance"] == "api"
        # A rule made in the UI stays editable there; a file-provisioned one is refused clearly.
        ui_rule = await rec.ok("update_alert_rule", {"ruleUID": "rule-high-cpu", "for": "10m"})
        assert ui_rule["for"] == "10m" and ui_rule["provenance"] == ""
        from_file = await rec.error("update_alert_rule", {"ruleUID": "rule-from-file", "title": "x"})
        assert "provisioned by `file`" in from_file
        assert updated["labels"] == {"severity": "warning"}  # untouched fields kept
        bad = await rec.error("update_alert_rule", {"ruleUID": uid, "condition": "Z"})
        assert "`condition` `Z` names no query" in bad
        deleted = await rec.ok("delete_alert_rule", {"ruleUID": uid})
        assert deleted == {"deleted": True, "ruleUID": uid}
        gone = await rec.error("get_alert_rule_by_uid", {"ruleUID": uid})
        assert f"alert rule `{uid}` does not exist" in gone
        assert "does not exist" in await rec.error("delete_alert_rule", {"ruleUID": uid})
        no_data = await rec.error("create_alert_rule", {"title": "x", "condition": "A", "folderUID": "team-a"})
        assert "`data` must be a non-empty list" in no_data
        bad_interval = await rec.error("create_alert_rule", {"title": "x", "condition": "C", "folderUID": "team-a",
                                                             "data": RULE_DATA, "intervalSeconds": 15})
        assert "multiple of 10" in bad_interval
        bad_folder = await rec.error("create_alert_rule", {"title": "x", "condition": "C", "folderUID": "nope", "data": RULE_DATA})
        assert "HTTP 400" in bad_folder and "folder does not exist" in bad_folder


async def test_annotation_lifecycle(gf):
    async with gf() as client:
        rec = Recorder(client)
        now_ms = int(time.time() * 1000)
        created = await rec.ok("create_annotation", {"text": "rollout", "tags": ["mcp", "deploy"], "dashboardUID": "node-exporter",
                                                     "panelID": 1, "time": now_ms - 60_000, "timeEnd": now_ms})
        assert created["message"] == "Annotation added"
        aid = created["id"]
        found = await rec.ok("get_annotations", {"dashboardUID": "node-exporter", "tags": "mcp", "from": "now-1h", "to": "now"})
        [a] = found["annotations"]
        assert a["id"] == aid and a["panelId"] == 1 and a["timeEnd"] - a["time"] == 60_000
        # Outside the window: nothing.
        assert (await rec.ok("get_annotations", {"tags": "mcp", "to": "now-2h"}))["count"] == 0
        assert (await rec.ok("update_annotation", {"annotationID": str(aid), "text": "rollout v2", "tags": "mcp"}))["message"] == "Annotation updated"
        assert (await rec.ok("patch_annotation", {"annotationID": aid, "text": "rollout v3"}))["message"] == "Annotation patched"
        [a] = (await rec.ok("get_annotations", {"tags": "mcp", "summary": True}))["annotations"]
        assert a["text"] == "rollout v3" and a["tags"] == ["mcp"] and set(a) <= {"id", "time", "timeEnd", "text", "tags", "dashboardUID", "panelId"}
        graphite = await rec.ok("create_graphite_annotation", {"what": "deploy", "data": "build 42", "tags": "mcp,graphite", "timestamp": now_ms // 1000})
        assert graphite["message"] == "Graphite annotation added"
        tags = await rec.ok("get_annotation_tags", {"tag": "mcp"})
        assert tags["tags"] == [{"tag": "mcp", "count": 2}]
        assert (await rec.ok("delete_annotation", {"annotationID": aid}))["message"] == "Annotation deleted"
        assert f"annotation {aid} does not exist" in await rec.error("delete_annotation", {"annotationID": aid})
        assert "nothing to change" in await rec.error("patch_annotation", {"annotationID": 1})
        assert "`text` must not be empty" in await rec.error("create_annotation", {"text": "  "})
        assert "`timeEnd` must not be before `time`" in await rec.error("create_annotation", {"text": "x", "time": 2000000000000, "timeEnd": 1000000000000})
        assert "`from` must be epoch milliseconds" in await rec.error("get_annotations", {"from": "yesterday"})


async def test_datasource_lifecycle_never_shows_secrets(gf):
    secret = "ds-s3cret-value"
    async with gf() as client:
        rec = Recorder(client)
        created = await rec.ok("create_datasource", {"name": "MCP Prom", "type": "prometheus", "url": "http://prom:9090",
                                                     "password": secret, "jsonData": {"httpMethod": "POST"}})
        assert created["message"] == "Datasource added" and created["datasource"]["secureJsonFields"] == {"password": True}
        uid = created["datasource"]["uid"]
        dup = await rec.error("create_datasource", {"name": "MCP Prom", "type": "prometheus", "url": "http://x"})
        assert "HTTP 409" in dup and "same name" in dup
        updated = await rec.ok("update_datasource", {"uid": uid, "url": "http://prom2:9090", "isDefault": False})
        assert updated["datasource"]["url"] == "http://prom2:9090"
        assert updated["datasource"]["jsonData"] == {"httpMethod": "POST"} and updated["datasource"]["name"] == "MCP Prom"
        by_name = await rec.ok("get_datasource_by_name", {"name": "MCP Prom"})
        assert by_name["uid"] == uid and by_name["version"] == 2
        assert (await rec.ok("check_datasource_health", {"uid": uid}))["status"] == "OK"
        assert (await rec.ok("delete_datasource", {"uid": uid}))["message"] == "Data source deleted"
        assert f"data source `{uid}` does not exist" in await rec.error("datasource_detail", {"uid": uid})
        assert "`access` must be proxy or direct" in await rec.error(
            "create_datasource", {"name": "n", "type": "loki", "url": "http://l", "access": "sideways"})
        rec.assert_no_secrets(secret, TOKEN)


async def test_invalid_arguments_are_clear_errors(gf):
    async with gf() as client:
        rec = Recorder(client)
        assert "`limit` must be a whole number from 1 to 100" in await rec.error("dashboards", {"limit": 500})
        assert "`limit` must be a number" in await rec.error("folders", {"limit": "lots"})
        assert "missing field `uid`" in await rec.error("dashboard", {})
        assert "`uid` must not be empty" in await rec.error("dashboard", {"uid": " "})
        assert "`dashboard` must be a JSON object" in await rec.error("update_dashboard", {"dashboard": "nope"})
        assert "`dashboard.title`" in await rec.error("update_dashboard", {"dashboard": {"panels": []}})
        assert "`resourceType` must be" in await rec.error("get_resource_description", {"resourceType": "widgets"})
        assert "`resourceUID` must not be empty" in await rec.error("get_resource_permissions", {"resourceType": "folders"})
        assert "`panelID` is required" in await rec.error("generate_deeplink", {"resourceType": "panel", "resourceUID": "x"})
        assert "`path` must be a plain relative path" in await rec.error(
            "datasource_proxy", {"datasourceUID": "prom-main", "path": "../../api/admin"})
        assert "give `expr` or `queries`" in await rec.error("query_datasource", {"datasourceUID": "prom-main"})
        assert "`userID` must be a whole number" in await rec.error("list_user_roles", {"userID": "-1"})
        assert "`width` must be a whole number from 50 to 3000" in await rec.error(
            "render_panel_image", {"dashboardUID": "node-exporter", "panelID": 1, "width": 10000})
        assert "user 99 does not exist" in await rec.error("list_user_roles", {"userID": 99})
        assert "role `nope` does not exist" in await rec.error("get_role_details", {"roleUID": "nope"})
        assert "plugin `nope` does not exist" in await rec.error("plugin_detail", {"pluginID": "nope"})
        assert "Panel not found" in await rec.error("render_panel_image", {"dashboardUID": "node-exporter", "panelID": 99})


async def test_basic_auth_and_org_header(gf, stub):
    async with gf(MCP_GRAFANA_URL=stub, MCP_GRAFANA_USERNAME="admin", MCP_GRAFANA_PASSWORD=PASSWORD,
                  MCP_GRAFANA_ORG_ID="2") as client:
        rec = Recorder(client)
        user = await rec.ok("current_user", {})
        assert user["login"] == "admin" and user["orgId"] == 2
        assert (await rec.ok("organization", {}))["name"] == "Second Org"
        rule = await rec.ok("create_alert_rule", {"title": "org2", "condition": "C", "folderUID": "team-a", "data": RULE_DATA})
        assert rule["rule"]["orgID"] == 2
        rec.assert_no_secrets(PASSWORD)


async def test_config_file_settings_and_secrets(stub_service, stub, tmp_path):
    """The config-file route: settings.url and a secret taken from the environment."""
    config = (
        "[components.grafana]\n"
        f'settings = {{ url = "{stub}", org_id = "2" }}\n'
        'secrets = { bearer_token = "env:GRAFANA_TEST_TOKEN" }\n'
    )
    async with stub_service.configured(tmp_path, config, GRAFANA_TEST_TOKEN=TOKEN) as client:
        rec = Recorder(client)
        user = await rec.ok("current_user", {})
        assert user["login"] == "sa-mcp" and user["orgId"] == 2
        rec.assert_no_secrets(TOKEN)


async def test_bad_credentials_are_a_clear_401(gf, stub):
    wrong = "wrong-token-value"
    async with gf(MCP_GRAFANA_URL=stub, MCP_GRAFANA_API_KEY=wrong) as client:
        rec = Recorder(client)
        text = await rec.error("dashboards", {})
        assert "HTTP 401" in text and "Unauthorized" in text and "MCP_GRAFANA_API_KEY" in text
        check = await rec.ok("test_connection", {})
        assert check["reachable"] is True and check["authenticated"] is False and "HTTP 401" in check["authError"]
        rec.assert_no_secrets(wrong)
    async with gf(MCP_GRAFANA_URL=stub, MCP_GRAFANA_USERNAME="admin", MCP_GRAFANA_PASSWORD="not-the-password") as client:
        rec = Recorder(client)
        assert "HTTP 401" in await rec.error("organization", {})
        rec.assert_no_secrets("not-the-password")


async def test_unconfigured_and_unreachable_backend(stub_service):
    async with stub_service.client() as client:
        r = await client.call_tool("grafana_dashboards", {})
    assert r.is_error and "grafana is not configured" in text_of(r) and "MCP_GRAFANA_URL" in text_of(r)
    async with stub_service.client(MCP_GRAFANA_URL="http://127.0.0.1:9", MCP_GRAFANA_ENABLED="false") as client:
        r = await client.call_tool("grafana_dashboards", {})
    assert r.is_error and "grafana is disabled" in text_of(r)
    port = free_port()  # nothing listens here
    async with stub_service.client(MCP_GRAFANA_URL=f"http://127.0.0.1:{port}", MCP_GRAFANA_API_KEY=TOKEN) as client:
        started = time.monotonic()
        r = await client.call_tool("grafana_test_connection", {})
        assert time.monotonic() - started < 30
    text = text_of(r)
    assert r.is_error and "unreachable" in text and "connection refused" in text.lower(), text
    assert TOKEN not in text
