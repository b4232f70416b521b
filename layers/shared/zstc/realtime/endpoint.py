"""SageMaker adapter of :class:`zstc.realtime.interfaces.ModelEndpoint`: invoke one endpoint, read its status.

Every botocore failure is translated into a :mod:`zstc.core.errors` domain error here, so nothing
above this module handles botocore exceptions.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, ConnectTimeoutError, ReadTimeoutError

from zstc.contract import media_types
from zstc.contract.health import EndpointHealth
from zstc.core import aws
from zstc.core.errors import (
    EndpointTimeoutError,
    EndpointUnavailableError,
    InvalidModelResponseError,
    ModelInvocationError,
    ModelRefusedRequestError,
    ThrottledError,
    ZstcError,
)
from zstc.core.observability import tracer

IN_SERVICE = "InService"
MISSING = "Missing"
UNREACHABLE = "Unreachable"

_THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})
_UNAVAILABLE_CODES = frozenset({"ServiceUnavailable", "ModelNotReadyException"})
_MAX_ECHOED_MESSAGE = 500


class SageMakerEndpoint:
    """Calls ``InvokeEndpoint`` / ``DescribeEndpoint`` for ``endpoint_name``."""

    def __init__(
        self,
        endpoint_name: str,
        *,
        read_timeout_seconds: float,
        max_attempts: int = 1,
    ) -> None:
        self.endpoint_name = endpoint_name
        self._read_timeout = read_timeout_seconds
        self._max_attempts = max_attempts

    @tracer.capture_method(capture_response=False)
    def invoke_json(self, payload: dict[str, Any]) -> Any:
        """Send ``payload`` as ``application/json`` and return the decoded JSON answer."""
        runtime = aws.client(
            "sagemaker-runtime", read_timeout=self._read_timeout, max_attempts=self._max_attempts
        )
        try:
            response = runtime.invoke_endpoint(
                EndpointName=self.endpoint_name,
                ContentType=media_types.JSON,
                Accept=media_types.JSON,
                Body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            )
            raw = response["Body"].read()
        except ReadTimeoutError:
            raise EndpointTimeoutError(
                f"endpoint {self.endpoint_name} did not answer within {self._read_timeout:g} s"
            ) from None
        except (ConnectTimeoutError, ConnectionError) as error:
            raise EndpointUnavailableError(
                f"cannot reach the SageMaker runtime for {self.endpoint_name}: {type(error).__name__}"
            ) from None
        except ClientError as error:
            raise self._translate(error) from None
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InvalidModelResponseError(
                f"endpoint {self.endpoint_name} answered with a body that is not JSON ({len(raw)} bytes)"
            ) from None

    def health(self) -> EndpointHealth:
        """Name, status and readiness (ready only when ``InService``)."""
        status = self.status()
        return EndpointHealth(endpoint_name=self.endpoint_name, status=status, ready=status == IN_SERVICE)

    @tracer.capture_method(capture_response=False)
    def status(self) -> str:
        """The endpoint's ``EndpointStatus``, or ``Missing`` / ``Unreachable``."""
        control = aws.client("sagemaker", read_timeout=5.0, max_attempts=2)
        try:
            described = control.describe_endpoint(EndpointName=self.endpoint_name)
        except ClientError as error:
            if _is_missing_endpoint(error):
                return MISSING
            raise self._translate(error) from None
        except (ConnectTimeoutError, ReadTimeoutError, ConnectionError):
            return UNREACHABLE
        return str(described["EndpointStatus"])

    def _translate(self, error: ClientError) -> ZstcError:
        info = error.response.get("Error", {})
        code = str(info.get("Code", ""))
        message = str(info.get("Message", ""))[:_MAX_ECHOED_MESSAGE]
        http_status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "ModelError":
            original = error.response.get("OriginalStatusCode")
            suffix = f" (container status {original})" if original else ""
            if (
                isinstance(original, int)
                and HTTPStatus.BAD_REQUEST <= original < HTTPStatus.INTERNAL_SERVER_ERROR
            ):
                return ModelRefusedRequestError(f"the model refused this request{suffix}: {message}")
            return ModelInvocationError(f"the model failed on this request{suffix}: {message}")
        if code in _THROTTLING_CODES or (http_status == 429 and code not in _UNAVAILABLE_CODES):
            return ThrottledError(f"endpoint {self.endpoint_name} is throttling requests; retry with backoff")
        if code in _UNAVAILABLE_CODES:
            return EndpointUnavailableError(f"endpoint {self.endpoint_name} is not ready: {message}")
        if _is_missing_endpoint(error):
            return EndpointUnavailableError(
                f"endpoint {self.endpoint_name} does not exist in this account/region"
            )
        if code in {"ValidationError", "ValidationException"} and "service" in message.lower():
            return EndpointUnavailableError(f"endpoint {self.endpoint_name} is not InService: {message}")
        return InvalidModelResponseError(
            f"SageMaker rejected the call to {self.endpoint_name} ({code}): {message}"
        )


def _is_missing_endpoint(error: ClientError) -> bool:
    info = error.response.get("Error", {})
    message = str(info.get("Message", "")).lower()
    return info.get("Code") in {"ValidationError", "ValidationException"} and (
        "not found" in message or "could not find" in message
    )
