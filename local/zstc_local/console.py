"""The local stack's console: one readable line per log record by default, JSON with ``--verbose``.

In Lambda each function is its own process with its own ``POWERTOOLS_SERVICE_NAME``. Locally every
function runs in one process and shares one Powertools logger, so each handler call is wrapped to
say which function is running, and a logging filter stamps that function's service name on the record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from zstc_local.handlers import Handler

_SERVICE: ContextVar[str | None] = ContextVar("zstc_local_service", default=None)

_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_HIDDEN_KEYS = frozenset(
    {
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "correlation_id",
        "xray_trace_id",
        "sampling_rate",
    }
)


def named(handler: Handler, service: str) -> Handler:
    """``handler`` that logs as ``service`` while it runs (in whatever thread calls it)."""

    def call(event: dict[str, Any], context: Any) -> Any:
        token = _SERVICE.set(service)
        try:
            return handler(event, context)
        finally:
            _SERVICE.reset(token)

    return call


class ServiceFilter(logging.Filter):
    """Sets ``record.service`` to the running function's service name (Powertools prints extras)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; only stamp it."""
        service = _SERVICE.get()
        if service:
            record.service = service
        return True


class ReadableFormatter(LambdaPowertoolsFormatter):
    """``12:00:01 zstc-api  INFO  classify texts=1 labels=3``: the message and its extra keys.

    A Powertools formatter (so ``append_keys`` and the context injection keep working), printing text.
    """

    def format(self, record: logging.LogRecord) -> str:
        """One line: time, service, level, message, then ``key=value`` for each extra key."""
        extras = " ".join(
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _RECORD_FIELDS and key not in _HIDDEN_KEYS and not key.startswith("_")
        )
        service = getattr(record, "service", None) or record.name
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {service:<20} {record.levelname:<7} {record.getMessage()}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(verbose: bool) -> Callable[[], None]:
    """Stamp service names on the shared Powertools logger; readable lines unless ``verbose``.

    Returns the function that puts the logger back as it was (the stack calls it when it stops).
    """
    from zstc.core.observability import logger  # noqa: PLC0415 - the handlers' shared logger

    handler = logger.registered_handler
    formatter = handler.formatter
    service_filter = ServiceFilter()
    handler.addFilter(service_filter)
    if not verbose:
        handler.setFormatter(ReadableFormatter())

    def restore() -> None:
        handler.removeFilter(service_filter)
        handler.setFormatter(formatter)

    return restore
