"""A loopback HTTP server that answers like the SageMaker APIs do when they fail.

moto cannot make InvokeEndpoint fail, so the error-mapping tests point real boto3 clients at this
server instead: botocore parses the same wire format (status, x-amzn-ErrorType, JSON body) it
parses from AWS, so the code under test takes its real error paths.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class CannedAnswer:
    """What the server answers to every request."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    error_type: str | None = None
    delay_seconds: float = 0.0


class FakeSageMaker:
    """Serves one configurable answer on a free loopback port; ``url`` is its endpoint URL."""

    def __init__(self) -> None:
        self.answer = CannedAnswer()
        self.requests: list[str] = []
        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.bodies.append(self.rfile.read(length))
                outer.requests.append(self.path)
                answer = outer.answer
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)
                payload = json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    if answer.error_type:
                        self.send_header("x-amzn-ErrorType", answer.error_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (read-timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
