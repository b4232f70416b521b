"""A loopback HTTP server in a background thread: what the local API, endpoint and Lambda API share.

Framing: :class:`RequestHandler` reads every request's body before the method handler runs, from a
``Content-Length`` or a ``Transfer-Encoding: chunked`` body (as API Gateway accepts both), within
``body_timeout_seconds`` in all and ``max_body_bytes`` in size. A body it cannot frame (both headers,
an unknown transfer coding, a bad length or chunk size), one that is too large or too slow is
answered with a JSON error naming the header (400, 413, 408) and the connection is closed, so no
leftover bytes are read as a next request. Every error the stdlib server writes itself (a bad request
line, an unsupported method) is JSON too, never HTML.

Overload: the listen backlog is deep enough that a burst of connections waits for ``accept`` instead
of being refused or reset (the stdlib default of 5 reset connections under 64 concurrent clients),
and with ``max_in_flight`` a server admits that many requests at once (running or waiting for their
turn); beyond it a request is answered at once with ``503``, the JSON error body and ``Retry-After``,
never a dropped connection. A request is admitted only once its body has arrived, so clients that
stall mid-body (slowloris) hold no admission slot, and each is cut off after the body timeout.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LISTEN_BACKLOG = 1024
"""Pending connections the kernel queues before ``accept`` (Linux caps it at net.core.somaxconn)."""

RETRY_AFTER_SECONDS = 1

BODY_TIMEOUT_SECONDS = 30.0
"""Seconds a request's headers-to-last-byte body may take, and a connection may stay idle."""

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's payload quota (10 MB): a larger body is answered 413 without being kept."""

_MAX_CHUNK_LINE = 4096
_DECIMAL = re.compile(rb"[0-9]+")
_HEXADECIMAL = re.compile(rb"[0-9A-Fa-f]+")
_READ_SIZE = 64 * 1024


def error_body(code: str, message: str, header: str | None = None) -> bytes:
    """The JSON error body of the local servers' own answers; ``header`` names the header at fault."""
    details = [] if header is None else [{"loc": ["header", header], "msg": message, "type": code}]
    return json.dumps({"error": {"code": code, "message": message, "details": details}}).encode("utf-8")


OVERLOADED_BODY = error_body("overloaded", "The local API is at capacity; retry after the Retry-After delay.")


class BodyError(Exception):
    """A request body that cannot be read: the status, error code and header to answer with."""

    def __init__(self, status: int, code: str, message: str, header: str | None) -> None:
        super().__init__(message)
        self.status, self.code, self.header = status, code, header


def read_body(
    stream: io.BufferedIOBase,
    headers: Any,
    connection: socket.socket | None,
    *,
    deadline: float,
    max_bytes: int,
) -> bytes:
    """The body of a request with ``headers``, read from ``stream`` before the monotonic ``deadline``.

    Raises :class:`BodyError`: 400 for framing (``Content-Length`` with ``Transfer-Encoding``, a coding
    other than ``chunked``, a bad length or chunk line, a body cut short), 413 past ``max_bytes``,
    408 when the deadline passes (``connection``'s timeout is set to the time left before each read).
    """
    encodings = list(headers.get_all("Transfer-Encoding") or [])
    lengths = headers.get_all("Content-Length") or []
    reader = _Reader(stream, connection, deadline)
    if encodings:
        if lengths:
            raise BodyError(
                400,
                "invalid_framing",
                "send Content-Length or Transfer-Encoding, not both",
                "Transfer-Encoding",
            )
        codings = [part.strip().lower() for value in encodings for part in value.split(",")]
        if codings != ["chunked"]:
            raise BodyError(
                400, "invalid_framing", "the only Transfer-Encoding accepted is chunked", "Transfer-Encoding"
            )
        return _read_chunked(reader, max_bytes)
    if not lengths:
        return b""
    if len(set(lengths)) != 1 or not _DECIMAL.fullmatch(lengths[0].strip().encode("latin-1", "replace")):
        raise BodyError(400, "invalid_framing", "Content-Length must be one decimal number", "Content-Length")
    digits = lengths[0].strip().lstrip("0") or "0"
    # past the limit's own digit count it is too large: int() of 4,300+ digits would raise instead
    length = int(digits) if len(digits) <= len(str(max_bytes)) else max_bytes + 1
    if length > max_bytes:
        raise BodyError(413, "payload_too_large", f"the body is over {max_bytes} bytes", "Content-Length")
    return reader.exactly(length, "Content-Length")


def _read_chunked(reader: _Reader, max_bytes: int) -> bytes:
    body = bytearray()
    while True:
        line = reader.line()
        size_text = line.split(b";", 1)[0].strip()
        if not _HEXADECIMAL.fullmatch(size_text):
            raise BodyError(
                400, "invalid_framing", "a chunk size is not a hexadecimal number", "Transfer-Encoding"
            )
        size = int(size_text, 16)
        if size == 0:
            while reader.line() not in (b"\r\n", b"\n"):  # trailer fields, ignored
                pass
            return bytes(body)
        if len(body) + size > max_bytes:
            raise BodyError(
                413, "payload_too_large", f"the body is over {max_bytes} bytes", "Transfer-Encoding"
            )
        body += reader.exactly(size, "Transfer-Encoding")
        if reader.line() not in (b"\r\n", b"\n"):
            raise BodyError(400, "invalid_framing", "a chunk is longer than its size", "Transfer-Encoding")


