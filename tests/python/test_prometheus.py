"""The prometheus component against a real Prometheus (tests/backends/up.sh),
configured the way users of the Go server do it: MCP_PROM_ADDRESS."""

from __future__ import annotations

import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import warnings

import pytest

from support.mcp import json_of, poll, stdio_client, text_of
from support.runtime import component_with_policy, free_port

pytestmark = pytest.mark.anyio


@pytest.fixture
def prom(runtime_bin, components_dir, backend_env):
    def open_client(*extra):
        return stdio_client(runtime_bin, components_dir, *extra, env=backend_env)

    return open_client


async def test_instant_and_range_queries(prom):
    async with prom() as client:
        up = await poll(
            lambda: client.call_tool("prometheus_query", {"query": "up"}),
            lambda r: not r.is_error and len(r.structured_content["result"]) >= 2,
        )
        data = json_of(up)
        assert data["resultType"] == "vector"
        assert {s["metric"]["job"] for s in data["result"]} >= {"prometheus", "alertmanager"}
        rng = json_of(await client.call_tool("prometheus_query_range", {"query": "up", "start": "now-2m", "step": "10s"}))
        assert rng["resultType"] == "matrix" and rng["step_seconds"] == 10
        assert all(len(s["values"]) >= 1 for s in rng["result"])
        default = json_of(await client.call_tool("prometheus_query_range", {"query": "up"}))
        assert default["step_seconds"] >= 15
        top = json_of(await client.call_tool("prometheus_query_summary", {"query": "up", "limit": 1}))
        assert top["shown"] == 1 and top["total_series"] >= 2 and top["series"][0]["series"].startswith("up{")


async def test_bad_promql_and_arguments_are_clear_errors(prom):
    async with prom() as client:
        bad = await client.call_tool("prometheus_query", {"query": "sum(rate(up[5m]"})
        assert bad.is_error and "parse error" in text_of(bad), text_of(bad)
        assert "1:" in text_of(bad)  # the position from Prometheus
        cases = [
            ("prometheus_query", {"query": " "}, "`query` must not be empty"),
            ("prometheus_query", {"query": "up", "time": "yesterday"}, "`time`: bad time"),
            ("prometheus_query_range", {"query": "up", "start": "now-30d", "step": "1s"}, "points per series"),
            ("prometheus_query_range", {"query": "up", "start": "now", "end": "now-1h"}, "must not be after"),
            ("prometheus_query_range", {"query": "up", "step": "fast"}, "`step`: bad duration"),
            ("prometheus_get_targets", {"state": "sleepy"}, "`state` must be active, dropped or any"),
            ("prometheus_get_rules", {"type": "magic"}, "`type` must be alert or record"),
            ("prometheus_get_label_values", {"label": "no-dashes"}, "not a valid label name"),
            ("prometheus_get_series", {"match": []}, "at least one series selector"),
            ("prometheus_query_summary", {"query": "up", "limit": 0}, "`limit` must be between"),
        ]
        for tool, args, expected in cases:
            r = await client.call_tool(tool, args)
            assert r.is_error and expected in text_of(r), (tool, args, text_of(r))


