"""An HTTP client of the zstc API: signing, retries, and one error type for every failed call.

Retries (with exponential backoff and jitter) apply to idempotent calls only: GETs, the PUT of an
upload (the same bytes to the same key), and ``POST /classify``, which changes nothing on the
server. ``POST /jobs`` creates a job, so it is never retried: a retry after a lost answer would
create a second one (docs/decisions.md).
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from zstc.contract import media_types
from zstc_cli.client.target import AuthMode, Target
from zstc_cli.errors import ApiError, CliError, UnreachableError

RETRY_STATUSES = frozenset({429, 503, 504})
"""Answers worth retrying when idempotent: throttled, unavailable, timed out (a 502 model error is not)."""


@dataclass(frozen=True)
class ApiAnswer:
    """An API answer as it came: its status, ``Content-Type`` and body bytes."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class RetryPolicy:
    """How many times an idempotent call is retried and how long it waits between attempts."""

    retries: int = 3
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 8.0

    def delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt`` (1-based), in seconds."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography


class HttpApiClient:
    """Calls the zstc API at ``target`` over HTTP; every failure raises a ``CliError``.

    ``ApiError`` for an error answer of the API (4xx/5xx with its JSON error body), ``UnreachableError``
    when nothing answers or the service at the URL is not a zstc API (it answered HTML, say).
    """

    def __init__(
        self,
        target: Target,
        retry: RetryPolicy | None = None,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target = target
        self.retry = retry or RetryPolicy()
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._credentials: Any = None

    # --- the routes -------------------------------------------------------------------------------

    def classify(self, payload: Mapping[str, Any]) -> Any:
        """POST /classify; the answer (one classification or a list)."""
        return self.request("POST", "/classify", payload, idempotent=True)

    def health(self) -> dict[str, Any]:
        """GET /health (a 503 answer is returned, not raised: it is the report)."""
        return dict(self.request("GET", "/health", accept_statuses={503}))

    def create_job(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /jobs (not retried: it creates a job)."""
        return dict(self.request("POST", "/jobs", body, idempotent=False))

    def get_job(self, job_id: str) -> dict[str, Any]:
        """GET /jobs/{job_id}."""
        return dict(self.request("GET", f"/jobs/{_path_part(job_id)}"))

    def list_jobs(
        self, status: str | None = None, limit: int | None = None, next_token: str | None = None
    ) -> dict[str, Any]:
        """GET /jobs: one page."""
        query = {"status": status, "limit": limit, "next_token": next_token}
        return dict(self.request("GET", "/jobs", query=query))

    def create_label_set(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /label-sets: the new version, or the latest when it has this content already (retried:
        the API answers a repeated create with the version it made)."""
        return dict(self.request("POST", "/label-sets", body, idempotent=True))

    def get_label_set(self, name: str, version: int | None = None) -> dict[str, Any]:
        """GET /label-sets/{name}: the latest version, or ``version``."""
        return dict(self.request("GET", f"/label-sets/{_path_part(name)}", query={"version": version}))

    def list_label_sets(self, limit: int | None = None, next_token: str | None = None) -> dict[str, Any]:
        """GET /label-sets: one page (``label_sets``, ``next_token``)."""
        return dict(self.request("GET", "/label-sets", query={"limit": limit, "next_token": next_token}))

    def delete_label_set(self, name: str) -> dict[str, Any]:
        """DELETE /label-sets/{name} (not retried: a retry after a lost answer would be a 404)."""
        return dict(self.request("DELETE", f"/label-sets/{_path_part(name)}", idempotent=False))

    def results(self, job_id: str, page_size: int) -> Iterator[dict[str, Any]]:
        """Every result of a job in input order, following ``next_token`` page by page."""
        token: str | None = None
        while True:
            page = self.request(
                "GET",
                f"/jobs/{_path_part(job_id)}/results",
                query={"limit": page_size, "next_token": token},
            )
            yield from page["results"]
            token = page.get("next_token")
            if not token:
                return

    def upload(self, url: str, path: Path, content_type: str) -> None:
        """PUT the file to a presigned URL (the URL carries its own signature: never signed here)."""

        def attempt() -> None:
            with path.open("rb") as body:
                request = urllib.request.Request(
                    url,
                    data=body,
                    method="PUT",
                    headers={"Content-Type": content_type, "Content-Length": str(path.stat().st_size)},
                )
                with urllib.request.urlopen(request, timeout=self.timeout_seconds):
                    return

        self._with_retries("PUT", "upload URL", attempt, idempotent=True, error=_upload_error)

    def forward(self, method: str, path: str, body: bytes | None = None) -> ApiAnswer:
        """Send ``body`` (JSON bytes) to ``path`` (with its query) as it is, signed; the answer as it is.

        The web console's way through (``zstc_cli.console``): an HTTP error answer is returned, not
        raised, so the page reads the API's own error body. GETs are retried on network errors only.
        Raises ``UnreachableError`` when nothing answers.
        """
        url = f"{self.target.api_url}{path}"

        def attempt() -> ApiAnswer:
            try:
                with urllib.request.urlopen(
                    self._json_request(method, url, body), timeout=self.timeout_seconds
                ) as response:
                    return ApiAnswer(
                        response.status, response.headers.get("Content-Type") or "", response.read()
                    )
            except urllib.error.HTTPError as error:
                with error:
                    return ApiAnswer(error.code, error.headers.get("Content-Type") or "", error.read())

        answer: ApiAnswer = self._with_retries(method, path, attempt, idempotent=method == "GET")
        return answer

    # --- plumbing ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        accept_statuses: frozenset[int] | set[int] = frozenset(),
    ) -> Any:
        """Send one API call and decode its JSON answer; retried when ``idempotent`` (GET by default)."""
        pairs = {key: value for key, value in (query or {}).items() if value is not None}
        url = f"{self.target.api_url}{path}" + (f"?{urlencode(pairs)}" if pairs else "")
        data = json.dumps(body).encode("utf-8") if body is not None else None

        def attempt() -> Any:
            try:
                with urllib.request.urlopen(
                    self._json_request(method, url, data), timeout=self.timeout_seconds
                ) as response:
                    return self._decode(response.status, response.headers, response.read())
            except urllib.error.HTTPError as error:
                if error.code in accept_statuses:
                    return self._decode(error.code, error.headers, error.read())
                raise

        return self._with_retries(
            method, path, attempt, idempotent=method == "GET" if idempotent is None else idempotent
        )

    def _json_request(self, method: str, url: str, data: bytes | None) -> urllib.request.Request:
        """A signed request accepting JSON, with ``data`` as its JSON body."""
        headers = {"Accept": media_types.JSON}
        if data is not None:
            headers["Content-Type"] = media_types.JSON
        return urllib.request.Request(
            url, data=data, method=method, headers=self._signed(method, url, data, headers)
        )

    def _decode(self, status: int, headers: Any, raw: bytes) -> Any:
        """The JSON of a zstc answer; ``UnreachableError`` when the answer is not JSON (another service)."""
        content_type = headers.get("Content-Type") or ""
        if content_type.split(";")[0].strip().lower() == media_types.JSON:
            try:
                return json.loads(raw or b"null")
            except ValueError:
                pass
        raise not_zstc(self.target.api_url, status, content_type, raw)

    def _with_retries(
        self,
        method: str,
        path: str,
        attempt: Callable[[], Any],
        *,
        idempotent: bool,
        error: Callable[[str, str, urllib.error.HTTPError], CliError] | None = None,
    ) -> Any:
        to_error = error or partial(_api_error, self.target.api_url)
        tries = 1 + (self.retry.retries if idempotent else 0)
        for number in range(1, tries + 1):
            try:
                return attempt()
            except urllib.error.HTTPError as failure:
                if number < tries and failure.code in RETRY_STATUSES:
                    failure.close()
                    self._sleep(self.retry.delay(number))
                    continue
                raise to_error(method, path, failure) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as failure:
                if number < tries:
                    self._sleep(self.retry.delay(number))
                    continue
                reason = getattr(failure, "reason", failure)
                hint = (
                    "; start it with `zstc local up`, or name another with --api-url / --stack-name"
                    if self.target.is_local
                    else ""
                )
                raise UnreachableError(
                    f"{method} {path}: cannot reach the API at {self.target.api_url} ({reason}){hint}"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _signed(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> dict[str, str]:
        if self.target.auth is AuthMode.API_KEY:
            return {**headers, "x-api-key": self.target.api_key or ""}
        if self.target.auth is not AuthMode.SIGV4:
            return headers
        from botocore.auth import SigV4Auth  # noqa: PLC0415 - only deployed stacks need it
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415

        credentials = self._aws_credentials()
        aws_request = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(credentials, "execute-api", self._region()).add_auth(aws_request)
        return dict(aws_request.headers.items())

    def _aws_credentials(self) -> Any:
        if self._credentials is None:
            import boto3  # noqa: PLC0415

            credentials = boto3.Session().get_credentials()
            if credentials is None:
                raise CliError(
                    "no AWS credentials found (environment, ~/.aws, SSO, instance role) to sign with "
                    "SigV4; configure them, or pass --api-key for an API_KEY stack",
                    exit_code=None,
                )
            self._credentials = credentials.get_frozen_credentials()
        return self._credentials

    def _region(self) -> str:
        if self.target.region:
            return self.target.region
        import boto3  # noqa: PLC0415

        region = boto3.Session().region_name
        if not region:
            raise CliError("cannot tell the API's region from its URL: pass --region or set AWS_REGION")
        return str(region)


def _path_part(value: str) -> str:
    """A job id or label set name as one URL path segment (a stray ``/`` or ``?`` cannot change the route)."""
    return quote(value, safe="")


def not_zstc(api_url: str, status: int, content_type: str, raw: bytes) -> UnreachableError:
    """The error for an answer that is not the zstc API's: the URL names another service."""
    kind = content_type.split(";", maxsplit=1)[0].strip() or "no Content-Type"
    text = " ".join(raw.decode("utf-8", "replace").split())[:80]
    return UnreachableError(
        f"the service at {api_url} is not a zstc API (got {kind}, HTTP {status}: {text!r}); "
        "check --api-url / ZSTC_API_URL"
    )


def _api_error(api_url: str, method: str, path: str, failure: urllib.error.HTTPError) -> CliError:
    """The one-line error for an API answer: our JSON error body, API Gateway's, else not a zstc API."""
    raw = failure.read()
    failure.close()
    route = urlsplit(path).path
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        details = error.get("details")
        if not isinstance(details, list) or not all(isinstance(detail, dict) for detail in details):
            details = []
        return ApiError(
            method, route, failure.code, str(error.get("code")), str(error.get("message")), details=details
        )
    if isinstance(body, dict) and "message" in body:  # API Gateway's own answers (403, 429, ...)
        code = failure.headers.get("x-amzn-ErrorType", "gateway_error").split(":")[0]
        return ApiError(method, route, failure.code, code, str(body["message"]))
    return not_zstc(api_url, failure.code, failure.headers.get("Content-Type") or "", raw)


def _upload_error(method: str, path: str, failure: urllib.error.HTTPError) -> CliError:
    """S3 answers a presigned PUT with XML: ``<Error><Code>...<Message>...``."""
    raw = failure.read()
    failure.close()
    code, message = "upload_failed", raw.decode("utf-8", "replace")[:200]
    try:
        root = ET.fromstring(raw)  # noqa: S314 - S3's answer to our own request
        code = root.findtext("Code") or code
        message = root.findtext("Message") or message
    except ET.ParseError:
        pass
    hint = ""
    if "expired" in message.lower():
        hint = "; upload URLs are valid for 15 minutes: create a new job with `zstc jobs submit`"
    return ApiError(method, path, failure.code, code, message + hint)
