"""``zstc console``: the web console (Playground, Jobs, Label sets, Evaluate) on 127.0.0.1.

Usage:
    zstc console                         against the local stack (start it with `zstc local up`)
    zstc console --open --port 3110
    zstc --stack-name zstc console       a deployed stack, requests signed here with SigV4
"""

from __future__ import annotations

from typing import Annotated

import typer

from zstc_cli.options import TargetOptions, api_client, examples, target_options
from zstc_cli.ports import CONSOLE_PORT, CONSOLE_PORT_VARIABLE

ConsolePortOption = Annotated[
    int,
    typer.Option(
        "--console-port",
        envvar=CONSOLE_PORT_VARIABLE,
        min=0,
        max=65535,
        help="The console's port on 127.0.0.1 (0: any free port).",
    ),
]
OpenOption = Annotated[bool, typer.Option("--open", help="Open the console's URL in the default browser.")]


@target_options
def console(
    ctx: typer.Context,
    console_port: ConsolePortOption = CONSOLE_PORT,
    open_browser: OpenOption = False,
    *,
    target: TargetOptions,
) -> None:
    """The web console: Playground, Jobs, Label sets, Evaluate.

    Ctrl-C stops it.

    It prints a URL with a token made for this start: only a browser that opened it can use the
    console. The page's API calls go through this process, which signs them (SigV4 or the API key):
    credentials never reach the browser.
    """
    from zstc_cli.console.server import serve_console  # noqa: PLC0415

    serve_console(api_client(ctx, target), console_port, open_browser=open_browser)


def register(app: typer.Typer) -> None:
    """Add ``console`` to the root command."""
    app.command(
        epilog=examples(
            "zstc console",
            "zstc console --open --console-port 3110",
            "zstc --stack-name zstc console",
        )
    )(console)
