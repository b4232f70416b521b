"""The local console: each function logs under its own service name; readable lines or Powertools JSON."""

from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any

from aws_lambda_powertools import Logger

from zstc_local.console import ReadableFormatter, ServiceFilter, named


def _logger(service: str, formatter: Any = None) -> tuple[Logger, io.StringIO]:
    """A Powertools logger of its own (Powertools configures one logger per service name once)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = Logger(service=service, logger_handler=handler, logger_formatter=formatter)
    handler.addFilter(ServiceFilter())
    return logger, stream


def test_each_handler_logs_as_its_own_service_in_json() -> None:
    # Given one shared Powertools logger (as every function shares zstc.core.observability locally)
    logger, stream = _logger("zstc-console-json")

    def handler(event: dict[str, Any], context: Any) -> str:
        logger.info("upload handled", extra={"outcome": "started"})
        return "ok"

    # When two functions' handlers log, one in another thread
    named(handler, "zstc-start-batch")({}, None)
    thread = threading.Thread(target=named(handler, "zstc-process-results"), args=({}, None))
    thread.start()
    thread.join()
    logger.info("outside any handler")
    # Then each JSON line carries that function's service, and the logger's own outside handlers
    services = [json.loads(line)["service"] for line in stream.getvalue().splitlines()]
    assert services == ["zstc-start-batch", "zstc-process-results", "zstc-console-json"]


def test_the_readable_console_is_one_line_with_the_extra_keys() -> None:
    logger, stream = _logger("zstc-console-text", ReadableFormatter())
    named(lambda event, context: logger.info("classify", extra={"texts": 2, "labels": 3}), "zstc-api")(
        {}, None
    )
    [line] = stream.getvalue().splitlines()
    assert line.endswith("zstc-api             INFO    classify  texts=2 labels=3")
    assert "{" not in line