async def test_targets_alerts_and_rules(prom):
    async with prom() as client:
        summary = await poll(
            lambda: client.call_tool("prometheus_targets_summary", {}),
            lambda r: not r.is_error and r.structured_content["by_health"].get("up", 0) >= 2,
        )
        assert {t["job"] for t in json_of(summary)["targets"]} >= {"prometheus", "alertmanager"}
        full = json_of(await client.call_tool("prometheus_get_targets", {"state": "active"}))
        assert len(full["activeTargets"]) >= 2
        alerts = await poll(
            lambda: client.call_tool("prometheus_alerts_summary", {}),
            lambda r: not r.is_error and r.structured_content["by_state"].get("firing", 0) >= 1,
        )
        firing = [a for a in json_of(alerts)["alerts"] if a["alertname"] == "AlwaysFiring"]
        assert firing and firing[0]["severity"] == "warning"
        raw = json_of(await client.call_tool("prometheus_get_alerts", {}))
        assert any(a["labels"]["alertname"] == "AlwaysFiring" for a in raw["alerts"])
        rules = json_of(await client.call_tool("prometheus_rules_summary", {}))
        assert rules["by_type"] == {"alerting": 1, "recording": 1}
        grouped = json_of(await client.call_tool("prometheus_rules_summary", {"group": "k8s-mcp-test"}))
        assert grouped["total"] == 2 and {r["group"] for r in grouped["rules"]} == {"k8s-mcp-test"}
        missing = await client.call_tool("prometheus_get_rules", {"group": "no-such-group"})
        assert missing.is_error and "no rule group named" in text_of(missing)
        only_alerts = json_of(await client.call_tool("prometheus_get_rules", {"type": "alert"}))
        assert all(r["type"] == "alerting" for g in only_alerts["groups"] for r in g["rules"])


async def test_labels_series_metadata_and_status(prom):
    async with prom() as client:
        names = json_of(await client.call_tool("prometheus_get_label_names", {}))
        assert "job" in names["labels"]
        values = json_of(await client.call_tool("prometheus_get_label_values", {"label": "job"}))
        assert {"prometheus", "alertmanager"} <= set(values["values"])
        series = json_of(await client.call_tool("prometheus_get_series", {"match": ['up{job="prometheus"}']}))
        assert series["count"] == 1 and series["series"][0]["job"] == "prometheus"
        single = json_of(await client.call_tool("prometheus_get_series", {"match": "up"}))
        assert single["count"] >= 2
        meta = json_of(await client.call_tool("prometheus_get_metrics_metadata", {"metric": "prometheus_build_info"}))
        assert meta["metadata"]["prometheus_build_info"][0]["type"] == "gauge"
        tmeta = json_of(await client.call_tool("prometheus_get_target_metadata", {"metric": "up"}))
        assert isinstance(tmeta["metadata"], list)
        tsdb = json_of(await client.call_tool("prometheus_get_tsdb_status", {}))
        assert tsdb["headStats"]["numSeries"] > 0
        stats = json_of(await client.call_tool("prometheus_get_tsdb_stats", {}))
        assert stats["head"]["numSeries"] > 0 and len(stats["top_series_by_metric"]) <= 5
        wal = json_of(await client.call_tool("prometheus_get_wal_replay_status", {}))
        assert "min" in wal and "max" in wal
        info = json_of(await client.call_tool("prometheus_get_server_info", {}))
        assert info["build"]["version"] and "scrape_configs" in info["config"]
        runtime = json_of(await client.call_tool("prometheus_get_runtime_info", {}))
        assert "startTime" in runtime
        flags = json_of(await client.call_tool("prometheus_get_flags", {}))
        assert flags["web.enable-admin-api"] == "true"
        conn = json_of(await client.call_tool("prometheus_test_connection", {}))
        assert conn["connected"] is True and conn["version"] == info["build"]["version"]


async def test_snapshot_uses_the_admin_api(prom):
    async with prom() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["prometheus_create_snapshot"].annotations.destructive_hint is True
        snap = json_of(await client.call_tool("prometheus_create_snapshot", {"skipHead": True}))
        assert snap["name"]
    async with prom("--read-only") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "prometheus_create_snapshot" not in names and "prometheus_query" in names
        r = await client.call_tool("prometheus_create_snapshot", {})
        assert r.is_error and "read-only mode" in text_of(r)


