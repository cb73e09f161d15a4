"""Attacks on the front door, end to end against a server on loopback:
password guessing (per user and per client address), user enumeration by
timing, an unauthenticated flood against a valid key, streamable-HTTP
sessions used by another credential, session floods and idle sessions, and
`/metrics` without the admin token."""

from __future__ import annotations

import base64
import statistics
import time

import httpx2 as httpx
import pytest

from support.frontdoor import ACCEPT, KEYS, auth_config, raw_post, serve, sha256, utilities_only, wait_until
from support.mcp import INIT
from support.runtime import free_port

# argon2id (the crate's default cost) of "correct horse".
ALICE_PHC = "$argon2id$v=19$m=19456,t=2,p=1$ZnJvbnQtZG9vci1zYWx0IQ$ew6BYpIX+R6OeBN9tT9NVTK+Q0aJqM+9fsIr+rzewyE"
ALICE_PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    return utilities_only(tmp_path_factory.mktemp("attacks"))


def users(extra: str = "") -> str:
    return f"""
[[auth.users]]
username = "alice"
password_hash = "{ALICE_PHC}"
roles = ["ops"]

[[auth.users]]
username = "bob"
password_hash = "{sha256("builder")}"
roles = ["ops"]
{extra}"""


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def config(port, tmp_path, auth_extra: str = "", tail: str = "") -> str:
    # `auth_config` opens with `[auth]`: settings of that table go right after it.
    text = auth_config(port, tmp_path / "audit.log", users() + tail)
    return text.replace("[auth]\n", "[auth]\n" + auth_extra, 1)


def guess_until_429(base: str, headers_of, tries: int) -> tuple[list[int], httpx.Response | None]:
    codes = []
    for i in range(tries):
        r = raw_post(base, headers_of(i))
        codes.append(r.status_code)
        if r.status_code == 429:
            return codes, r
    return codes, None


def test_password_guessing_is_throttled_per_user(runtime_bin, components, tmp_path):
    port = free_port()
    extra = "failed_login_limit = 3\nfailed_login_limit_per_address = 100\nfailed_login_backoff_seconds = 30\n"
    with serve(runtime_bin, components, config(port, tmp_path, extra), tmp_path, port=port) as s:
        codes, limited = guess_until_429(s.base, lambda i: basic("alice", f"guess-{i}"), 20)
        assert limited is not None, f"20 wrong passwords and no 429: {codes}"
        assert codes == [401, 401, 401, 429], codes
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == -32029
        # Locked out: even the right password waits; another user is not affected.
        assert raw_post(s.base, basic("alice", ALICE_PASSWORD)).status_code == 429
        assert raw_post(s.base, basic("bob", "builder")).status_code == 200


def test_guessing_across_user_names_is_throttled_per_address(runtime_bin, components, tmp_path):
    port = free_port()
    extra = "failed_login_limit = 100\nfailed_login_limit_per_address = 5\nfailed_login_backoff_seconds = 30\n"
    with serve(runtime_bin, components, config(port, tmp_path, extra), tmp_path, port=port) as s:
        codes, limited = guess_until_429(s.base, lambda i: basic(f"user{i}", "guess"), 20)
        assert limited is not None, f"20 user names guessed and no 429: {codes}"
        assert codes == [401] * 5 + [429], codes
        assert int(limited.headers["retry-after"]) >= 1
        # Every credential from that address waits out the lockout.
        assert raw_post(s.base, {"X-API-Key": KEYS["ops"]}).status_code == 429


def test_a_known_user_is_refused_as_fast_as_an_unknown_one(runtime_bin, components, tmp_path):
    port = free_port()
    extra = "failed_login_limit = 0\nfailed_login_limit_per_address = 0\n"
    with serve(runtime_bin, components, config(port, tmp_path, extra), tmp_path, port=port) as s:
        timings: dict[str, list[float]] = {"alice": [], "nobody": []}
        # One client (creating one costs more than the difference measured),
        # a fresh loopback connection per request (a refused request may close it).
        with httpx.Client(timeout=10, headers={**ACCEPT, "Connection": "close"}) as http:
            for i in range(16):
                for user in timings:
                    started = time.perf_counter()
                    r = http.post(f"{s.base}/mcp", json=INIT, headers=basic(user, f"wrong-{i}"))
                    timings[user].append(time.perf_counter() - started)
                    assert r.status_code == 401
        known, unknown = (statistics.median(timings[u][2:]) for u in ("alice", "nobody"))
        ratio = max(known, unknown) / min(known, unknown)
        assert ratio < 3, f"known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms"


