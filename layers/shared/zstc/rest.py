"""The API's HTTP edge: body policy (413/415), and one mapping from every failure to a JSON error.

Every non-2xx answer has the body ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, get_args

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from zstc.contract import media_types
from zstc.contract.errors import ErrorDetail, ErrorInfo, ErrorResponse
from zstc.core import limits
from zstc.core.errors import (
    InvalidBodyError,
    InvalidQueryError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ZstcError,
)
from zstc.core.jsontext import NO_POSITION, loads_strict
from zstc.core.observability import logger, metrics

_MAX_DETAILS = 20


def _documented(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {media_types.JSON: {"model": ErrorResponse}}}


ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    400: _documented("The body is not valid JSON."),
    413: _documented(f"The body is larger than {limits.MAX_BODY_BYTES} bytes."),
    415: _documented("The Content-Type is not application/json."),
    422: _documented("A field is missing, has the wrong type, or breaks a limit; details name it."),
    404: _documented("No such job."),
    409: _documented("The job is not Completed yet, so it has no results."),
    429: _documented("The model endpoint is throttling; retry with backoff."),
    502: _documented("The model failed or answered with something that is not a valid classification."),
    503: _documented("The model endpoint is missing, not InService, or unreachable."),
    504: _documented("The model endpoint did not answer in time."),
}
"""OpenAPI descriptions of the error answers, for routes to pass as ``responses``."""


def error_responses(*statuses: int, **descriptions: str) -> dict[int, OpenAPIResponse]:
    """The documented error answers of one route: only the statuses it really answers.

    ``descriptions`` overrides a description by status, as ``_400="..."`` (a route's own reason).
    """
    documented = {status: ERROR_RESPONSES[status] for status in statuses}
    for key, description in descriptions.items():
        documented[int(key.lstrip("_"))] = _documented(description)
    return documented


def accurate_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """The generated schema without what the API never answers.

    Powertools documents a 422 ``HTTPValidationError {"detail": ...}`` on every route; zstc answers
    422 with ``ErrorResponse``, and only on routes that declare it. Undeclared 422s are removed, and
    so is every component schema no route refers to (``HTTPValidationError``, ``ValidationError``...).
    """
    prefix = "#/components/schemas/"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            content = responses.get("422", {}).get("content", {}).get(media_types.JSON, {})
            if content.get("schema", {}).get("$ref") == f"{prefix}HTTPValidationError":
                del responses["422"]
    components = schema.get("components", {}).get("schemas", {})
    reachable: set[str] = set()
    pending = [schema.get("paths", {})]
    while pending:
        text = json.dumps(pending.pop())
        for name in components:
            if name not in reachable and f'"{prefix}{name}"' in text:
                reachable.add(name)
                pending.append(components[name])
    for name in set(components) - reachable:
        del components[name]
    return schema


def error_response(
    status: HTTPStatus, code: str, message: str, details: list[ErrorDetail] | None = None
) -> Response[str]:
    """A Powertools response carrying the JSON error body."""
    body = ErrorResponse(error=ErrorInfo(code=code, message=message, details=details or []))
    return Response(
        status_code=status.value,
        content_type=media_types.JSON,
        body=body.model_dump_json(),
    )


_UTF8_CHARSETS = frozenset({"utf-8", "utf8"})


def normalised_event(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """``event`` with its body as UTF-8 text and its Content-Type as ``application/json``.

    Raises 413 for a body over the limit, 415 for another media type or a charset other than UTF-8
    (media types and charset names compare case-insensitively, RFC 9110 8.3.1), and 400
    ``invalid_body`` for bytes that are not UTF-8 (base64-encoded by API Gateway or not). Later layers
    (Powertools' validator compares ``application/json`` case-sensitively) see one spelling only.
    """
    body = event.get("body")
    if not body:
        return event
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_BODY_BYTES:
        raise PayloadTooLargeError(
            f"request body is {size} bytes; the limit is {limits.MAX_BODY_BYTES} bytes"
        )
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    media_type, *params = headers.get("content-type", media_types.JSON).split(";")
    media_type = media_type.strip().lower()
    if media_type != media_types.JSON:
        raise UnsupportedMediaTypeError(
            f"Content-Type {media_type or '(empty)'} is not supported; send {media_types.JSON}"
        )
    for param in params:
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in _UTF8_CHARSETS:
            raise UnsupportedMediaTypeError(
                f"charset {charset[:40] or '(empty)'} is not supported; send {media_types.JSON} in UTF-8"
            )
    text = _utf8_text(body, base64_encoded=bool(event.get("isBase64Encoded")))
    plain_headers = {
        k: v for k, v in (event.get("headers") or {}).items() if str(k).lower() != "content-type"
    }
    multi = {
        k: v for k, v in (event.get("multiValueHeaders") or {}).items() if str(k).lower() != "content-type"
    }
    return {
        **event,
        "body": text,
        "isBase64Encoded": False,
        "headers": {**plain_headers, "Content-Type": media_types.JSON},
        "multiValueHeaders": {**multi, "Content-Type": [media_types.JSON]},
    }


def _utf8_text(body: str, *, base64_encoded: bool) -> str:
    """The body as text; raises ``InvalidBodyError`` (400) when it is not UTF-8."""
    try:
        raw = base64.b64decode(body, validate=True) if base64_encoded else None
    except binascii.Error:
        raise InvalidBodyError("request body is not valid base64") from None
    try:
        return raw.decode("utf-8") if raw is not None else body.encode("utf-8").decode("utf-8")
    except UnicodeError as error:
        position = error.start if isinstance(error, UnicodeDecodeError | UnicodeEncodeError) else 0
        raise InvalidBodyError(f"request body is not valid UTF-8 (at byte {position})") from None


class ZstcResolver(APIGatewayRestResolver):
    """APIGatewayRestResolver whose body policy runs before routing and validation."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """Answer 413/415 for an unacceptable body, 400 for a repeated query parameter, else route."""
        try:
            normalised = normalised_event(event)
            self._check_query(normalised)
        except ZstcError as problem:
            return self._refused(problem)
        return super().resolve(normalised, context)

    def _check_query(self, event: Mapping[str, Any]) -> None:
        """One rule for every route: a query parameter the route declares may be given once, and an
        integer one is ASCII digits only.

        API Gateway passes ``?limit=1&limit=3`` as ``multiValueQueryStringParameters``; taking the
        first or the last would silently choose, so it is a 400 naming the parameter. Pydantic reads
        ``1.0``, ``2_0``, ``+2`` and `` 2`` as integers; a query string says digits or nothing, so those
        are a 400 naming the parameter too. Parameters a route does not declare are ignored.
        """
        values = {
            name: [value for value in given if isinstance(value, str)] if isinstance(given, list) else []
            for name, given in (event.get("multiValueQueryStringParameters") or {}).items()
        }
        for name, value in (event.get("queryStringParameters") or {}).items():
            if isinstance(value, str) and not values.get(name):
                values[name] = [value]
        if not values:
            return
        method = str(event.get("httpMethod", "")).upper()
        path = str(event.get("path", ""))
        for route in self._static_routes + self._dynamic_routes:
            if route.method == method and route.rule.match(path):
                for field in route.dependant.query_params:
                    given = values.get(field.alias, [])
                    if len(given) > 1:
                        _refuse_query(field.alias, "given more than once", "query_repeated")
                    if _is_integer(field) and given and not _DIGITS.fullmatch(given[0]):
                        _refuse_query(field.alias, "must be a whole number in ASCII digits", "query_integer")
                return

    @staticmethod
    def _refused(problem: ZstcError) -> dict[str, Any]:
        _record_error(problem.code, problem.status)
        details = [ErrorDetail.model_validate(detail) for detail in problem.details]
        return {
            "statusCode": problem.status.value,
            "headers": {"Content-Type": media_types.JSON},
            "body": ErrorResponse(
                error=ErrorInfo(code=problem.code, message=problem.message, details=details)
            ).model_dump_json(),
            "isBase64Encoded": False,
        }


_DIGITS = re.compile(r"[0-9]+")


def _is_integer(field: Any) -> bool:
    """True for a query parameter declared as an integer (``Annotated[int, Query(...)]``, or
    ``int | None``)."""
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    return annotation is int or int in get_args(annotation)


def _refuse_query(name: str, problem: str, error_type: str) -> None:
    """Raise the 400 that names query parameter ``name``."""
    message = (
        f"query parameter {name} is given more than once; send it once"
        if error_type == "query_repeated"
        else f"query parameter {name} {problem}"
    )
    raise InvalidQueryError(message, [{"loc": ["query", name], "msg": problem, "type": error_type}])


def create_resolver() -> ZstcResolver:
    """A resolver with request validation on and every error mapped to the JSON error body."""
    app = ZstcResolver(enable_validation=True, json_body_deserializer=loads_strict)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        details = [_detail(item) for item in error.errors()]
        if any(detail.type == "json_invalid" for detail in details):
            _record_error("invalid_json", HTTPStatus.BAD_REQUEST)
            return error_response(HTTPStatus.BAD_REQUEST, "invalid_json", details[0].msg, details)
        _record_error("validation_error", HTTPStatus.UNPROCESSABLE_ENTITY)
        summary = "; ".join(_describe(detail) for detail in details[:3])
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_error",
            f"invalid request: {summary}",
            details[:_MAX_DETAILS],
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content_type(_: RequestUnsupportedContentType) -> Response[str]:
        _record_error(UnsupportedMediaTypeError.code, UnsupportedMediaTypeError.status)
        return error_response(
            UnsupportedMediaTypeError.status,
            UnsupportedMediaTypeError.code,
            f"this Content-Type is not supported; send {media_types.JSON}",
        )

    @app.exception_handler(ZstcError)
    def _domain_error(error: ZstcError) -> Response[str]:
        _record_error(error.code, error.status)
        details = [ErrorDetail.model_validate(detail) for detail in error.details]
        return error_response(error.status, error.code, error.message, details)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error", extra={"error_type": type(error).__name__})
        _record_error("internal_error", HTTPStatus.INTERNAL_SERVER_ERROR)
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error; see the logs"
        )

    return app


def _detail(error: Mapping[str, Any]) -> ErrorDetail:
    """A pydantic/Powertools error without the input value (which may be request text)."""
    loc = [part for part in error.get("loc", ()) if isinstance(part, str | int)]
    error_type = str(error.get("type", "invalid"))
    if error_type == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "invalid JSON")
        position = loc[-1] if loc and isinstance(loc[-1], int) and loc[-1] != NO_POSITION else None
        where = f" at character {position}" if position is not None else ""
        return ErrorDetail(
            loc=["body"], msg=f"request body is not valid JSON: {reason}{where}", type=error_type
        )
    if loc == ["body"] and error_type == "missing":
        return ErrorDetail(loc=loc, msg="request body is required: a JSON object", type=error_type)
    return ErrorDetail(loc=loc, msg=str(error.get("msg", "invalid value")), type=error_type)


def _describe(detail: ErrorDetail) -> str:
    path = ".".join(str(part) for part in detail.loc if part != "body") or "body"
    return f"{path}: {detail.msg}"


def _record_error(code: str, status: HTTPStatus) -> None:
    logger.info("request failed", extra={"error_code": code, "status": status.value})
    metrics.add_metric(name="Errors", unit="Count", value=1)


__all__ = [
    "ERROR_RESPONSES",
    "ZstcResolver",
    "accurate_openapi",
    "create_resolver",
    "error_response",
    "error_responses",
    "normalised_event",
]