async def test_unconfigured_backend_is_a_clear_error(runtime_bin, components_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_PROM")}
    async with stdio_client(runtime_bin, components_dir, env=env) as client:
        r = await client.call_tool("prometheus_query", {"query": "up"})
    assert r.is_error and "prometheus is not configured" in text_of(r) and "MCP_PROM_ADDRESS" in text_of(r)


async def test_backend_down_fails_fast_then_breaker_opens(runtime_bin, components_dir, tmp_path):
    """A stopped server: connection refused within the timeout (after the
    configured retries), then the circuit breaker fails calls fast."""
    port = free_port()  # nothing listens here
    cfg = tmp_path / "down.toml"
    cfg.write_text(
        "[components.prometheus]\n"
        f'settings = {{ address = "http://127.0.0.1:{port}" }}\n'
    )
    breaker = "[http]\nretries = 1\nbreaker_failures = 4\nbreaker_cooldown_ms = 60_000\n"
    policy_dir = component_with_policy(tmp_path / "components", "prometheus", "[http]\n", breaker)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_PROM")}
    async with stdio_client(runtime_bin, policy_dir, "--config", str(cfg), env=env) as client:
        started = time.monotonic()
        first = await client.call_tool("prometheus_query", {"query": "up"})
        assert first.is_error and "unreachable" in text_of(first) and "connection refused" in text_of(first).lower()
        assert time.monotonic() - started < 10
        second = await client.call_tool("prometheus_query", {"query": "up"})
        assert second.is_error
        started = time.monotonic()
        third = await client.call_tool("prometheus_query", {"query": "up"})
        assert third.is_error and "circuit breaker open" in text_of(third), text_of(third)
        assert time.monotonic() - started < 1.0


def handler_hits(prom_url: str, handler: str) -> float:
    """Requests Prometheus itself has served for `handler`, read live from /metrics."""
    with urllib.request.urlopen(f"{prom_url}/metrics", timeout=5) as r:
        body = r.read().decode()
    total = 0.0
    for line in body.splitlines():
        if line.startswith("prometheus_http_requests_total{") and f'handler="{handler}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_results_are_cached_until_ttl(runtime_bin, components_dir, tmp_path, backends, backend_env):
    """A cached call does not reach Prometheus; after the TTL it does."""
    prom_url = backends["PROMETHEUS_URL"]
    policy_dir = component_with_policy(tmp_path / "components", "prometheus", "ttl_ms = 5_000", "ttl_ms = 1_500")
    route = "/api/v1/status/buildinfo"
    async with stdio_client(runtime_bin, policy_dir, env=backend_env) as client:
        before = handler_hits(prom_url, route)
        first = json_of(await client.call_tool("prometheus_get_build_info", {}))
        assert handler_hits(prom_url, route) == before + 1
        again = json_of(await client.call_tool("prometheus_get_build_info", {}))
        assert again == first
        assert handler_hits(prom_url, route) == before + 1  # served from the cache
        await poll(
            lambda: client.call_tool("prometheus_get_build_info", {}),
            lambda r: handler_hits(prom_url, route) >= before + 2,
            timeout=10,
            interval=0.3,
        )


@pytest.fixture(scope="module")
def tls_prometheus(tmp_path_factory, backends):
    """A second real Prometheus serving HTTPS with a self-signed certificate."""
    d = tmp_path_factory.mktemp("tls-prom")
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    # A private CA and a server certificate it signed (webpki rejects a CA
    # certificate used as the server's own).
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
            "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", str(d / "key.pem"), "-out", str(d / "server.csr"))
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
            "-CAcreateserial", "-days", "1", "-extfile", str(d / "ext.cnf"), "-out", str(d / "cert.pem"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # bcrypt hashes for Prometheus' basic_auth_users

        hashed = crypt.crypt("s3cret-pass", crypt.mksalt(crypt.METHOD_BLOWFISH))
    (d / "web.yml").write_text(
        f"tls_server_config:\n  cert_file: {d / 'cert.pem'}\n  key_file: {d / 'key.pem'}\n"
        f"basic_auth_users:\n  mcp: '{hashed}'\n"
    )
    (d / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    port = free_port()
    proc = subprocess.Popen(
        ["prometheus", f"--config.file={d / 'prometheus.yml'}", f"--storage.tsdb.path={d / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", f"--web.config.file={d / 'web.yml'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    ctx = ssl.create_default_context(cafile=str(d / "ca.pem"))
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/-/ready", context=ctx, timeout=2) as r:
                if r.status == 200:
                    break
        except urllib.error.HTTPError as e:
            if e.code == 401:  # up, and asking for credentials
                break
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "TLS Prometheus did not start"
        time.sleep(0.1)
    yield f"https://127.0.0.1:{port}", d / "ca.pem"
    proc.terminate()
    proc.wait(timeout=30)


async def test_tls_backend_settings(runtime_bin, components_dir, tls_prometheus, tmp_path):
    url, ca = tls_prometheus
    base = {k: v for k, v in os.environ.items() if not k.startswith("MCP_PROM")}
    base.update(MCP_PROM_ADDRESS=url, MCP_PROM_USERNAME="mcp", MCP_PROM_PASSWORD="s3cret-pass")
    async with stdio_client(runtime_bin, components_dir, env=base) as client:
        r = await client.call_tool("prometheus_get_build_info", {})
        assert r.is_error and "unreachable" in text_of(r), text_of(r)
    async with stdio_client(runtime_bin, components_dir, env=dict(base, MCP_PROM_TLS_CA_FILE=str(ca))) as client:
        assert json_of(await client.call_tool("prometheus_get_build_info", {}))["version"]
    async with stdio_client(runtime_bin, components_dir, env=dict(base, MCP_PROM_TLS_SKIP_VERIFY="true")) as client:
        assert json_of(await client.call_tool("prometheus_get_build_info", {}))["version"]
    bad = subprocess.run(
        [str(runtime_bin), "serve", "--components", str(components_dir)],
        env=dict(base, MCP_PROM_TLS_SKIP_VERIFY="true", MCP_PROM_TLS_CA_FILE=str(ca)),
        input=b"", capture_output=True, timeout=60,
    )
    assert bad.returncode != 0 and b"components.prometheus.settings.tls_skip_verify" in bad.stderr, bad.stderr


async def test_basic_auth_credentials(runtime_bin, components_dir, tls_prometheus):
    url, ca = tls_prometheus
    base = {k: v for k, v in os.environ.items() if not k.startswith("MCP_PROM")}
    base.update(MCP_PROM_ADDRESS=url, MCP_PROM_TLS_CA_FILE=str(ca), MCP_PROM_USERNAME="mcp")
    async with stdio_client(runtime_bin, components_dir, env=dict(base, MCP_PROM_PASSWORD="wrong-pass")) as client:
        r = await client.call_tool("prometheus_get_build_info", {})
        assert r.is_error and "HTTP 401" in text_of(r) and text_of(r).startswith("denied"), text_of(r)
        assert "wrong-pass" not in text_of(r)
    async with stdio_client(runtime_bin, components_dir, env=dict(base, MCP_PROM_PASSWORD="s3cret-pass")) as client:
        assert json_of(await client.call_tool("prometheus_get_build_info", {}))["version"]


async def test_bearer_token_and_custom_headers_reach_the_backend(runtime_bin, components_dir, origin, tmp_path):
    cfg = tmp_path / "headers.toml"
    cfg.write_text('[components.prometheus]\nsettings = { headers = \'{"X-Scope-OrgID": "team-a"}\' }\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_PROM")}
    env.update(MCP_PROM_ADDRESS=origin, MCP_PROM_BEARER_TOKEN="tok-123456")
    async with stdio_client(runtime_bin, components_dir, "--config", str(cfg), env=env) as client:
        seen = json_of(await client.call_tool("prometheus_get_build_info", {}))["seen"]
    # The token was sent, and redacted from what the model sees.
    assert seen == {"authorization": "Bearer [REDACTED]", "org": "team-a"}
