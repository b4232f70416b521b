"""The console's loopback HTTP server: the page, its assets, and the API calls it forwards.

Who may drive it: the server binds 127.0.0.1 only and answers only ``Host: 127.0.0.1:<port>`` or
``localhost:<port>`` (a DNS-rebinding page names another host). Each start makes a random token; the
printed URL carries it once (``/?token=...``, as Jupyter does), the server answers with an HttpOnly,
SameSite=Strict cookie and a redirect that drops it from the address bar. Every other request needs
that cookie (or the ``X-Zstc-Console-Token`` header): without it, 403. A request whose ``Origin`` is
not the console's, or whose ``Sec-Fetch-Site`` is cross-site, is 403; an unsafe method (POST, PUT,
DELETE) must also show that it comes from the console's own page (its ``Origin``, or
``Sec-Fetch-Site: same-origin``). Every answer carries a strict Content-Security-Policy (scripts and
styles from the console only, no inline script, no eval, ``frame-ancestors 'none'``).

Routes (all JSON errors are the API's envelope, ``{"error": {"code", "message", "details"}}``):

- ``GET /`` the page, ``GET /static/<file>`` its scripts and styles (``static/``, served from a list).
- ``GET|POST|DELETE /api/<path>`` the zstc API's ``/<path>``, forwarded by ``HttpApiClient.forward``
  (SigV4 or the API key added here: credentials never reach the browser).
- ``PUT /console/jobs/<job_id>/upload`` the job's input file, PUT to the presigned URL that the
  ``POST /api/jobs`` answer forwarded here gave (the browser never gets a URL to another origin).
- ``GET /console/jobs/<job_id>/results.csv`` every result of the job as the one results CSV.
- ``POST /console/evaluate`` an annotated sample scored by ``zstc eval``'s code (``evaluation.py``):
  422 ``invalid_sample`` for a sample it refuses, 502 ``api_unreachable`` when the API cannot be reached.
- ``GET /console/target`` the API URL and auth mode, for the page's copy-paste commands.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import re
import secrets
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from zstc.contract import media_types
from zstc.contract.batch_input import INPUT_FILE_FORMATS
from zstc.contract.results import JobResult, write_results_csv
from zstc.core.limits import MAX_BODY_BYTES, RESULTS_PAGE_MAX
from zstc_cli.client.api import HttpApiClient
from zstc_cli.errors import ApiError, CliError, UnreachableError

STATIC_DIR = Path(__file__).parent / "static"
STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
"""The media types of the console's own files (anything else in ``static/`` is not served)."""

TOKEN_HEADER = "X-Zstc-Console-Token"  # noqa: S105 - a header name, not a secret
TOKEN_BYTES = 32
"""Random bytes in a start's token (``secrets.token_urlsafe``)."""

EVALUATE_MAX_BYTES = 10 * 1024 * 1024
"""The largest annotated sample ``POST /console/evaluate`` takes (JSON body, the file as text)."""

SOCKET_TIMEOUT_SECONDS = 60.0
"""Every read and write on a connection; an idle keep-alive connection is closed after it."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Headers on every answer of the console."""

_UNSAFE_METHODS = frozenset({"POST", "PUT", "DELETE"})
_FORWARDED_METHODS = frozenset({"GET", "POST", "DELETE"})
_JOB_ROUTE = re.compile(r"^/console/jobs/(?P<job_id>[A-Za-z0-9_-]{1,100})/(?P<what>upload|results\.csv)$")


