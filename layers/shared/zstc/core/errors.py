"""Domain errors, each with the HTTP status and error code the API answers with.

Logic and adapters raise these; the API's error module turns them into the JSON error body
``{"error": {"code", "message", "details"}}``. Nothing here knows about HTTP frameworks.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar


class ZstcError(Exception):
    """Base class: a failure with a stable machine-readable code and a message for humans."""

    status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidRequestError(ZstcError):
    """The request cannot be understood (for example, the body is not JSON)."""

    status = HTTPStatus.BAD_REQUEST
    code = "invalid_request"


class InvalidQueryError(ZstcError):
    """A query parameter the route declares was given more than once (API Gateway passes every value).

    A ``next_token`` that does not decode to one of ours is an :class:`InvalidRequestError` naming it."""

    status = HTTPStatus.BAD_REQUEST
    code = "invalid_query"


class InvalidBodyError(ZstcError):
    """The request body's bytes cannot be read as text (not UTF-8, or broken base64)."""

    status = HTTPStatus.BAD_REQUEST
    code = "invalid_body"


class UnprocessableRequestError(ZstcError):
    """A well-formed request that breaks a rule only known once stored data is read (a label set's
    labels past the pair budget); the 422 ``validation_error`` a schema check answers, found later."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "validation_error"


class PayloadTooLargeError(ZstcError):
    """The request body exceeds the size limit."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "payload_too_large"


class UnsupportedMediaTypeError(ZstcError):
    """The request's Content-Type is not one the route accepts."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"


class NotFoundError(ZstcError):
    """The requested resource does not exist."""

    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class ThrottledError(ZstcError):
    """The model endpoint throttled the call; the client should retry with backoff."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "throttled"


class ModelRefusedRequestError(ZstcError):
    """The model container refused a request the API had accepted (its status 4xx): an option this
    endpoint cannot serve, such as a shortlist without a retriever or zstc's options on the stock handler."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "model_refused_request"


class ModelInvocationError(ZstcError):
    """The model container failed while handling the request (SageMaker ``ModelError``)."""

    status = HTTPStatus.BAD_GATEWAY
    code = "model_error"


class InvalidModelResponseError(ZstcError):
    """The endpoint answered, but not with a well-formed classification for this request."""

    status = HTTPStatus.BAD_GATEWAY
    code = "invalid_model_response"


class EndpointUnavailableError(ZstcError):
    """The endpoint does not exist, is not InService, or cannot be reached."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "endpoint_unavailable"


class EndpointTimeoutError(ZstcError):
    """The endpoint did not answer within the read timeout."""

    status = HTTPStatus.GATEWAY_TIMEOUT
    code = "endpoint_timeout"


class ConflictError(ZstcError):
    """The resource is not in a state that allows this request (e.g. results of an unfinished job)."""

    status = HTTPStatus.CONFLICT
    code = "conflict"
