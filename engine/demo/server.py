"""Serve the demo shop on 127.0.0.1 (``planact demo serve``), in a thread or in the foreground."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .app import COOKIE, DemoApp, Request

DEFAULT_PORT = 8765
MAX_BODY = 1 << 20


class _Handler(BaseHTTPRequestHandler):
    server: _DemoServer
    protocol_version = "HTTP/1.1"

    def _serve(self, method: str) -> None:
        self.server.last_request = time.monotonic()
        url = urlsplit(self.path)
        form: dict[str, str] = {}
        if method == "POST":
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            form = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True))
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        sid = cookie[COOKIE].value if COOKIE in cookie else None
        session = self.server.app.session(sid)
        request = Request(method, url.path or "/", dict(parse_qsl(url.query, keep_blank_values=True)), form, session)
        response = self.server.app.handle(request)
        body = response.body.encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        if session.id != sid:
            self.send_header("Set-Cookie", f"{COOKIE}={session.id}; Path=/; HttpOnly; SameSite=Lax")
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class _DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.app = DemoApp()
        self.last_request = time.monotonic()

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that drops a connection mid-answer (a page closed, a navigation superseded) is normal
        traffic, not an error: say nothing. Anything else still reaches socketserver's report."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve_demo(port: int = 0) -> Iterator[_DemoServer]:
    """Run the demo shop in a background thread for the duration of the block (port 0: any free port)."""
    server = _DemoServer(port)
    thread = threading.Thread(target=server.serve_forever, name="planact-demo", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def serve_forever(port: int = DEFAULT_PORT, idle_timeout: float | None = None) -> None:
    """Serve in the foreground until interrupted, or until ``idle_timeout`` seconds pass without a request."""
    server = _DemoServer(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"planact demo shop on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        while thread.is_alive():
            time.sleep(0.5)
            if idle_timeout is not None and time.monotonic() - server.last_request > idle_timeout:
                print(f"no request for {idle_timeout:g} s; stopping", flush=True)
                break
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
