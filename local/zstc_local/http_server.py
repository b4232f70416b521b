"""A loopback HTTP server in a background thread: what the local API, endpoint and Lambda API share.

Overload: the listen backlog is deep enough that a burst of connections waits for ``accept`` instead
of being refused or reset (the stdlib default of 5 reset connections under 64 concurrent clients),
and with ``max_in_flight`` a server admits that many requests at once (running or waiting for their
turn); beyond it a request is read in full and answered at once with ``503``, the JSON error body and
``Retry-After``, never a dropped connection.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN_BACKLOG = 1024
"""Pending connections the kernel queues before ``accept`` (Linux caps it at net.core.somaxconn)."""

RETRY_AFTER_SECONDS = 1
OVERLOADED_BODY = json.dumps(
    {
        "error": {
            "code": "overloaded",
            "message": "The local API is at capacity; retry after the Retry-After delay.",
            "details": [],
        }
    }
).encode("utf-8")


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


class BackgroundHttpServer:
    """Serves ``handler_class`` on ``host:port`` (port 0 = any free port) until :meth:`stop`.

    ``max_in_flight`` (None = no limit) bounds the requests admitted at once; past it the answer is 503.
    """

    def __init__(
        self,
        handler_class: type[BaseHTTPRequestHandler],
        host: str,
        port: int,
        name: str,
        *,
        max_in_flight: int | None = None,
    ) -> None:
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._host = host
        self.max_in_flight = max_in_flight
        self.rejected = 0
        """Requests answered 503 because ``max_in_flight`` were already admitted."""
        handler = handler_class if max_in_flight is None else _admitting(handler_class, self, max_in_flight)
        self._server = _Server((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _admitting(
    handler_class: type[BaseHTTPRequestHandler], server: BackgroundHttpServer, limit: int
) -> type[BaseHTTPRequestHandler]:
    """``handler_class`` behind a counter of admitted requests; the one over ``limit`` gets a 503."""
    gate = threading.BoundedSemaphore(limit)
    counter = threading.Lock()

    class Admitting(handler_class):  # type: ignore[valid-type, misc]
        _admitted = False

        def parse_request(self) -> bool:
            if not super().parse_request():
                return False
            self._admitted = gate.acquire(blocking=False)
            if self._admitted:
                return True
            # Read the body first: closing a socket with unread bytes makes the kernel send a reset.
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with counter:
                server.rejected += 1
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(OVERLOADED_BODY)))
            self.send_header("Retry-After", str(RETRY_AFTER_SECONDS))
            self.end_headers()
            self.wfile.write(OVERLOADED_BODY)
            return False

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            finally:
                if self._admitted:
                    self._admitted = False
                    gate.release()

    return Admitting
