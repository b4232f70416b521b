"""The AWS emulator (moto server) with fixes where it departs from AWS in ways users hit.

moto reads a PUT whose Content-Type is ``application/x-www-form-urlencoded`` as an HTML form and
stores an empty object, while S3 stores the bytes as sent. That Content-Type is what ``curl
--data-binary`` and Python's urllib send by default, so a user following the upload instructions
locally got a job Rejected as "the file is empty". :func:`raw_put_bodies` wraps moto's WSGI
application so such a PUT reaches it as opaque bytes (``application/octet-stream``).

moto accepts any presigned URL: one edited to another key, past its expiry, or with a wrong
signature. S3 refuses all three with 403 and an XML error. :func:`checked_presigned_urls` checks
every query-signed S3 request (SigV4, and SigV2's ``Signature``) with botocore's own signers against
the emulator's credentials and answers as S3 does (``SignatureDoesNotMatch``, ``AccessDenied``
"Request has expired", ``InvalidAccessKeyId``, ``AuthorizationQueryParametersError``); an S3
request signed neither way is ``AccessDenied``, as for a private bucket. Header-signed requests
(the SDK's) pass unchecked.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape

from botocore.auth import SIGV4_TIMESTAMP, HmacV1QueryAuth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from zstc_local.constants import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
LOCAL_CREDENTIALS: Mapping[str, str] = {LOCAL_ACCESS_KEY_ID: LOCAL_SECRET_ACCESS_KEY}
MAX_PRESIGNED_EXPIRES_SECONDS = 604_800
"""SigV4's longest X-Amz-Expires (seven days)."""

_AUTH_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
)
_CONTROL_PATH = "/moto-api"


def raw_put_bodies(app: WsgiApp) -> WsgiApp:
    """A WSGI app that hands ``app`` every PUT body as bytes, never as a parsed form."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        content_type = str(environ.get("CONTENT_TYPE", ""))
        if environ.get("REQUEST_METHOD") == "PUT" and content_type.lower().startswith(FORM_MEDIA_TYPE):
            environ["CONTENT_TYPE"] = "application/octet-stream"
        return app(environ, start_response)

    return wrapped


def _secret_of(credentials: Mapping[str, str], access_key: str) -> str:
    """The secret key that signs for ``access_key``; S3's 403 ``InvalidAccessKeyId`` when there is none."""
    secret = credentials.get(access_key)
    if secret is None:
        raise S3Refusal(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=access_key,
        )
    return secret


class S3Refusal(Exception):
    """What S3 answers a request it refuses: status, error code, message and extra XML fields."""

    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(message)
        self.status, self.code, self.fields = status, code, fields

    def xml(self) -> bytes:
        """The S3 error document."""
        extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in self.fields.items())
        request_id = uuid.uuid4().hex[:16].upper()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(str(self))}</Message>{extra}"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        ).encode()


def check_presigned(  # noqa: PLR0917 - the parts of one request
    method: str,
    host: str,
    raw_target: str,
    headers: Mapping[str, str],
    credentials: Mapping[str, str],
    now: datetime,
) -> None:
    """Raise :class:`S3Refusal` unless ``raw_target`` (path and query as sent) is a valid presigned URL.

    The signature is computed again with botocore's ``S3SigV4QueryAuth`` over the request as received
    (method, path, the query without ``X-Amz-Signature``, the signed headers), with the secret of the
    access key named in ``X-Amz-Credential``. ``headers`` are the request's, lower-case names.
    """
    target = urlsplit(raw_target)
    pairs = parse_qsl(target.query, keep_blank_values=True)
    query = dict(pairs)
    if "Signature" in query and "X-Amz-Signature" not in query:
        _check_presigned_v2(method, target, query, headers, credentials, now)
        return
    missing = [name for name in (*_AUTH_PARAMETERS, "X-Amz-Signature") if name not in query]
    if missing or query["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise S3Refusal(
            400,
            "AuthorizationQueryParametersError",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )
    scope = query["X-Amz-Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise S3Refusal(
            400, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter."
        )
    access_key, _, region, service, _ = scope
    try:
        signed_at = datetime.strptime(query["X-Amz-Date"], SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        expires = int(query["X-Amz-Expires"])
    except ValueError:
        raise S3Refusal(
            400, "AuthorizationQueryParametersError", "X-Amz-Date or X-Amz-Expires is not valid."
        ) from None
    if not 0 < expires <= MAX_PRESIGNED_EXPIRES_SECONDS:
        raise S3Refusal(
            400,
            "AuthorizationQueryParametersError",
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES_SECONDS}",
        )
    expiry = signed_at + timedelta(seconds=expires)
    if now > expiry:
        raise S3Refusal(
            403,
            "AccessDenied",
            "Request has expired",
            **{
                "X-Amz-Expires": str(expires),
                "Expires": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
    secret = _secret_of(credentials, access_key)
    signed_names = query["X-Amz-SignedHeaders"].split(";")
    unsigned_query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in pairs
        if name != "X-Amz-Signature"
    )
    request = AWSRequest(
        method=method,
        url=f"http://{host}{target.path}?{unsigned_query}",
        headers={name: headers.get(name, "") for name in signed_names if name != "host"},
    )
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = S3SigV4QueryAuth(Credentials(access_key, secret), service, region, expires=expires)
    canonical_request = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical_request)
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, query["X-Amz-Signature"]):
        raise S3Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            AWSAccessKeyId=access_key,
            StringToSign=string_to_sign,
            SignatureProvided=query["X-Amz-Signature"],
            CanonicalRequest=canonical_request,
        )


