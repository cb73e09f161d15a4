"""The elasticsearch component against a real Elasticsearch 2.4.1
(tests/backends/es-up.sh), configured as users of the Go server do it:
MCP_ELASTICSEARCH_ADDRESSES. Shapes only 7.x/8.x have (hit-total objects,
typeless mappings, node roles, data streams, API keys) are checked at the
end against the Elasticsearch 8 stub (tests/stubs/src/bin/elasticsearch.rs),
which follows the Elasticsearch REST API reference; it is a stub, not a
real cluster."""

from __future__ import annotations

import http.server
import json
import urllib.request

import pytest

from support.loopback import serving
from support.mcp import json_of, text_of
from support.runtime import free_port

pytestmark = pytest.mark.anyio
SERVICE = "elasticsearch"

LOGS = "k8smcp-logs"
METRICS = "k8smcp-metrics"
CLOSED = "k8smcp-closed"
LEVELS = ["info", "warn", "error"]
SERVICES = ["checkout", "payments", "search"]


def es(base: str, method: str, path: str, body=None, ndjson: bool = False):
    data = None
    if body is not None:
        data = body.encode() if ndjson else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/x-ndjson" if ndjson else "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def make_docs(n: int = 30) -> list[dict]:
    docs = []
    for i in range(n):
        level = LEVELS[i % 3]
        message = {
            "error": f"payment gateway timeout after {1000 + i * 10} ms",
            "warn": f"slow query took {200 + i} ms",
            "info": f"request {i} served",
        }[level]
        docs.append({
            "ts": f"2026-11-25T10:{i:02d}:00Z",
            "level": level,
            "service": SERVICES[i % 3],
            "message": message,
            "http": {"status": 504 if level == "error" else 200},
        })
    return docs


@pytest.fixture(scope="module")
def seeded(elasticsearch):
    """Indices with known documents: LOGS (30 docs), METRICS (3), CLOSED (closed)."""
    base = elasticsearch
    mapping = {"event": {"properties": {
        "ts": {"type": "date"},
        "level": {"type": "string", "index": "not_analyzed"},
        "service": {"type": "string", "index": "not_analyzed"},
        "message": {"type": "string"},
        "http": {"properties": {"status": {"type": "integer"}}},
    }}}
    settings = {"number_of_shards": 2, "number_of_replicas": 0}
    es(base, "PUT", f"/{LOGS}", {"settings": settings, "mappings": mapping})
    es(base, "PUT", f"/{METRICS}", {"settings": {"number_of_shards": 1, "number_of_replicas": 0}})
    es(base, "PUT", f"/{CLOSED}", {"settings": {"number_of_shards": 1, "number_of_replicas": 0}})
    docs = make_docs()
    lines = []
    for i, d in enumerate(docs):
        lines += [json.dumps({"index": {"_index": LOGS, "_type": "event", "_id": str(i)}}), json.dumps(d)]
    for i in range(3):
        lines += [json.dumps({"index": {"_index": METRICS, "_type": "sample", "_id": str(i)}}),
                  json.dumps({"host": f"web-{i}", "cpu": 0.25 * (i + 1)})]
    result = es(base, "POST", "/_bulk?refresh=true", "\n".join(lines) + "\n", ndjson=True)
    assert not result["errors"], result
    es(base, "GET", "/_cluster/health?wait_for_status=green&timeout=30s")
    es(base, "POST", f"/{CLOSED}/_close")
    return {"base": base, "docs": docs}


@pytest.fixture
def client(stub_service, seeded):
    def open_client(addresses: str | None = None):
        return stub_service.client(MCP_ELASTICSEARCH_ADDRESSES=addresses or seeded["base"])

    return open_client


async def test_info_and_health_follow_the_cluster(client, seeded):
    direct = es(seeded["base"], "GET", "/")
    health = es(seeded["base"], "GET", "/_cluster/health")
    async with client() as c:
        info = json_of(await c.call_tool("elasticsearch_info", {}))
        assert info["version"]["number"] == direct["version"]["number"] == "2.4.1"
        assert info["cluster_name"] == direct["cluster_name"]
        h = json_of(await c.call_tool("elasticsearch_health", {}))
        assert h["status"] == health["status"] and "indices" not in h
        by_index = json_of(await c.call_tool("elasticsearch_health", {"level": "indices"}))
        assert by_index["indices"][LOGS]["number_of_shards"] == 2
        bad = await c.call_tool("elasticsearch_health", {"level": "everything"})
        assert bad.is_error and "`level` must be cluster, indices or shards" in text_of(bad)
        summary = json_of(await c.call_tool("elasticsearch_cluster_health_summary", {"includeIndices": True}))
        assert summary["status"] == health["status"]
        assert summary["shards"]["active"] == health["active_shards"]
        rows = {r["name"]: r for r in summary["indices"]}
        assert rows[LOGS]["docs"] == 30 and rows[CLOSED]["status"] == "close"


