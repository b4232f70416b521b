"""Build API Gateway REST (v1) proxy events, as API Gateway sends them to a Lambda proxy integration."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from typing import Any

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
            "accountId": "123456789012",
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
