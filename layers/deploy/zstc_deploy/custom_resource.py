"""CloudFormation custom resource protocol: exactly one answer per event, whatever happens.

CloudFormation waits (up to an hour) for a PUT to the event's presigned ``ResponseURL``. A handler
that raises, or that Lambda kills at its time limit, would leave the stack hanging, so
:func:`answer_cloudformation` answers SUCCESS or FAILED itself, and a timer answers FAILED shortly
before the invocation's time runs out.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from zstc.core.observability import logger

# CloudFormation rejects responses over 4096 bytes; the reason is what a user reads in the console.
MAX_REASON_CHARS = 1500
# Seconds before Lambda's time limit at which the guard answers FAILED (the PUT itself takes time).
TIMEOUT_MARGIN_SECONDS = 15.0


class InvocationContext(Protocol):
    """The part of the Lambda context the guard needs."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class ResourceResult:
    """A successful Create/Update/Delete: the physical id and the attributes ``Fn::GetAtt`` reads."""

    physical_id: str
    data: Mapping[str, str] = field(default_factory=dict)


CustomResourceHandler = Callable[[Mapping[str, Any]], ResourceResult]


class _Responder:
    """Sends the single response; later attempts (a late handler after the timer) are ignored."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self._event = event
        self._lock = threading.Lock()
        self.sent = False

    def send(self, status: str, reason: str, physical_id: str, data: Mapping[str, str]) -> bool:
        with self._lock:
            if self.sent:
                return False
            self.sent = True
        body = {
            "Status": status,
            "Reason": reason[:MAX_REASON_CHARS],
            "PhysicalResourceId": physical_id,
            "StackId": self._event["StackId"],
            "RequestId": self._event["RequestId"],
            "LogicalResourceId": self._event["LogicalResourceId"],
            "NoEcho": False,
            "Data": dict(data),
        }
        _put_json(self._event["ResponseURL"], body)
        logger.info("answered CloudFormation", extra={"status": status, "physical_id": physical_id})
        return True


def _put_json(url: str, body: Mapping[str, Any]) -> None:
    """PUT the response to the presigned URL (no Content-Type: it is not part of the signature)."""
    if urlsplit(url).scheme not in {"https", "http"}:
        raise ValueError(f"ResponseURL must be an http(s) URL, got {url!r}")
    payload = json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=payload, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(payload))}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def _fallback_physical_id(event: Mapping[str, Any]) -> str:
    """The id to report when a Create fails before one exists (its later Delete must be a no-op)."""
    return str(event.get("PhysicalResourceId") or f"failed-create-{event['RequestId']}")


def answer_cloudformation(
    event: Mapping[str, Any],
    context: InvocationContext,
    handler: CustomResourceHandler,
    *,
    timeout_margin_seconds: float = TIMEOUT_MARGIN_SECONDS,
) -> ResourceResult | None:
    """Run ``handler`` for a custom resource event and answer CloudFormation exactly once.

    SUCCESS with the handler's result; FAILED with the exception's message when it raises (any
    exception); FAILED from a timer when the invocation is about to time out. Returns the result,
    or None when the answer was FAILED.
    """
    responder = _Responder(event)
    physical_id = _fallback_physical_id(event)
    seconds_left = context.get_remaining_time_in_millis() / 1000 - timeout_margin_seconds
    timer = threading.Timer(
        max(seconds_left, 0.0),
        responder.send,
        args=(
            "FAILED",
            f"{event['RequestType']} did not finish within the function's time limit; see its logs",
            physical_id,
            {},
        ),
    )
    timer.daemon = True
    timer.start()
    try:
        result = handler(event)
    except Exception as error:
        logger.exception("custom resource failed", extra={"request_type": event.get("RequestType")})
        responder.send("FAILED", f"{type(error).__name__}: {error}", physical_id, {})
        return None
    finally:
        timer.cancel()
    if not responder.send("SUCCESS", "", result.physical_id, result.data):
        logger.warning("finished after the timeout answer was sent; CloudFormation already saw FAILED")
        return None
    return result
