"""Call the api function's handler with real API Gateway proxy events and read its answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from zstc_local.api_gateway import proxy_event
from zstc_local.context import LocalLambdaContext
from zstc_local.handlers import Handler


@dataclass
class ApiResponse:
    """A proxy response with its body decoded as JSON."""

    status: int
    headers: dict[str, str]
    body: Any
    raw_body: str


class ApiHandlerClient:
    """Sends HTTP-shaped requests through the handler, as API Gateway would."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def invoke(self, event: dict[str, Any]) -> ApiResponse:
        """Invoke with a complete proxy event."""
        result = self.handler(event, LocalLambdaContext(function_name="ApiFunction"))
        headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.setdefault(name, str(values[-1]))
        raw = result.get("body") or ""
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        body = json.loads(raw) if raw and content_type.startswith("application/json") else raw
        return ApiResponse(status=int(result["statusCode"]), headers=headers, body=body, raw_body=raw)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        """Build a proxy event for ``method path`` and invoke the handler with it."""
        if json_body is not None:
            body = json.dumps(json_body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        return self.invoke(proxy_event(method, path, body=body, headers=headers))

    def classify(self, payload: Any) -> ApiResponse:
        """POST /classify with a JSON payload."""
        return self.request("POST", "/classify", json_body=payload)