class _Reader:
    """Reads from a request stream, setting the socket's timeout to the time left before each read."""

    def __init__(self, stream: io.BufferedIOBase, connection: socket.socket | None, deadline: float) -> None:
        self._stream, self._connection, self._deadline = stream, connection, deadline

    def _arm(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise BodyError(408, "request_timeout", "the body did not arrive in time", None)
        if self._connection is not None:
            self._connection.settimeout(left)

    def exactly(self, size: int, header: str) -> bytes:
        data = bytearray()
        while len(data) < size:
            self._arm()
            try:
                piece = self._stream.read1(min(_READ_SIZE, size - len(data)))
            except TimeoutError:
                raise BodyError(408, "request_timeout", "the body did not arrive in time", None) from None
            if not piece:
                raise BodyError(400, "invalid_framing", f"the body ended before its {header} said", header)
            data += piece
        return bytes(data)

    def line(self) -> bytes:
        self._arm()
        try:
            line = self._stream.readline(_MAX_CHUNK_LINE + 1)
        except TimeoutError:
            raise BodyError(408, "request_timeout", "the body did not arrive in time", None) from None
        if not line.endswith(b"\n") or len(line) > _MAX_CHUNK_LINE:
            raise BodyError(
                400, "invalid_framing", "a chunk line is cut short or too long", "Transfer-Encoding"
            )
        return line


class RequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler whose ``body`` is read (and framed) before ``do_<METHOD>`` runs."""

    protocol_version = "HTTP/1.1"
    timeout = BODY_TIMEOUT_SECONDS  # every socket read and write; an idle connection is closed
    body_timeout_seconds = BODY_TIMEOUT_SECONDS
    max_body_bytes = MAX_BODY_BYTES
    body: bytes = b""

    def parse_request(self) -> bool:
        """Parse the request line and headers, then read the body; answer framing errors and close."""
        started = time.monotonic()
        if not super().parse_request():
            return False
        try:
            self.body = read_body(
                self.rfile,
                self.headers,
                self.connection,
                deadline=started + self.body_timeout_seconds,
                max_bytes=self.max_body_bytes,
            )
        except BodyError as problem:
            self.close_connection = True
            self.send_json(problem.status, error_body(problem.code, str(problem), problem.header))
            return False
        finally:
            self.connection.settimeout(self.timeout)
        return True

    def send_json(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with a JSON ``body`` (none for HEAD), closing when the request asked to."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own errors (bad request line, unsupported method, 431...) as JSON, not HTML."""
        self.close_connection = True
        self.request_version = self.protocol_version  # a malformed request line is not HTTP/0.9
        text = message or self.responses.get(code, ("error",))[0]
        with contextlib.suppress(OSError):
            self.send_json(code, error_body("bad_request" if code < 500 else "not_implemented", text))


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


class BackgroundHttpServer:
    """Serves ``handler_class`` on ``host:port`` (port 0 = any free port) until :meth:`stop`.

    ``max_in_flight`` (None = no limit) bounds the requests admitted at once; past it the answer is 503.
    ``body_timeout_seconds`` (None = the handler's) bounds how long a request's body may take.
    """

    def __init__(
        self,
        handler_class: type[RequestHandler],
        host: str,
        port: int,
        name: str,
        *,
        max_in_flight: int | None = None,
        body_timeout_seconds: float | None = None,
    ) -> None:
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._host = host
        self.max_in_flight = max_in_flight
        self.rejected = 0
        """Requests answered 503 because ``max_in_flight`` were already admitted."""
        handler = handler_class
        if body_timeout_seconds is not None:
            handler = type(
                handler_class.__name__,
                (handler_class,),
                {"timeout": body_timeout_seconds, "body_timeout_seconds": body_timeout_seconds},
            )
        if max_in_flight is not None:
            handler = _admitting(handler, self, max_in_flight)
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
    handler_class: type[RequestHandler], server: BackgroundHttpServer, limit: int
) -> type[RequestHandler]:
    """``handler_class`` behind a counter of admitted requests; the one over ``limit`` gets a 503."""
    gate = threading.BoundedSemaphore(limit)
    counter = threading.Lock()

    class Admitting(handler_class):  # type: ignore[valid-type, misc]
        _admitted = False

        def parse_request(self) -> bool:
            if not super().parse_request():  # the whole body has arrived (or the request was answered)
                return False
            self._admitted = gate.acquire(blocking=False)
            if self._admitted:
                return True
            with counter:
                server.rejected += 1
            self.send_json(503, OVERLOADED_BODY, {"Retry-After": str(RETRY_AFTER_SECONDS)})
            return False

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            finally:
                if self._admitted:
                    self._admitted = False
                    gate.release()

    return Admitting
