"""A local SageMaker endpoint: the engine behind the runtime URL shape and the container contract.

``POST /endpoints/{name}/invocations`` answers like the SageMaker runtime (so boto3 and the AWS CLI
work with ``--endpoint-url``): a request the model refuses is a 424 ``ModelError`` carrying the
container's status and message, an unknown endpoint a 400 ``ValidationError``. ``GET /ping`` and
``POST /invocations`` are the container contract (the model's own 200/400/500).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from zstc.core.limits import SAGEMAKER_MAX_PAYLOAD_BYTES
from zstc_engine.classifier import Classifier
from zstc_engine.protocol import RequestError
from zstc_engine.serving import invoke
from zstc_local.constants import ACCOUNT_ID
from zstc_local.http_server import BackgroundHttpServer, RequestHandler

log = logging.getLogger("zstc.local.endpoint")
_RUNTIME_PATH = re.compile(r"^/endpoints/(?P<name>[^/]+)/invocations$")


class LocalEndpoint(BackgroundHttpServer):
    """Serves ``classifier`` as endpoint ``endpoint_name`` on ``host:port`` (port 0 = any free port)."""

    def __init__(
        self, classifier: Classifier, endpoint_name: str, host: str = "127.0.0.1", port: int = 8080
    ) -> None:
        self.classifier = classifier
        self.endpoint_name = endpoint_name
        super().__init__(_handler_for(self), host, port, name="local-endpoint")


def _handler_for(endpoint: LocalEndpoint) -> type[RequestHandler]:
    class Handler(RequestHandler):
        max_body_bytes = 100 * 1024 * 1024  # batch transform's largest MaxPayloadInMB

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/ping":
                self._send(
                    200,
                    {
                        "status": "Healthy",
                        "model": endpoint.classifier.description,
                        "method": endpoint.classifier.method,
                        "precision": endpoint.classifier.precision,
                        "linear_kernel": endpoint.classifier.linear_kernel,
                    },
                )
            else:
                self._send(404, {"message": f"no route GET {self.path}"})

        def do_POST(self) -> None:
            body = self.body
            path = self.path.split("?")[0]
            match = _RUNTIME_PATH.match(path)
            if path == "/invocations":
                self._container(body)
            elif match:
                self._runtime(match.group("name"), body)
            else:
                self._send(404, {"message": f"no route POST {self.path}"})

        def _container(self, body: bytes) -> None:
            status, payload, content_type = self._run(body)
            self._send(status, payload, content_type)

        def _runtime(self, name: str, body: bytes) -> None:
            if name != endpoint.endpoint_name:
                message = f"Endpoint {name} of account {ACCOUNT_ID} not found."
                self._send(400, {"message": message}, error_type="ValidationError")
                return
            if len(body) > SAGEMAKER_MAX_PAYLOAD_BYTES:
                self._send(
                    413,
                    {"message": "Request payload exceeds the 6 MB InvokeEndpoint limit"},
                    error_type="ValidationError",
                )
                return
            status, payload, content_type = self._run(body)
            if status == 200:
                self._send(200, payload, content_type, variant=True)
                return
            original = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            message = original.decode("utf-8", "replace")
            self._send(
                424,
                {
                    "ErrorCode": "CLIENT_ERROR_FROM_MODEL" if status < 500 else "SERVER_ERROR_FROM_MODEL",
                    "Message": f"Received {'client' if status < 500 else 'server'} error ({status}) "
                    f'from primary with message "{message}".',
                    "OriginalStatusCode": status,
                    "OriginalMessage": message,
                    "LogStreamArn": f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/"
                    f"{endpoint.endpoint_name}",
                },
                error_type="ModelError",
            )

        def _run(self, body: bytes) -> tuple[int, Any, str]:
            try:
                answer, content_type = invoke(
                    endpoint.classifier, body, self.headers.get("Content-Type"), self.headers.get("Accept")
                )
            except RequestError as error:
                return (
                    400,
                    {"code": 400, "type": "InternalServerException", "message": str(error)},
                    "application/json",
                )
            except Exception as error:
                log.exception("model failed")
                return (
                    500,
                    {"code": 500, "type": "InternalServerException", "message": repr(error)},
                    "application/json",
                )
            return 200, answer, content_type

        def _send(
            self,
            status: int,
            payload: Any,
            content_type: str = "application/json",
            *,
            error_type: str | None = None,
            variant: bool = False,
        ) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            if variant:
                self.send_header("x-Amzn-Invoked-Production-Variant", "AllTraffic")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

    return Handler
