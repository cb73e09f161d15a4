"""HTTP servers on loopback ports: serving any handler in a background
thread, and the origin the tests allow components to reach."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


@contextlib.contextmanager
def running(server: http.server.HTTPServer):
    """Serve `server` in a background thread until the block ends; yields it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()


@contextlib.contextmanager
def serving(handler):
    """`handler` on a free loopback port; yields its base URL."""
    with running(QuietServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


class OriginHandler(http.server.BaseHTTPRequestHandler):
    """The origin's pages: HTML, JSON, a long body, an echo of the credentials
    a client sent, a slow answer, redirects; counts POSTed bytes."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        """Counts the request body (Content-Length or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            received = 0
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                received += len(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            received = len(self.rfile.read(length)) if length else 0
        self._send(200, json.dumps({"received": received}).encode(), "application/json")

    def do_GET(self):
        if self.path == "/page":
            html = (
                "<html><head><title>Test page</title><style>p{color:red}</style></head>"
                "<body><h1>Hello &amp; welcome</h1><script>alert('x')</script>"
                "<p>First paragraph.</p><p>Second&nbsp;paragraph.</p></body></html>"
            )
            self._send(200, html.encode(), "text/html; charset=utf-8")
        elif self.path == "/json":
            self._send(200, b'{"ok": true}', "application/json")
        elif self.path == "/long":
            self._send(200, ("abcdefghij" * 5000).encode(), "text/plain")
        elif self.path == "/api/v1/status/buildinfo":
            # Echoes the credentials and headers a backend client sent (for
            # checking the client side only; real Prometheus is tested elsewhere).
            seen = {"authorization": self.headers.get("Authorization"), "org": self.headers.get("X-Scope-OrgID")}
            body = json.dumps({"status": "success", "data": {"version": "echo", "seen": seen}}).encode()
            self._send(200, body, "application/json")
        elif self.path == "/slow":
            time.sleep(3)  # longer than the testkit policy's 1 s HTTP timeout
            self._send(200, b"late", "text/plain")
        elif self.path.startswith("/redirect?to="):
            self._send(302, b"", "text/plain", {"Location": self.path.split("=", 1)[1]})
        else:
            self._send(404, b"not found", "text/plain")


@contextlib.contextmanager
def recording():
    """A loopback server answering every GET with 200 `ok` and recording the
    request targets it received, in order; yields (base URL, that list)."""
    seen: list[str] = []
    lock = threading.Lock()

    class Recorder(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            with lock:
                seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    with serving(Recorder) as base:
        yield base, seen