def _check_presigned_v2(  # noqa: PLR0917 - the parts of one request
    method: str,
    target: Any,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    credentials: Mapping[str, str],
    now: datetime,
) -> None:
    """The same checks for a SigV2 query signature (``AWSAccessKeyId``, ``Expires``, ``Signature``)."""
    try:
        access_key, expires = query["AWSAccessKeyId"], int(query["Expires"])
    except (KeyError, ValueError):
        raise S3Refusal(
            403,
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        ) from None
    if now.timestamp() > expires:
        raise S3Refusal(
            403,
            "AccessDenied",
            "Request has expired",
            Expires=datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    secret = _secret_of(credentials, access_key)
    signed = HTTPHeaders()
    signed["Date"] = str(expires)
    for name, value in headers.items():
        if value and (name.startswith("x-amz-") or name in ("content-type", "content-md5")):
            signed[name] = value
    signer = _ExpiresAt(Credentials(access_key, secret), expires=expires)
    string_to_sign = signer.canonical_string(method, target, signed)  # type: ignore[arg-type]
    if not hmac.compare_digest(signer.sign_string(string_to_sign), query["Signature"]):
        raise S3Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            AWSAccessKeyId=access_key,
            StringToSign=string_to_sign,
            SignatureProvided=query["Signature"],
        )


class _ExpiresAt(HmacV1QueryAuth):
    """botocore's SigV2 query signer with the URL's own ``Expires`` (an epoch second), not now + expires."""

    def _get_date(self) -> str:
        return str(self._expires)  # type: ignore[attr-defined]


def checked_presigned_urls(
    app: WsgiApp,
    credentials: Mapping[str, str] = LOCAL_CREDENTIALS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> WsgiApp:
    """A WSGI app that refuses, as S3 does, S3 requests whose query signature is wrong or expired."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw_target = str(environ.get("REQUEST_URI") or environ.get("RAW_URI") or environ.get("PATH_INFO", ""))
        query = str(environ.get("QUERY_STRING", ""))
        if raw_target.startswith(_CONTROL_PATH):
            return app(environ, start_response)
        credential = dict(parse_qsl(query, keep_blank_values=True)).get("X-Amz-Credential", "")
        query_signed = any(name in query for name in ("X-Amz-Signature", "X-Amz-Credential", "Signature="))
        header_signed = "HTTP_AUTHORIZATION" in environ
        try:
            if query_signed and (credential.split("/")[3:4] == ["s3"] or not credential):
                headers = {
                    key[5:].replace("_", "-").lower(): str(value)
                    for key, value in environ.items()
                    if key.startswith("HTTP_")
                }
                headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
                headers["content-length"] = str(environ.get("CONTENT_LENGTH", ""))
                check_presigned(
                    str(environ["REQUEST_METHOD"]),
                    str(environ.get("HTTP_HOST", "")),
                    raw_target,
                    headers,
                    credentials,
                    clock(),
                )
            elif not query_signed and not header_signed:
                raise S3Refusal(403, "AccessDenied", "Access Denied")
        except S3Refusal as refusal:
            _discard_body(environ)
            body = refusal.xml()
            start_response(
                f"{refusal.status} {'Forbidden' if refusal.status == 403 else 'Bad Request'}",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return app(environ, start_response)

    return wrapped


def _discard_body(environ: dict[str, Any]) -> None:
    """Read the refused request's body, so the connection is not left with unread bytes."""
    stream = environ.get("wsgi.input")
    left = int(environ.get("CONTENT_LENGTH") or 0)
    while stream is not None and left > 0:
        piece = stream.read(min(left, 1 << 20))
        if not piece:
            break
        left -= len(piece)


class MotoServer(ThreadedMotoServer):
    """moto's threaded server serving its application behind :func:`raw_put_bodies` and
    :func:`checked_presigned_urls` (with the local stack's credentials)."""

    def _server_entry(self) -> None:
        app = checked_presigned_urls(raw_put_bodies(DomainDispatcherApplication(create_backend_app)))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