class ConsoleError(Exception):
    """A request the console refuses: the status and error code to answer with."""

    def __init__(
        self, status: int, code: str, message: str, *, details: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.details = status, code, list(details)

    @classmethod
    def from_api(cls, error: ApiError) -> ConsoleError:
        """The API's refusal passed on: its status, code, message and details (fields, positions)."""
        return cls(error.status, error.code, error.message, details=error.details)


def error_body(code: str, message: str, details: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The API's error envelope, for the console's own refusals and the API's passed on."""
    envelope = {"error": {"code": code, "message": message, "details": list(details)}}
    return json.dumps(envelope).encode("utf-8")


class ConsoleServer:
    """Serves the console on 127.0.0.1:``port`` (0: any free port) for ``client``'s API until :meth:`stop`.

    ``url`` is the address to open: it carries this start's token.
    """

    def __init__(self, client: HttpApiClient, port: int = 0, token: str | None = None) -> None:
        self.client = client
        self.token = token or secrets.token_urlsafe(TOKEN_BYTES)
        self.uploads: dict[str, tuple[str, str, int]] = {}
        """job_id -> (presigned URL, media type, max bytes), from the ``POST /jobs`` answers forwarded."""
        self.lock = threading.Lock()
        handler = type("Handler", (ConsoleHandler,), {"console": self})
        self._server = _Server(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="zstc-console", daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_port)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``, the origin of the console's page."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The URL to open, with this start's token."""
        return f"{self.origin}/?token={self.token}"

    @property
    def cookie_name(self) -> str:
        """The token's cookie, per port (cookies ignore ports: two consoles must not share one)."""
        return f"zstc_console_{self.port}"

    def allowed_hosts(self) -> frozenset[str]:
        """The ``Host`` header values it answers."""
        return frozenset({f"127.0.0.1:{self.port}", f"localhost:{self.port}"})

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ConsoleServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ConsoleHandler(BaseHTTPRequestHandler):
    """One request: the host, token and origin checks, then the route."""

    console: ClassVar[ConsoleServer]
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_SECONDS
    server_version = "zstc-console"
    sys_version = ""

    def do_GET(self) -> None:
        """GET: the page, an asset, an API read, a results CSV, the target."""
        self._handle()

    def do_POST(self) -> None:
        """POST: an API call or an evaluation."""
        self._handle()

    def do_PUT(self) -> None:
        """PUT: a job's input file."""
        self._handle()

    def do_DELETE(self) -> None:
        """DELETE: an API call."""
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the console prints its URL and nothing per request."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own errors (bad request line, unknown method) as JSON, never HTML."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(code, error_body("bad_request", message or "bad request"))

    # --- the checks -------------------------------------------------------------------------------

    def _handle(self) -> None:
        try:
            parts = urlsplit(self.path)
            self._check_host()
            if parts.path == "/" and self.command == "GET" and "token" in parse_qs(parts.query):
                self._sign_in(parse_qs(parts.query)["token"][0])
                return
            self._check_token()
            self._check_origin()
            self._route(parts.path, parts.query)
        except ConsoleError as refusal:
            self.close_connection = True
            self._send(refusal.status, error_body(refusal.code, str(refusal), refusal.details))

    def _check_host(self) -> None:
        if self.headers.get("Host", "") not in self.console.allowed_hosts():
            raise ConsoleError(403, "host_refused", "the console answers only 127.0.0.1 and localhost")

    def _sign_in(self, token: str) -> None:
        if not hmac.compare_digest(token.encode(), self.console.token.encode()):
            raise ConsoleError(403, "token_refused", "wrong token: open the URL `zstc console` printed")
        cookie = f"{self.console.cookie_name}={self.console.token}; HttpOnly; SameSite=Strict; Path=/"
        self._send(303, b"", media_types.JSON, {"Location": "/", "Set-Cookie": cookie})

    def _check_token(self) -> None:
        given = self.headers.get(TOKEN_HEADER)
        if given is None:
            cookies: SimpleCookie = SimpleCookie()
            with contextlib.suppress(Exception):
                cookies.load(self.headers.get("Cookie", ""))
            morsel = cookies.get(self.console.cookie_name)
            given = morsel.value if morsel is not None else None
        if given is None or not hmac.compare_digest(given.encode(), self.console.token.encode()):
            raise ConsoleError(
                403, "token_required", "this console needs its token: open the URL `zstc console` printed"
            )

    def _check_origin(self) -> None:
        origin = self.headers.get("Origin")
        site = self.headers.get("Sec-Fetch-Site")
        own = {f"http://{host}" for host in self.console.allowed_hosts()}
        if origin is not None and origin not in own:
            raise ConsoleError(403, "origin_refused", f"requests from {origin} are refused")
        if site is not None and site not in {"same-origin", "none"}:
            raise ConsoleError(403, "origin_refused", f"{site} requests are refused")
        if self.command in _UNSAFE_METHODS and origin is None and site != "same-origin":
            raise ConsoleError(403, "origin_refused", f"a {self.command} must come from the console's page")

    # --- the routes -------------------------------------------------------------------------------

    def _route(self, path: str, query: str) -> None:
        if path.startswith("/api/"):
            self._forward(path[len("/api") :] + (f"?{query}" if query else ""))
            return
        job_route = _JOB_ROUTE.match(path)
        if job_route and job_route["what"] == "upload" and self.command == "PUT":
            self._upload(job_route["job_id"])
        elif job_route and job_route["what"] == "results.csv" and self.command == "GET":
            self._results_csv(job_route["job_id"])
        elif path == "/console/evaluate" and self.command == "POST":
            self._evaluate()
        elif path == "/console/target" and self.command == "GET":
            target = self.console.client.target
            self._send(200, json.dumps({"api_url": target.api_url, "auth": target.auth.value}).encode())
        elif self.command == "GET" and path in {"/", "/index.html"}:
            self._static("index.html")
        elif self.command == "GET" and path.startswith("/static/"):
            self._static(path[len("/static/") :])
        else:
            raise ConsoleError(404, "not_found", f"no route {self.command} {path}")

    def _static(self, name: str) -> None:
        files = {item.name: item for item in STATIC_DIR.iterdir() if item.suffix in STATIC_TYPES}
        if name not in files:
            raise ConsoleError(404, "not_found", f"no file {name}")
        self._send(200, files[name].read_bytes(), STATIC_TYPES[files[name].suffix])

    def _forward(self, path: str) -> None:
        if self.command not in _FORWARDED_METHODS:
            raise ConsoleError(405, "method_not_allowed", f"{self.command} is not forwarded to the API")
        body = self._body(MAX_BODY_BYTES) or (b"{}" if self.command == "POST" else None)
        try:
            answer = self.console.client.forward(self.command, path, body)
        except CliError as error:
            raise ConsoleError(502, "api_unreachable", error.message) from None
        if answer.content_type.split(";")[0].strip().lower() != media_types.JSON:
            raise ConsoleError(502, "not_zstc", f"the API answered {answer.content_type or 'no JSON'}")
        if self.command == "POST" and path.split("?", maxsplit=1)[0] == "/jobs" and answer.status == 201:
            self._remember_upload(answer.body)
        self._send(answer.status, answer.body)

    def _remember_upload(self, raw: bytes) -> None:
        job = json.loads(raw)
        input_format = INPUT_FILE_FORMATS.get(job.get("format"))
        upload = job.get("upload") or {}
        if input_format is not None and upload.get("url"):
            with self.console.lock:
                self.console.uploads[job["job_id"]] = (
                    upload["url"],
                    input_format.media_type,
                    int(upload["max_bytes"]),
                )

    def _upload(self, job_id: str) -> None:
        with self.console.lock:
            known = self.console.uploads.get(job_id)
        if known is None:
            raise ConsoleError(404, "unknown_job", f"job {job_id} was not created by this console")
        url, media_type, max_bytes = known
        with tempfile.TemporaryDirectory(prefix="zstc-console-") as folder:
            spooled = Path(folder) / "upload"
            with spooled.open("wb") as handle:
                self._body(max_bytes, into=handle)
            try:
                self.console.client.upload(url, spooled, media_type)
            except ApiError as error:
                raise ConsoleError.from_api(error) from None
            except CliError as error:
                raise ConsoleError(502, "upload_failed", error.message) from None
        self._send(200, json.dumps({"job_id": job_id, "uploaded": True}).encode())

    def _results_csv(self, job_id: str) -> None:
        text = io.StringIO()
        try:
            pages = self.console.client.results(job_id, RESULTS_PAGE_MAX)
            write_results_csv(text, (JobResult.model_validate(result) for result in pages))
        except ApiError as error:
            raise ConsoleError.from_api(error) from None
        except CliError as error:
            raise ConsoleError(502, "api_unreachable", error.message) from None
        disposition = f'attachment; filename="{job_id}-results.csv"'
        self._send(
            200, text.getvalue().encode("utf-8"), media_types.CSV, {"Content-Disposition": disposition}
        )

    def _evaluate(self) -> None:
        from zstc_cli.console.evaluation import EvaluationRequest, evaluate  # noqa: PLC0415 - scikit-learn
        from zstc_cli.labels import pinned_label_set  # noqa: PLC0415

        try:
            request = EvaluationRequest.from_json(json.loads(self._body(EVALUATE_MAX_BYTES)))
            report = evaluate(
                self.console.client.classify, request, partial(pinned_label_set, self.console.client)
            )
        except ValueError as error:
            raise ConsoleError(400, "invalid_request", str(error)) from None
        except ApiError as error:
            raise ConsoleError.from_api(error) from None
        except UnreachableError as error:  # the API, not the sample: nothing answered the client
            raise ConsoleError(502, "api_unreachable", error.message) from None
        except CliError as error:  # what zstc eval refuses: the sample (a line, a truth value) or the setup
            raise ConsoleError(422, "invalid_sample", error.message) from None
        self._send(200, json.dumps(report).encode("utf-8"))

    # --- plumbing ---------------------------------------------------------------------------------

    def _body(self, max_bytes: int, into: Any = None) -> bytes:
        """The request body (``Content-Length`` only), copied ``into`` a file when given."""
        if self.headers.get("Transfer-Encoding"):
            raise ConsoleError(411, "length_required", "send a Content-Length, not Transfer-Encoding")
        length_text = self.headers.get("Content-Length", "0").strip()
        if not length_text.isdigit() or len(length_text) > 15:
            raise ConsoleError(400, "invalid_framing", "Content-Length must be a decimal number")
        length = int(length_text)
        if length > max_bytes:
            raise ConsoleError(413, "payload_too_large", f"the body is over {max_bytes} bytes")
        if into is None:
            data = self.rfile.read(length)
            if len(data) != length:
                raise ConsoleError(400, "invalid_framing", "the body ended before its Content-Length said")
            return data
        copied = 0
        while copied < length:
            piece = self.rfile.read(min(1024 * 1024, length - copied))
            if not piece:
                raise ConsoleError(400, "invalid_framing", "the body ended before its Content-Length said")
            into.write(piece)
            copied += len(piece)
        return b""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = media_types.JSON,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in {**SECURITY_HEADERS, "Content-Type": content_type, **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def serve_console(client: HttpApiClient, port: int, *, open_browser: bool = False) -> None:
    """Serve the console for ``client``'s API, print its URL (and open it), until Ctrl-C or SIGTERM.

    Raises ``CliError`` when the port cannot be bound.
    """
    with started_console(client, port) as console:
        print(f"zstc console for {client.target.api_url}: {console.url}", flush=True)
        print("(the URL carries this start's token: keep it to yourself; Ctrl-C to stop)", flush=True)
        if open_browser:
            import webbrowser  # noqa: PLC0415

            webbrowser.open(console.url)
        wait_for_stop()


@contextlib.contextmanager
def started_console(client: HttpApiClient, port: int) -> Iterator[ConsoleServer]:
    """A started console on ``port``, stopped on exit; ``CliError`` when the port is taken."""
    try:
        console = ConsoleServer(client, port)
    except OSError as error:
        raise CliError(f"cannot serve the console on 127.0.0.1:{port}: {error.strerror}") from None
    with console:
        yield console


def wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM (the caller's ``finally`` stops what it started)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stop.wait()