def test_an_unauthenticated_flood_does_not_starve_a_valid_key(runtime_bin, components, tmp_path):
    port = free_port()
    tail = """
[ratelimit]
enabled = true
requests_per_second = 1
burst = 5
global = { requests_per_second = 1, burst = 10 }
unauthenticated = { requests_per_second = 1, burst = 10 }
"""
    with serve(runtime_bin, components, config(port, tmp_path, tail=tail), tmp_path, port=port) as s:
        flood = [raw_post(s.base).status_code for _ in range(40)]
        assert 429 in flood, flood
        assert set(flood) <= {401, 429}, flood
        assert raw_post(s.base, {"X-API-Key": KEYS["ops"]}).status_code == 200


def initialize(base: str, headers: dict[str, str]) -> httpx.Response:
    """`initialize`, then `notifications/initialized` in the new session."""
    r = httpx.post(f"{base}/mcp", json=INIT, headers={**ACCEPT, **headers}, timeout=10)
    if r.status_code == 200:
        h = {**ACCEPT, **headers, "Mcp-Session-Id": r.headers["mcp-session-id"],
             "Mcp-Protocol-Version": INIT["params"]["protocolVersion"]}
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        assert httpx.post(f"{base}/mcp", json=note, headers=h, timeout=10).status_code == 202
    return r


def in_session(base: str, headers: dict[str, str], sid: str, method: str = "POST") -> httpx.Response:
    h = {**ACCEPT, **headers, "Mcp-Session-Id": sid, "Mcp-Protocol-Version": INIT["params"]["protocolVersion"]}
    if method == "DELETE":
        return httpx.delete(f"{base}/mcp", headers=h, timeout=10)
    ping = {"jsonrpc": "2.0", "id": 7, "method": "ping"}
    return httpx.post(f"{base}/mcp", json=ping, headers=h, timeout=10)


def test_another_credential_cannot_use_or_delete_a_session(runtime_bin, components, tmp_path):
    port = free_port()
    with serve(runtime_bin, components, config(port, tmp_path), tmp_path, port=port) as s:
        ops, clock = {"X-API-Key": KEYS["ops"]}, {"X-API-Key": KEYS["clock"]}
        r = initialize(s.base, ops)
        assert r.status_code == 200, r.text
        sid = r.headers["mcp-session-id"]
        assert in_session(s.base, ops, sid).status_code == 200
        stolen = in_session(s.base, clock, sid)
        assert stolen.status_code == 404, stolen.text
        assert stolen.json()["error"]["message"] == "session not found"
        assert in_session(s.base, clock, sid, "DELETE").status_code == 404
        assert in_session(s.base, ops, sid).status_code == 200, "the owner's session survived"
        assert in_session(s.base, ops, sid, "DELETE").status_code in (200, 202, 204)
        assert in_session(s.base, ops, sid).status_code == 404


def test_sessions_are_capped_and_idle_ones_expire(runtime_bin, components, tmp_path):
    port = free_port()
    tail = "\n[server]\nmax_sessions = 4\nmax_sessions_per_credential = 3\nsession_idle_seconds = 2\n"
    with serve(runtime_bin, components, config(port, tmp_path, tail=tail), tmp_path, port=port) as s:
        ops, clock = {"X-API-Key": KEYS["ops"]}, {"X-API-Key": KEYS["clock"]}
        first = [initialize(s.base, ops) for _ in range(3)]
        assert [r.status_code for r in first] == [200] * 3
        refused = initialize(s.base, ops)
        assert refused.status_code == 429, refused.text
        assert "this credential holds 3" in refused.json()["error"]["message"]
        assert initialize(s.base, clock).status_code == 200
        full = initialize(s.base, basic("bob", "builder"))
        assert full.status_code == 429 and "the server holds 4" in full.json()["error"]["message"], full.text
        # Idle sessions are closed (polling with another credential, so they stay
        # idle): the cap has room again and the old id is gone.
        wait_until(lambda: initialize(s.base, basic("bob", "builder")).status_code == 200, timeout=15)
        assert in_session(s.base, ops, first[0].headers["mcp-session-id"]).status_code == 404


def test_metrics_need_the_admin_token(runtime_bin, components, tmp_path):
    port = free_port()
    tail = '\n[admin]\ntoken = "env:K8S_MCP_TEST_ADMIN_TOKEN"\n'
    token = "admin-token-c2VjcmV0"
    env = {"K8S_MCP_TEST_ADMIN_TOKEN": token}
    with serve(runtime_bin, components, config(port, tmp_path, tail=tail), tmp_path, port=port, env=env) as s:
        assert httpx.get(f"{s.admin}/metrics", timeout=5).status_code == 401
        wrong = httpx.get(f"{s.admin}/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
        assert wrong.status_code == 401
        ok = httpx.get(f"{s.admin}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert ok.status_code == 200 and "k8s_mcp_" in ok.text
        # The kubelet's probes need no token; the MCP listener serves no metrics.
        assert httpx.get(f"{s.admin}/healthz", timeout=5).status_code == 200
        assert httpx.get(f"{s.admin}/readyz", timeout=5).status_code == 200
        main = httpx.get(f"{s.base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert main.status_code != 200 and "k8s_mcp_" not in main.text
