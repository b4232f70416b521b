"""The Lambda Invoke API, locally: lets a handler invoke a function (e.g. itself, to continue)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote

from zstc_local.async_invoke import AsyncFunction, AsyncInvoker
from zstc_local.context import LocalLambdaContext
from zstc_local.http_server import BackgroundHttpServer, RequestHandler

log = logging.getLogger("zstc.local.lambda")
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


class LocalLambdaApi(BackgroundHttpServer):
    """``POST /2015-03-31/functions/{name}/invocations``; names, ARNs and logical ids all resolve."""

    def __init__(
        self,
        functions: dict[str, AsyncFunction],
        aliases: dict[str, str],
        invoker: AsyncInvoker,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.functions = functions
        self.aliases = aliases
        self.invoker = invoker
        super().__init__(_handler(self), host, port, name="local-lambda")

    def resolve(self, name: str) -> str | None:
        """The logical id for a function name, ARN or logical id."""
        bare = unquote(name).split(":function:")[-1].split(":")[0]
        return self.aliases.get(bare) or (bare if bare in self.functions else None)


def _handler(api: LocalLambdaApi) -> type[RequestHandler]:
    class Handler(RequestHandler):
        def do_POST(self) -> None:
            body = self.body
            match = _INVOKE_PATH.match(self.path.split("?")[0])
            function = api.resolve(match.group("name")) if match else None
            if function is None:
                self._send(
                    404,
                    {"Type": "User", "message": f"Function not found: {self.path}"},
                    error_type="ResourceNotFoundException",
                )
                return
            event = json.loads(body or b"{}")
            if self.headers.get("X-Amz-Invocation-Type", "RequestResponse") == "Event":
                api.invoker.submit(function, event, source="lambda:Invoke")
                self._send(202, None)
                return
            spec = api.functions[function]
            with spec.lock:
                result = spec.handler(
                    event, LocalLambdaContext(function, timeout_seconds=spec.timeout_seconds)
                )
            self._send(200, result)

        def _send(self, status: int, payload: Any, error_type: str | None = None) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    return Handler
