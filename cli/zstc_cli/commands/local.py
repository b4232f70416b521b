"""``zstc local``: the offline local stack (no AWS account, no Docker): start, invoke, make events.

Usage:
    zstc local up --api-port 3100 --aws-port 5100
    zstc local invoke ApiFunction --event events/api/classify_single.json
    zstc local events --out-dir events/local
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zstc_cli.commands.console import ConsolePortOption
from zstc_cli.local_options import MODEL_FIELDS, WIRING_FIELDS, LocalStackOptions, local_stack_options
from zstc_cli.options import examples
from zstc_cli.ports import CONSOLE_PORT

local_app = typer.Typer(
    help="The offline local stack (no AWS account, no Docker).",
    no_args_is_help=True,
    epilog=examples(
        "zstc local up",
        "zstc local invoke ApiFunction --event events/api/classify_single.json",
        "zstc local events --out-dir events/local",
    ),
)


@local_stack_options()
def up(
    with_console: Annotated[
        bool, typer.Option("--console", help="Start the web console beside it (docs/console.md).")
    ] = False,
    console_port: ConsolePortOption = CONSOLE_PORT,
    *,
    stack: LocalStackOptions,
) -> None:
    """Start the local stack; Ctrl-C stops it.

    Ctrl-C or SIGTERM stops it; its state (jobs, uploads, results) is in memory only. With --console,
    the web console serves it too and prints its URL.
    """
    from zstc_cli.local_stack.settings import stack_settings  # noqa: PLC0415
    from zstc_cli.local_stack.up import serve  # noqa: PLC0415

    serve(stack_settings(stack), console_port if with_console else None)


@local_stack_options(without=MODEL_FIELDS)
def invoke(
    function: Annotated[
        str, typer.Argument(help="The function's logical id in the template, e.g. ApiFunction.")
    ],
    event: Annotated[Path, typer.Option(help="A JSON event file, e.g. events/api/classify_single.json.")],
    *,
    stack: LocalStackOptions,
) -> None:
    """Run one handler with an event, against a running stack.

    The handler runs in this process (sam local invoke's twin, without Docker).

    It prints the handler's answer and exits 0 whatever the answer says (as sam local invoke does);
    exit 5 when no local stack listens on the ports.
    """
    from zstc_cli.local_stack.invoke import invoke as run  # noqa: PLC0415
    from zstc_cli.local_stack.settings import emulator_errors, stack_settings  # noqa: PLC0415

    with emulator_errors():
        result = run(function, event, stack_settings(stack))
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))


@local_stack_options(without=MODEL_FIELDS + WIRING_FIELDS)
def events(
    out_dir: Annotated[
        Path, typer.Option(help="Where to write s3_put.json and transform_completed.json.")
    ] = Path("events/local"),
    *,
    stack: LocalStackOptions,
) -> None:
    """Write a real job's S3 and transform events.

    Runs a 3-record job on the running local stack; replay the events with local invoke.
    """
    from zstc_cli.local_stack.events import generate  # noqa: PLC0415
    from zstc_cli.output import console  # noqa: PLC0415

    for path in generate(
        f"http://{stack.host}:{stack.api_port}", f"http://{stack.host}:{stack.aws_port}", out_dir
    ):
        console().print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add the ``local`` group to the root command."""
    local_app.command(
        "up",
        epilog=examples(
            "zstc local up",
            "zstc local up --console",
            "zstc local up --api-port 3100 --aws-port 5100 --model-port 8180",
            "zstc local up --model-dir ~/models/bart-large-mnli --verbose",
        ),
    )(up)
    local_app.command(
        "invoke",
        epilog=examples(
            "zstc local invoke ApiFunction --event events/api/classify_single.json",
            "zstc local invoke StartBatchFunction --event events/local/s3_put.json",
        ),
    )(invoke)
    local_app.command(
        "events",
        epilog=examples(
            "zstc local events --out-dir events/local",
            "zstc local events --api-port 3100 --aws-port 5100",
        ),
    )(events)
    app.add_typer(local_app, name="local")
