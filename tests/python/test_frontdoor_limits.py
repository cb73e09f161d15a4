"""Rate limits and audit durability end to end: a burst above the limit is
refused with 429 and Retry-After, then admitted again; with
`fsync = "always"` every acknowledged call survives `kill -9`."""

from __future__ import annotations

import json
import signal
import threading
import urllib.request

import pytest

from support.frontdoor import KEYS, auth_config, client, raw_post, serve, utilities_only, wait_until
from support.runtime import free_port

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    return utilities_only(tmp_path_factory.mktemp("limits"))


def test_burst_is_rate_limited_then_recovers(runtime_bin, components, tmp_path):
    port = free_port()
    config = auth_config(port, tmp_path / "audit.log", "\n[ratelimit]\nenabled = true\nrequests_per_second = 2\nburst = 3\n")
    with serve(runtime_bin, components, config, tmp_path, port=port) as s:
        ops = {"X-API-Key": KEYS["ops"]}
        statuses = [raw_post(s.base, ops) for _ in range(8)]
        codes = [r.status_code for r in statuses]
        assert codes[:3] == [200, 200, 200], codes
        limited = [r for r in statuses if r.status_code == 429]
        assert limited, codes
        assert int(limited[0].headers["retry-after"]) >= 1
        assert limited[0].json()["error"]["code"] == -32029
        # Another credential has its own bucket.
        assert raw_post(s.base, {"X-API-Key": KEYS["clock"]}).status_code == 200
        # The bucket refills: admitted again without restarting anything.
        wait_until(lambda: raw_post(s.base, ops).status_code == 200, timeout=10)


async def test_no_acknowledged_call_is_lost_to_kill_9(runtime_bin, components, tmp_path):
    port = free_port()
    audit = tmp_path / "audit.log"
    calls = 25
    with serve(runtime_bin, components, auth_config(port, audit), tmp_path, port=port) as s:
        async with client(s.base, {"X-API-Key": KEYS["ops"]}) as c:
            for i in range(calls):
                result = await c.call_tool("utilities_get_timestamp", {"unit": "ms", "n": i})
                assert not result.is_error
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(timeout=10)
    assert s.proc.returncode == -signal.SIGKILL
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert sorted(line["arguments"]["n"] for line in lines) == list(range(calls))


def test_sigterm_lets_calls_in_flight_finish(runtime_bin, components, tmp_path):
    port = free_port()
    audit = tmp_path / "audit.log"
    with serve(runtime_bin, components, auth_config(port, audit), tmp_path, port=port) as s:
        ops = {"X-API-Key": KEYS["ops"]}
        init = raw_post(s.base, ops)
        assert init.status_code == 200, init.text
        session = {**ops, "Mcp-Session-Id": init.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
        raw_post(s.base, session, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "utilities_sleep", "arguments": {"duration": 1500, "unit": "ms"}}}
        answer = {}
        worker = threading.Thread(target=lambda: answer.update(r=raw_post(s.base, session, call)))
        worker.start()

        def in_flight() -> bool:
            text = urllib.request.urlopen(f"{s.admin}/metrics", timeout=5).read().decode()
            return "k8s_mcp_tool_calls_in_flight 1" in text

        wait_until(in_flight, timeout=30)
        s.proc.send_signal(signal.SIGTERM)
        worker.join(timeout=30)
        assert answer["r"].status_code == 200
        assert '"id":7' in answer["r"].text and '"isError":false' in answer["r"].text, answer["r"].text
        assert s.proc.wait(timeout=30) == 0
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(l["tool"], l["outcome"]) for l in lines] == [("utilities_sleep", "ok")]


async def test_open_circuit_breaker_shows_in_metrics(runtime_bin, components, tmp_path):
    import shutil

    closed = free_port()  # nothing listens here
    d = tmp_path / "breaker"
    shutil.copytree(components, d)
    policy = (d / "utilities.policy.toml").read_text()
    policy = policy.replace("allow = []", f'allow = ["http://127.0.0.1:{closed}"]\nretries = 0\nbreaker_failures = 1')
    (d / "utilities.policy.toml").write_text(policy)
    port = free_port()
    with serve(runtime_bin, d, auth_config(port, tmp_path / "audit.log"), tmp_path, port=port) as s:
        series = f'k8s_mcp_circuit_breaker_open{{origin="http://127.0.0.1:{closed}",service="utilities"}}'
        async with client(s.base, {"X-API-Key": KEYS["ops"]}) as c:
            result = await c.call_tool("utilities_web_fetch", {"url": f"http://127.0.0.1:{closed}/"})
            assert result.is_error
        text = urllib.request.urlopen(f"{s.admin}/metrics", timeout=5).read().decode()
        assert f"{series} 1" in text, [l for l in text.splitlines() if "breaker" in l]