async def test_index_lists_page_and_filter(client, seeded):
    names = sorted(r["index"] for r in es(seeded["base"], "GET", "/_cat/indices?format=json"))
    async with client() as c:
        listed = json_of(await c.call_tool("elasticsearch_list_indices", {}))
        assert listed["indices"] == names and listed["total"] == len(names)
        one = json_of(await c.call_tool("elasticsearch_list_indices", {"limit": 1}))
        assert one["indices"] == names[:1] and one["truncated"] is True
        seen, token, pages = [], None, 0
        while True:
            args = {"limit": 2, **({"continueToken": token} if token else {})}
            page = json_of(await c.call_tool("elasticsearch_list_indices_paginated", args))
            assert page["count"] <= 2 and "health" not in page["items"][0]
            seen += [i["name"] for i in page["items"]]
            pages += 1
            token = page["continueToken"]
            if not page["hasMore"]:
                assert token is None
                break
        assert seen == names and pages == -(-len(names) // 2)
        same = json_of(await c.call_tool("elasticsearch_indices_summary", {"indexPattern": "k8smcp-l*", "includeHealth": True}))
        assert [i["name"] for i in same["items"]] == [LOGS] and same["items"][0]["health"] == "green"
        assert same["items"][0]["docs"] == 30
        none = json_of(await c.call_tool("elasticsearch_list_indices_paginated", {"indexPattern": "nothing-here-*"}))
        assert none["total"] == 0
        for args, expected in [({"limit": 101}, "from 1 to 100"), ({"continueToken": "abc"}, "was not returned by a previous page")]:
            r = await c.call_tool("elasticsearch_list_indices_paginated", args)
            assert r.is_error and expected in text_of(r), text_of(r)


async def test_search_indices_filters_and_sorts(client, seeded):
    async with client() as c:
        by_docs = json_of(await c.call_tool("elasticsearch_search_indices", {"query": "k8smcp-*", "sortBy": "docs"}))
        assert [i["name"] for i in by_docs["items"][:2]] == [LOGS, METRICS]
        small = json_of(await c.call_tool("elasticsearch_search_indices", {"query": "k8smcp", "minDocCount": 1, "maxDocCount": 10}))
        assert [i["name"] for i in small["items"]] == [METRICS]
        closed = json_of(await c.call_tool("elasticsearch_search_indices", {"indexStatus": "close"}))
        assert [i["name"] for i in closed["items"]] == [CLOSED]
        green = json_of(await c.call_tool("elasticsearch_search_indices", {"healthStatus": "green", "query": "metrics"}))
        assert [i["name"] for i in green["items"]] == [METRICS]
        paged = json_of(await c.call_tool("elasticsearch_search_indices", {"query": "k8smcp-*", "limit": 1, "sortOrder": "desc"}))
        assert paged["hasMore"] and paged["items"][0]["name"] == METRICS
        for args, expected in [({"sortBy": "colour"}, "`sortBy` must be"), ({"healthStatus": "blue"}, "green, yellow or red"),
                               ({"limit": 201}, "from 1 to 200"), ({"minDocCount": -1}, "whole number")]:
            r = await c.call_tool("elasticsearch_search_indices", args)
            assert r.is_error and expected in text_of(r), text_of(r)


async def test_index_detail_stats_and_mapping(client, seeded):
    async with client() as c:
        stats = json_of(await c.call_tool("elasticsearch_index_stats", {"index": LOGS}))
        assert stats["_all"]["primaries"]["docs"]["count"] == 30
        detail = json_of(await c.call_tool("elasticsearch_get_index_detail_advanced", {"index": LOGS, "includeSegments": True}))
        assert detail["stats"]["docs"] == 30
        assert detail["settings"][LOGS]["shards"] == "2"
        fields = {f["field"]: f for f in detail["mappings"]["fields"]}
        assert fields["http.status"]["type"] == "integer" and fields["level"]["doc_type"] == "event"
        assert detail["segments"]["docs"] == 30 and detail["segments"]["segments"] >= 1
        full = json_of(await c.call_tool("elasticsearch_get_index_detail_advanced", {"index": LOGS, "outputFormat": "full", "includeStats": False}))
        assert "stats" not in full and "event" in full["mappings"][LOGS]["mappings"]
        mapping = json_of(await c.call_tool("elasticsearch_get_mapping", {"index": "k8smcp-l*"}))
        assert mapping["indices"] == [LOGS]
        assert {f["field"]: f["type"] for f in mapping["fields"]}["message"] == "string"
        capped = json_of(await c.call_tool("elasticsearch_get_mapping", {"index": LOGS, "limit": 2}))
        assert len(capped["fields"]) == 2 and capped["truncated"] and capped["total_fields"] == mapping["total_fields"]
        raw = json_of(await c.call_tool("elasticsearch_get_mapping", {"index": LOGS, "raw": True}))
        assert raw == es(seeded["base"], "GET", f"/{LOGS}/_mapping")
        missing = await c.call_tool("elasticsearch_index_stats", {"index": "no-such-index"})
        assert missing.is_error and "index_not_found_exception" in text_of(missing), text_of(missing)
        bad = await c.call_tool("elasticsearch_get_mapping", {"index": "../_nodes"})
        assert bad.is_error and "not a valid index name" in text_of(bad)


async def test_nodes_and_cluster_detail(client, seeded):
    direct = es(seeded["base"], "GET", "/_nodes")
    async with client() as c:
        nodes = json_of(await c.call_tool("elasticsearch_nodes", {}))
        assert nodes["nodes"].keys() == direct["nodes"].keys()
        summary = json_of(await c.call_tool("elasticsearch_nodes_summary", {"includeMetrics": True}))
        node = summary["nodes"][0]
        assert summary["total"] == len(direct["nodes"]) and node["roles"] == ["master", "data"]
        assert 0 <= node["metrics"]["heap_used_percent"] <= 100 and node["metrics"]["cpu_percent"] is not None
        assert json_of(await c.call_tool("elasticsearch_nodes_summary", {"role": "ingest"}))["total"] == 0
        detail = json_of(await c.call_tool("elasticsearch_get_cluster_detail_advanced", {
            "includeNodes": True, "includeIndices": True, "includeSettings": True, "includeStats": True, "includeShards": True}))
        assert detail["version"] == "2.4.1" and detail["stats"]["docs"] >= 33
        assert detail["shards"]["by_state"]["STARTED"] == detail["shards"]["total"] - len(detail["shards"]["not_started"])
        assert {i["name"] for i in detail["indices"]} >= {LOGS, METRICS, CLOSED}
        bad = await c.call_tool("elasticsearch_get_cluster_detail_advanced", {"outputFormat": "xml"})
        assert bad.is_error and "`outputFormat` must be" in text_of(bad)


async def test_document_search_count_and_summary(client, seeded):
    docs = seeded["docs"]
    errors = [d for d in docs if d["level"] == "error"]
    async with client() as c:
        dsl = json_of(await c.call_tool("elasticsearch_search", {"index": LOGS, "query": {"term": {"level": "error"}}, "size": 3}))
        assert dsl["total"] == len(errors) and dsl["total_relation"] == "eq" and dsl["returned"] == 3
        assert all(h["_source"]["level"] == "error" for h in dsl["hits"]) and dsl["next_from"] == 3
        page2 = json_of(await c.call_tool("elasticsearch_search", {"index": LOGS, "query": {"term": {"level": "error"}}, "size": 3, "from": 3}))
        assert not {h["_id"] for h in page2["hits"]} & {h["_id"] for h in dsl["hits"]}
        qs = json_of(await c.call_tool("elasticsearch_search", {"q": "message:timeout AND service:payments", "fields": ["message"]}))
        expected = [d for d in errors if d["service"] == "payments"]
        assert qs["total"] == len(expected) and all(set(h["_source"]) == {"message"} for h in qs["hits"])
        ordered = json_of(await c.call_tool("elasticsearch_search", {"index": LOGS, "sort": "ts:desc", "size": 2}))
        assert [h["_source"]["ts"] for h in ordered["hits"]] == sorted((d["ts"] for d in docs), reverse=True)[:2]
        aggs = json_of(await c.call_tool("elasticsearch_search", {"index": LOGS, "size": 1, "aggs": {"by_level": {"terms": {"field": "level"}}}}))
        buckets = {b["key"]: b["doc_count"] for b in aggs["aggregations"]["by_level"]["buckets"]}
        assert buckets == {lv: sum(d["level"] == lv for d in docs) for lv in LEVELS}
        raw = json_of(await c.call_tool("elasticsearch_search", {"index": LOGS, "size": 1, "raw": True}))
        assert raw["hits"]["total"] == len(docs) and raw["hits"]["hits"][0]["_type"] == "event"
        table = json_of(await c.call_tool("elasticsearch_search_summary", {"index": LOGS, "q": "level:warn", "fields": ["service", "http.status"]}))
        assert table["columns"] == ["_index", "_id", "service", "http.status"]
        assert table["total"] == len(table["rows"]) == sum(d["level"] == "warn" for d in docs)
        assert all(r[0] == LOGS and r[3] == "200" for r in table["rows"])
        auto = json_of(await c.call_tool("elasticsearch_search_summary", {"index": LOGS, "size": 5}))
        assert len(auto["rows"]) == 5 and {"level", "message"} <= set(auto["columns"])
        window = {"time_field": "ts", "start_time": "2026-11-25T10:00:00Z", "end_time": "2026-11-25T10:09:00Z"}
        in_window = [d for d in docs if "2026-11-25T10:00:00Z" <= d["ts"] <= "2026-11-25T10:09:00Z"]
        timed = json_of(await c.call_tool("elasticsearch_search", {"index": LOGS, **window}))
        assert timed["total"] == len(in_window) < len(docs)
        timed = json_of(await c.call_tool("elasticsearch_search_summary", {"index": LOGS, "q": "level:error", **window}))
        assert timed["total"] == sum(d["level"] == "error" for d in in_window) > 0
        no_field = await c.call_tool("elasticsearch_search", {"index": LOGS, "start_time": "now-1h"})
        assert no_field.is_error and "need `time_field`" in text_of(no_field)
        n = json_of(await c.call_tool("elasticsearch_count", {"index": LOGS, "q": "level:error"}))
        assert n["count"] == len(errors)
        n = json_of(await c.call_tool("elasticsearch_count", {"index": "k8smcp-*", "query": {"range": {"http.status": {"gte": 500}}}}))
        assert n["count"] == len(errors)
        everything = json_of(await c.call_tool("elasticsearch_count", {}))
        assert everything["count"] == es(seeded["base"], "GET", "/_count")["count"] >= len(docs) + 3


async def test_search_errors_are_clear(client):
    async with client() as c:
        cases = [
            ({"index": LOGS, "query": {"no_such_query": {}}}, "query_parsing_exception: No query registered for [no_such_query]"),
            ({"index": "missing-index"}, "index_not_found_exception"),
            ({"index": LOGS, "q": "level:error", "query": {"match_all": {}}}, "not both"),
            ({"index": LOGS, "query": "level:error"}, "use `q` for query-string syntax"),
            ({"index": LOGS, "size": 101}, "from 1 to 100"),
            ({"index": LOGS, "size": 100, "from": 9950}, "result window"),
            ({"index": CLOSED}, "closed"),
        ]
        for args, expected in cases:
            r = await c.call_tool("elasticsearch_search", args)
            assert r.is_error and expected in text_of(r), (args, text_of(r))
        ds = await c.call_tool("elasticsearch_data_streams", {})
        assert ds.is_error and "data streams need Elasticsearch 7.9 or later" in text_of(ds)


class Unavailable(http.server.BaseHTTPRequestHandler):
    """A node that is up but cannot serve: 503 for everything."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error":"unavailable","status":503}')

    do_POST = do_GET


async def test_addresses_failover_down_and_unconfigured(client, seeded, stub_service):
    dead = f"http://127.0.0.1:{free_port()}"
    async with client(f"{dead},{seeded['base']}") as c:
        info = json_of(await c.call_tool("elasticsearch_info", {}))
        assert info["version"]["number"] == "2.4.1"
    with serving(Unavailable) as busy_url:
        async with client(f"{busy_url},{seeded['base']}") as c:
            found = json_of(await c.call_tool("elasticsearch_search", {"index": LOGS, "size": 1}))
            assert found["total"] == len(seeded["docs"])
        async with client(busy_url) as c:
            r = await c.call_tool("elasticsearch_search", {"index": LOGS})
            assert r.is_error and "HTTP 503" in text_of(r) and "unavailable" in text_of(r)
    async with client(dead) as c:
        r = await c.call_tool("elasticsearch_health", {})
        assert r.is_error and "elasticsearch unreachable" in text_of(r) and dead in text_of(r)
    async with stub_service.client() as c:
        r = await c.call_tool("elasticsearch_info", {})
        assert r.is_error and "MCP_ELASTICSEARCH_ADDRESSES" in text_of(r)


# --- Elasticsearch 8.x shapes, against the stub -----------------------------

STUB_API_KEY = "c3R1Yi1pZDpzdHViLWtleQ=="


@pytest.fixture
def es8(stub_service, stub):
    def direct(path: str):
        req = urllib.request.Request(stub + path, headers={"Authorization": f"ApiKey {STUB_API_KEY}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def open_client(**env):
        env = env or {"MCP_ELASTICSEARCH_API_KEY": STUB_API_KEY}
        return stub_service.client(MCP_ELASTICSEARCH_ADDRESSES=stub, **env)

    return open_client, direct


REFERENCE_PARAMS = {
    "health": {"level"}, "list_indices": set(), "index_stats": {"index"}, "nodes": set(),
    "indices_summary": set(), "info": set(),
    "list_indices_paginated": {"continueToken", "limit", "indexPattern", "includeHealth"},
    "nodes_summary": {"role", "includeMetrics", "limit"},
    "cluster_health_summary": {"level", "includeIndices"},
    "get_index_detail_advanced": {"index", "includeMappings", "includeSettings", "includeStats", "includeSegments", "outputFormat"},
    "get_cluster_detail_advanced": {"includeNodes", "includeIndices", "includeSettings", "includeStats", "includeShards", "outputFormat"},
    "search_indices": {"query", "healthStatus", "indexStatus", "minDocCount", "maxDocCount", "sortBy", "sortOrder", "limit", "continueToken"},
}


async def test_tools_keep_the_reference_names_and_parameters(es8):
    open_client, _ = es8
    async with open_client() as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    for name, expected in REFERENCE_PARAMS.items():
        props = set(tools[f"elasticsearch_{name}"].input_schema.get("properties", {}))
        assert expected <= props, (name, expected - props)
    assert {"elasticsearch_search", "elasticsearch_search_summary", "elasticsearch_count", "elasticsearch_get_mapping"} <= set(tools)
    assert all(t.annotations.read_only_hint for t in tools.values())


async def test_es8_response_shapes(es8):
    open_client, direct = es8
    errors = direct("/logs-app-*/_search?q=level:error&size=0")["hits"]["total"]
    stats = direct("/_nodes/stats/os")["nodes"]
    async with open_client() as c:
        info = json_of(await c.call_tool("elasticsearch_info", {}))
        assert info["version"]["number"] == direct("/")["version"]["number"]
        found = json_of(await c.call_tool("elasticsearch_search", {"index": "logs-app-*", "q": "level:error", "size": 2}))
        assert found["total"] == errors["value"] and found["total_relation"] == errors["relation"]
        assert found["returned"] == 2 and found["next_from"] == 2 and "_type" not in found["hits"][0]
        raw = json_of(await c.call_tool("elasticsearch_search", {"index": "logs-app-*", "q": "level:error", "raw": True}))
        assert raw["hits"]["total"] == errors
        aggs = json_of(await c.call_tool("elasticsearch_search_summary", {
            "index": "logs-app-*", "query": {"bool": {"filter": [{"term": {"level": "error"}}]}},
            "fields": ["service", "message"], "aggs": {"svc": {"terms": {"field": "service"}}}}))
        assert aggs["total"] == errors["value"] and aggs["columns"][2:] == ["service", "message"]
        assert sum(b["doc_count"] for b in aggs["aggregations"]["svc"]["buckets"]) == errors["value"]
        n = json_of(await c.call_tool("elasticsearch_count", {"index": "logs-app-*", "query": {"term": {"level": "error"}}}))
        assert n["count"] == errors["value"]
        mapping = json_of(await c.call_tool("elasticsearch_get_mapping", {"index": "logs-app-*"}))
        fields = {f["field"]: f for f in mapping["fields"]}
        assert fields["message.keyword"]["type"] == "keyword" and "doc_type" not in fields["level"]
        nodes = json_of(await c.call_tool("elasticsearch_nodes_summary", {"role": "data", "includeMetrics": True}))
        assert [n["name"] for n in nodes["nodes"]] == ["es-data-0"] and "data_hot" in nodes["nodes"][0]["roles"]
        node_id = nodes["nodes"][0]["id"]
        assert nodes["nodes"][0]["metrics"]["cpu_percent"] == stats[node_id]["os"]["cpu"]["percent"]
        assert nodes["nodes"][0]["metrics"]["load_1m"] == stats[node_id]["os"]["cpu"]["load_average"]["1m"]
        ds = json_of(await c.call_tool("elasticsearch_data_streams", {}))
        stream = direct("/_data_stream")["data_streams"][0]
        assert ds["data_streams"][0]["name"] == stream["name"]
        assert ds["data_streams"][0]["write_index"] == stream["indices"][-1]["index_name"]
        via_stream = json_of(await c.call_tool("elasticsearch_count", {"index": stream["name"]}))
        assert via_stream["count"] == direct(f"/{stream['indices'][0]['index_name']}/_count")["count"]
        health = json_of(await c.call_tool("elasticsearch_cluster_health_summary", {"includeIndices": True}))
        assert health["status"] == "yellow" and health["indices"][0]["health"] == "yellow"
        detail = json_of(await c.call_tool("elasticsearch_get_cluster_detail_advanced", {"includeShards": True, "includeStats": True}))
        assert detail["shards"]["by_state"].get("UNASSIGNED") == health["shards"]["unassigned"] > 0
        closed = json_of(await c.call_tool("elasticsearch_search_indices", {"indexStatus": "close"}))
        assert [i["docs"] for i in closed["items"]] == [None]
        everything = json_of(await c.call_tool("elasticsearch_count", {}))
        assert everything["count"] == direct("/_count")["count"] > errors["value"]


async def test_es8_errors_and_credentials(es8):
    open_client, _ = es8
    async with open_client() as c:
        bad = await c.call_tool("elasticsearch_search", {"query": {"bogus": {}}})
        assert bad.is_error and "parsing_exception: unknown query [bogus]" in text_of(bad)
        missing = await c.call_tool("elasticsearch_data_streams", {"name": "no-such-stream"})
        assert missing.is_error and "not found" in text_of(missing) and "index_not_found_exception" in text_of(missing)
    async with open_client(MCP_ELASTICSEARCH_API_KEY="d3Jvbmc6a2V5") as c:
        r = await c.call_tool("elasticsearch_health", {})
        assert r.is_error and "HTTP 401" in text_of(r) and "unable to authenticate" in text_of(r)
        assert "d3Jvbmc6a2V5" not in text_of(r)
    async with open_client(MCP_ELASTICSEARCH_USERNAME="elastic") as c:
        r = await c.call_tool("elasticsearch_info", {})
        assert r.is_error and "security_exception" in text_of(r)
    async with open_client(MCP_ELASTICSEARCH_USERNAME="elastic", MCP_ELASTICSEARCH_PASSWORD="changeme") as c:
        info = json_of(await c.call_tool("elasticsearch_info", {}))
        assert info["cluster_name"] == "stub-cluster"
    # An API key given as its `id:key` pair is encoded as Elasticsearch expects.
    async with open_client(MCP_ELASTICSEARCH_API_KEY="stub-id:stub-key") as c:
        assert json_of(await c.call_tool("elasticsearch_info", {}))["cluster_name"] == "stub-cluster"
    headers = json.dumps({"Authorization": f"ApiKey {STUB_API_KEY}"})
    async with open_client(MCP_ELASTICSEARCH_HEADERS=headers) as c:
        assert json_of(await c.call_tool("elasticsearch_info", {}))["cluster_name"] == "stub-cluster"
    async with open_client(MCP_ELASTICSEARCH_API_KEY=STUB_API_KEY, MCP_ELASTICSEARCH_ENABLED="false") as c:
        r = await c.call_tool("elasticsearch_info", {})
        assert r.is_error and "elasticsearch is disabled" in text_of(r)
