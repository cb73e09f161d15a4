"""Attacks on the egress policy through `utilities_web_fetch`, against a
loopback server that records every request it receives: each attack must be
refused with a message naming why, and must never reach the server.

Special-purpose addresses that would leave the machine if the policy failed
(`[::ffff:0:7f00:1]`, `fec0::/10`, `2001::/23`, ...) are proven denied at the
policy-decision level by the Rust unit tests (`policy::net`,
`policy::egress`); here only spellings that lead back to loopback are sent."""

from __future__ import annotations

import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.frontdoor import serve, utilities_only
from support.loopback import recording
from support.mcp import http_client, json_of, stdio_client, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def recorder():
    with recording() as (base, seen):
        yield base, seen


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    return utilities_only(tmp_path_factory.mktemp("egress-attacks"))


def config(tmp_path, *allow: str):
    path = tmp_path / "config.toml"
    rules = ", ".join(f'"{rule}"' for rule in allow)
    path.write_text(f"[components.utilities]\nallow_http = [{rules}]\n")
    return path


async def fetch(client, url: str):
    return await client.call_tool("utilities_web_fetch", {"url": url})


# Each attack on the rule `<origin>/v1`, and what the refusal must say.
PATH_ATTACKS = [
    ("/v1/..;/admin", "the path has a `;` parameter"),
    ("/v1/%252e%252e/admin", "the path is double-encoded (`%25`)"),
    ("/v1/..%5cadmin", "the path percent-encodes `\\`"),
    ("/v1/..%5Cadmin", "the path percent-encodes `\\`"),
    ("/v1/%2e%2e;/admin", "the path percent-encodes `.`"),
    ("/v1/a%2f..%2f..%2fadmin", "the path percent-encodes `/`"),
    ("/v1/%25%32%65%25%32%65/admin", "the path is double-encoded (`%25`)"),
    ("/v1/%EF%BC%8E%EF%BC%8E/admin", "which normalises to punctuation"),
]


async def test_path_prefix_attacks_are_refused_before_the_server(runtime_bin, components, recorder, tmp_path):
    base, seen = recorder
    before = len(seen)
    async with stdio_client(runtime_bin, components, "--config", str(config(tmp_path, f"{base}/v1"))) as client:
        for path, reason in PATH_ATTACKS:
            allowed = json_of(await fetch(client, f"{base}/v1/status"))
            assert allowed["status"] == 200 and allowed["body"] == "ok"
            refused = await fetch(client, f"{base}{path}")
            text = text_of(refused)
            assert refused.is_error and "denied by the egress policy" in text, (path, text)
            assert reason in text and "never admits" in text and f"`{base}/v1`" in text, (path, text)
            # The control request arrived; the attack did not.
            assert seen[before:] == ["/v1/status"], (path, seen[before:])
            before = len(seen)


async def test_dot_segments_the_client_resolves_land_outside_the_prefix(runtime_bin, components, recorder, tmp_path):
    base, seen = recorder
    before = len(seen)
    async with stdio_client(runtime_bin, components, "--config", str(config(tmp_path, f"{base}/v1"))) as client:
        for path in ["/v1/../admin", "/v1/%2e%2e/admin", "/v1/..\\admin"]:
            result = await fetch(client, f"{base}{path}")
            assert result.is_error and f"no egress rule allows {base}/admin" in text_of(result), (path, text_of(result))
    assert seen[before:] == []


LOOPBACK_SPELLINGS = ["localhost", "[::ffff:127.0.0.1]", "127.1", "0x7f.0.0.1", "2130706433", "127.0.0.1.", "[::1]"]


async def test_wildcards_never_reach_loopback_however_it_is_spelled(runtime_bin, components, recorder, tmp_path):
    base, seen = recorder
    port = base.rsplit(":", 1)[1]
    before = len(seen)
    async with stdio_client(runtime_bin, components, "--config", str(config(tmp_path, f"http://*:{port}"))) as client:
        for host in LOOPBACK_SPELLINGS:
            result = await fetch(client, f"http://{host}:{port}/v1/x")
            text = text_of(result)
            assert result.is_error and "denied by the egress policy" in text, (host, text)
            assert "a loopback address (" in text and "reachable only through a rule naming" in text, (host, text)
    assert seen[before:] == []


async def test_forty_spellings_of_one_origin_make_one_breaker_series(runtime_bin, components, recorder, tmp_path):
    base, seen = recorder
    port = base.rsplit(":", 1)[1]
    cfg = f'[components.utilities]\nallow_http = ["http://localhost:{port}"]\n'
    before = len(seen)
    spellings = [f"{name}{'.' * dots}" for dots in range(20) for name in ("localhost", "LocalHost")]
    assert len(spellings) == 40
    with serve(runtime_bin, components, cfg, tmp_path) as server:
        async with http_client(server.base) as client:
            outcomes = {s: await fetch(client, f"http://{s}:{port}/one") for s in spellings}
        with urllib.request.urlopen(f"{server.admin}/metrics", timeout=5) as r:
            metrics = r.read().decode()
    for spelling, result in outcomes.items():
        if spelling.lower() in ("localhost", "localhost."):
            assert json_of(result)["body"] == "ok", spelling
        else:
            text = text_of(result)
            assert result.is_error and "is not a valid host: empty label" in text, (spelling, text)
    series = [
        s.labels["origin"]
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
        if s.name == "k8s_mcp_circuit_breaker_open" and s.labels.get("service") == "utilities"
    ]
    assert series == [f"http://localhost:{port}"], series
    assert seen[before:] == ["/one"] * 4
