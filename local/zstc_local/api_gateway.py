"""API Gateway's REST API proxy integration, locally: the proxy event, and a server that uses it.

:func:`proxy_event` builds the event API Gateway hands a Lambda proxy integration (tests and benches
call handlers with it directly). :class:`LocalApi` serves HTTP: it routes each request by the ``Api``
events of the template's functions (path parameters and ``{proxy+}`` included), so the local API
serves exactly what the deployed one would route, and turns it into that event and the handler's
answer back into HTTP.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from zstc_local.constants import ACCOUNT_ID
from zstc_local.context import LocalLambdaContext
from zstc_local.handlers import Handler
from zstc_local.http_server import BackgroundHttpServer, RequestHandler
from zstc_local.template import FunctionSpec

log = logging.getLogger("zstc.local.api")
LOCAL_API_ID = "zstclocal"
LOCAL_STAGE = "local"


def proxy_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: str | bytes | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, list[str]] | None = None,
    path_parameters: Mapping[str, str] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """A REST API proxy event; binary bodies are base64-encoded as API Gateway does."""
    is_base64 = isinstance(body, bytes)
    encoded_body = base64.b64encode(body).decode("ascii") if isinstance(body, bytes) else body
    header_map = dict(headers or {})
    multi_query = {name: list(values) for name, values in (query or {}).items()}
    request_id = str(uuid.uuid4())
    now = time.time()
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": header_map or None,
        "multiValueHeaders": {name: [value] for name, value in header_map.items()} or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
            "resourceId": "local",
            "resourcePath": resource or path,
            "httpMethod": method.upper(),
            "path": f"/{LOCAL_STAGE}{path}",
            "stage": LOCAL_STAGE,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "domainName": "127.0.0.1",
            "identity": {"sourceIp": source_ip, "userAgent": header_map.get("User-Agent", "zstc-local")},
        },
        "body": encoded_body,
        "isBase64Encoded": is_base64,
    }


@dataclass(frozen=True)
class Route:
    """One API Gateway method: ``method resource`` -> function."""

    method: str
    resource: str
    function: str
    pattern: re.Pattern[str]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when this route serves ``method path``, else None."""
        if self.method not in {method, "ANY"}:
            return None
        found = self.pattern.match(path)
        return found.groupdict() if found else None


def routes_from(functions: dict[str, FunctionSpec]) -> list[Route]:
    """Every ``Type: Api`` event of every function, most specific resources first."""
    routes = []
    for spec in functions.values():
        for event in spec.events.values():
            if event.get("Type") != "Api":
                continue
            resource = str(event["Properties"]["Path"])
            method = str(event["Properties"]["Method"]).upper()
            routes.append(Route(method, resource, spec.logical_id, _pattern(resource)))
    return sorted(routes, key=lambda route: (route.resource.count("{"), -len(route.resource)))


def _pattern(resource: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", resource):
        if part.startswith("{") and part.endswith("+}"):
            regex += f"(?P<{part[1:-2]}>.+)"
        elif part.startswith("{"):
            regex += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(f"^{regex}$")


MISSING_AUTHENTICATION_TOKEN_BODY = b'{"message":"Missing Authentication Token"}'
"""API Gateway's body for a method or path the API has no resource for."""

API_MAX_IN_FLIGHT = 32
"""Requests the local API admits at once (running or queued for their function); more get 503."""


class LocalApi(BackgroundHttpServer):
    """Serves the template's API routes on ``host:port`` by invoking handlers in-process."""

    def __init__(
        self,
        routes: list[Route],
        handlers: dict[str, Handler],
        host: str = "127.0.0.1",
        port: int = 3000,
        locks: dict[str, threading.Lock] | None = None,
        *,
        max_in_flight: int = API_MAX_IN_FLIGHT,
        body_timeout_seconds: float | None = None,
    ) -> None:
        self.routes = routes
        self.handlers = handlers
        # One request at a time per function, as one Lambda execution environment does.
        self._locks = locks or {name: threading.Lock() for name in handlers}
        super().__init__(
            _http_handler(self),
            host,
            port,
            name="local-api",
            max_in_flight=max_in_flight,
            body_timeout_seconds=body_timeout_seconds,
        )

    def dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one HTTP request to its handler as a proxy event; API Gateway's 403 for no route.

        Any method without a resource (OPTIONS, HEAD, TRACE... as the template declares no CORS and
        no such method) gets API Gateway's own answer: 403 ``{"message": "Missing Authentication Token"}``.
        """
        url = urlsplit(raw_path)
        for route in self.routes:
            parameters = route.match(method, url.path)
            if parameters is None:
                continue
            text = _text_body(headers, body)
            event = proxy_event(
                method,
                url.path,
                resource=route.resource,
                headers=headers,
                body=text if text is not None else (body or None),
                query=parse_qs(url.query, keep_blank_values=True),
                path_parameters=parameters,
            )
            if not body:
                event["body"] = None
            with self._locks[route.function]:
                result = self.handlers[route.function](
                    event, LocalLambdaContext(function_name=route.function)
                )
            return _http_response(result)
        # What API Gateway answers for a path or method it has no resource for.
        return (
            403,
            {"Content-Type": "application/json", "x-amzn-ErrorType": "MissingAuthenticationTokenException"},
            MISSING_AUTHENTICATION_TOKEN_BODY,
        )


def _is_text(headers: dict[str, str]) -> bool:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "").lower()
    return not content_type or content_type.startswith(
        ("text/", "application/json", "application/x-www-form")
    )


def _text_body(headers: dict[str, str], body: bytes) -> str | None:
    """The body as text for a text media type (compared case-insensitively) that is valid UTF-8;
    None (the handler gets it base64-encoded, as binary) otherwise."""
    if not _is_text(headers):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _http_response(result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    return int(result["statusCode"]), headers, body


def _http_handler(api: LocalApi) -> type[RequestHandler]:
    class Handler(RequestHandler):
        def _serve(self) -> None:
            body = self.body
            try:
                status, headers, payload = api.dispatch(
                    self.command, self.path, dict(self.headers.items()), body
                )
            except Exception:  # a handler crash: what API Gateway does with a failed Lambda
                log.exception("handler failed")
                status, headers, payload = (
                    502,
                    {"Content-Type": "application/json"},
                    json.dumps(
                        {"error": {"code": "BAD_GATEWAY", "message": "Internal server error", "details": []}}
                    ).encode(),
                )
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve
        do_HEAD = do_OPTIONS = do_TRACE = do_CONNECT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s " + format, self.address_string(), *args)

    return Handler
