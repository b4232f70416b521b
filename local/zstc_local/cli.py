"""``zstc``: the local stack's command line.

``zstc local up``  start the moto server, the local model endpoint and the local API; Ctrl-C stops.
``zstc demo``      the offline main job: start the stack, classify, report quality, stop.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from zstc_local.constants import (
    DEFAULT_API_PORT,
    DEFAULT_AWS_PORT,
    DEFAULT_LAMBDA_PORT,
    DEFAULT_MODEL_PORT,
    REGION,
)
from zstc_local.stack import LocalStack, StackError, StackSettings
from zstc_local.summary import describe
from zstc_local.template import TEMPLATE_PATH, TemplateError


def _stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address every part listens on (default %(default)s)"
    )
    parser.add_argument(
        "--api-port", type=int, default=DEFAULT_API_PORT, help="local API (default %(default)s)"
    )
    parser.add_argument(
        "--aws-port", type=int, default=DEFAULT_AWS_PORT, help="AWS emulator, moto (default %(default)s)"
    )
    parser.add_argument(
        "--model-port",
        type=int,
        default=DEFAULT_MODEL_PORT,
        help="local model endpoint (default %(default)s)",
    )
    parser.add_argument(
        "--lambda-port",
        type=int,
        default=DEFAULT_LAMBDA_PORT,
        help="local Lambda Invoke API (default %(default)s)",
    )
    parser.add_argument(
        "--model-dir",
        help="a local Hugging Face model directory (env ZSTC_MODEL_DIR; default: the offline MiniLM)",
    )
    parser.add_argument(
        "--model-method",
        choices=["nli", "embedding"],
        help="scoring method (env ZSTC_MODEL_METHOD; default: from the model's config)",
    )
    parser.add_argument(
        "--template", type=Path, default=TEMPLATE_PATH, help="SAM template (default: the repo's)"
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="template parameter override (repeatable)",
    )


def _settings(args: argparse.Namespace) -> StackSettings:
    parameters = {}
    for item in args.parameter:
        name, separator, value = item.partition("=")
        if not separator:
            raise SystemExit(f"--parameter expects NAME=VALUE, got {item!r}")
        parameters[name] = value
    return StackSettings(
        host=args.host,
        api_port=args.api_port,
        aws_port=args.aws_port,
        model_port=args.model_port,
        lambda_port=args.lambda_port,
        model_dir=args.model_dir,
        model_method=args.model_method,
        template_path=args.template,
        parameters=parameters,
    )


def local_up(args: argparse.Namespace) -> int:
    """Run the stack until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack = LocalStack(_settings(args))
    stack.start()
    try:
        print(describe(stack), flush=True)
        print("Ctrl-C to stop.", flush=True)
        stop.wait()
    finally:
        print("stopping...", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return 0


def local_invoke(args: argparse.Namespace) -> int:
    """Run one handler in-process with the template's environment against a running local stack."""
    from zstc_local.context import LocalLambdaContext  # noqa: PLC0415
    from zstc_local.handlers import load_handler  # noqa: PLC0415
    from zstc_local.provision import local_template  # noqa: PLC0415

    settings = _settings(args)
    template = local_template(settings.template_path, settings.parameters)
    spec = template.function(args.function)
    event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    host = settings.host
    environment = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": f"http://{host}:{settings.aws_port}",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://{host}:{settings.model_port}",
        "AWS_ENDPOINT_URL_LAMBDA": f"http://{host}:{settings.lambda_port}",
    }
    handler = load_handler(spec, environment)
    result = handler(event, LocalLambdaContext(function_name=spec.logical_id))
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


def demo(args: argparse.Namespace) -> int:
    """The offline main job."""
    from zstc_local.demo import run_demo  # noqa: PLC0415

    return run_demo(_settings(args), sample_size=args.sample_size)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zstc`` console script."""
    parser = argparse.ArgumentParser(prog="zstc", description="zstc local tooling")
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="the local stack").add_subparsers(
        dest="local_command", required=True
    )
    up = local.add_parser("up", help="start the local stack (Ctrl-C stops it)")
    _stack_arguments(up)
    up.set_defaults(run=local_up)
    invoke = local.add_parser(
        "invoke", help="run one function's handler with an event (sam local invoke's twin)"
    )
    invoke.add_argument("function", help="the function's logical id in the template, e.g. ApiFunction")
    invoke.add_argument(
        "--event", required=True, help="a JSON event file, e.g. events/api/classify_single.json"
    )
    _stack_arguments(invoke)
    invoke.set_defaults(run=local_invoke)
    demo_parser = commands.add_parser("demo", help="run the offline demo against a fresh local stack")
    _stack_arguments(demo_parser)
    demo_parser.add_argument("--sample-size", type=int, default=500, help="resolutions to classify (max 500)")
    demo_parser.set_defaults(run=demo)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        return int(args.run(args))
    except (StackError, TemplateError) as error:
        print(f"zstc: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
