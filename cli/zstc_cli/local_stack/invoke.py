"""``zstc local invoke``: one handler in-process with an event, against a running local stack."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from zstc_cli.errors import CliError, UnreachableError
from zstc_local.console import configure, named
from zstc_local.constants import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY, REGION, SESSION_VARIABLES
from zstc_local.context import LocalLambdaContext
from zstc_local.handlers import load_handler
from zstc_local.provision import local_template
from zstc_local.stack import StackSettings

EVENT_SHAPES = {
    "Api": ("an API Gateway REST proxy event (httpMethod, path)", ("httpMethod", "path")),
    "S3": ("an S3 notification event (Records[].s3)", ("Records",)),
    "EventBridgeRule": (
        "an EventBridge event (source, detail-type, detail)",
        ("source", "detail-type", "detail"),
    ),
}
"""The keys an event must have for a function with that event source."""
PROBE_SECONDS = 2.0


def invoke(function: str, event: Path, settings: StackSettings) -> Any:
    """The handler's answer to the event, with the template's environment pointed at the stack.

    Raises ``CliError``: exit 1 for an unreadable event or one of the wrong shape, exit 5 when no
    local stack listens on the ports (the handler would only answer its own 503).
    """
    try:
        document = json.loads(event.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"--event {event}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CliError(f"--event {event} is not a JSON file: {error}") from None
    template = local_template(settings.template_path, settings.parameters)
    spec = template.function(function)
    check_event_shape(document, spec.events, event, function)
    host = settings.host
    parts = {
        "AWS emulator": ("--aws-port", settings.aws_port),
        "model endpoint": ("--model-port", settings.model_port),
        "Lambda Invoke API": ("--lambda-port", settings.lambda_port),
    }
    for part, (flag, port) in parts.items():
        check_listening(host, port, part, flag)
    environment = {
        "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": f"http://{host}:{settings.aws_port}",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://{host}:{settings.model_port}",
        "AWS_ENDPOINT_URL_LAMBDA": f"http://{host}:{settings.lambda_port}",
        **({} if settings.verbose else {"POWERTOOLS_METRICS_DISABLED": "true"}),
    }
    for variable in SESSION_VARIABLES:  # the user's own session never reaches the emulator
        os.environ.pop(variable, None)
    handler = named(
        load_handler(spec, environment), spec.environment.get("POWERTOOLS_SERVICE_NAME", function)
    )
    restore = configure(settings.verbose)
    try:
        return handler(document, LocalLambdaContext(function_name=spec.logical_id))
    finally:
        restore()


def check_listening(host: str, port: int, part: str, flag: str) -> None:
    """Raise ``UnreachableError`` (exit 5) when nothing accepts connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS):
            return
    except OSError:
        raise UnreachableError(
            f"no local stack answers: nothing listens on {host}:{port} (the {part}). Start one with "
            f"`zstc local up`, or pass the ports it runs on ({flag} ...)"
        ) from None


def check_event_shape(document: Any, events: dict[str, Any], path: Path, function: str) -> None:
    """Raise ``CliError`` when the event is not one the function's event sources deliver."""
    kinds = [EVENT_SHAPES[e.get("Type")] for e in events.values() if e.get("Type") in EVENT_SHAPES]
    if not kinds:
        if not isinstance(document, dict):
            raise CliError(f"--event {path}: an event is a JSON object")
        return
    if isinstance(document, dict) and any(all(key in document for key in keys) for _, keys in kinds):
        return
    expected = " or ".join(description for description, _ in kinds)
    raise CliError(f"--event {path} is not an event for {function}: it expects {expected}")
