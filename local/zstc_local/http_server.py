"""A loopback HTTP server in a background thread: what the local API, endpoint and Lambda API share."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BackgroundHttpServer:
    """Serves ``handler_class`` on ``host:port`` (port 0 = any free port) until :meth:`stop`."""

    def __init__(self, handler_class: type[BaseHTTPRequestHandler], host: str, port: int, name: str) -> None:
        self._host = host
        self._server = ThreadingHTTPServer((host, port), handler_class)
        self._server.daemon_threads = True
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
