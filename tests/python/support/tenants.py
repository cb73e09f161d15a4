"""Helpers for the multi-tenancy tests: stub Prometheus backends (one per
tenant), a components directory with utilities and prometheus, and the
server configuration declaring the tenants."""

from __future__ import annotations

import http.server
import json
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from support.frontdoor import ISSUER, JWT_SECRET, api_key
from support.loopback import running
from support.runtime import components_subset

TENANT_KEYS = {"alpha": "alpha-key-QWxwaGE", "beta": "beta-key-QmV0YQ", "gamma": "gamma-key-R2FtbWE"}
AUDIENCE = "tenants-test"
TOKENS = {"alpha": "alpha-backend-token-1", "beta": "beta-backend-token-2"}


class StubPrometheus(http.server.ThreadingHTTPServer):
    """Answers `/api/v1/query` in Prometheus' JSON shape with one sample
    labelled by this backend's name, and remembers the credentials it saw."""

    daemon_threads = True

    def __init__(self, name: str, token: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.name, self.token = name, token
        self.seen: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: StubPrometheus

    def log_message(self, *args):
        pass

    def _answer(self):
        url = urlparse(self.path)
        auth = self.headers.get("Authorization") or ""
        self.server.seen.append(auth)
        if url.path != "/api/v1/query":
            body, status = b'{"status":"error","errorType":"not_found","error":"no such path"}', 404
        else:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode()) if length else {}
            query = (parse_qs(url.query).get("query") or form.get("query") or [""])[0]
            sample = {
                "metric": {"backend": self.server.name, "auth": "ok" if auth == f"Bearer {self.server.token}" else "no",
                           "query": query, "echo": auth},
                "value": [time.time(), "1"],
            }
            body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [sample]}}).encode()
            status = 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer


@contextmanager
def stub_prometheus(name: str, token: str):
    with running(StubPrometheus(name, token)) as server:
        yield server


def tenant_components(tmp: Path) -> Path:
    return components_subset(tmp / "components", "utilities", "prometheus")


def tenants_config(audit: Path, a: StubPrometheus, b: StubPrometheus, extra: str = "") -> str:
    keys = "".join(api_key(t, k, subject=f"{t}-user", tenant=t) + "\n" for t, k in TENANT_KEYS.items())
    return f"""
[auth.jwt]
secret = "{JWT_SECRET}"
issuer = "{ISSUER}"
audience = "{AUDIENCE}"

[[auth.jwt.tenants]]
issuer = "{ISSUER}"
subject = "svc-beta-*"
tenant = "beta"

{keys}
[audit]
path = "{audit}"
fsync = "always"

[tenants.alpha]
allow_tools = ["prometheus_query", "utilities_get_time", "utilities_sleep"]
audit_tag = "alpha-stream"
allow_request_credentials = ["prometheus"]

[tenants.alpha.components.prometheus]
settings = {{ address = "{a.url}" }}
secrets = {{ bearer_token = "{a.token}" }}

[tenants.beta]
allow_components = ["prometheus", "utilities"]
deny_tools = ["utilities_sleep", "utilities_pause", "utilities_web_fetch"]

[tenants.beta.components.prometheus]
settings = {{ address = "{b.url}" }}
secrets = {{ bearer_token = "{b.token}" }}

[tenants.gamma]
allow_tools = ["utilities_get_time", "utilities_get_date"]

[tenants.gamma.limits]
requests_per_second = 0.001
burst = 4

[tenants.gamma.components.utilities.tools.get_date.limits]
fuel = 1000
{extra}
"""
