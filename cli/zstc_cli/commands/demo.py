"""``zstc demo``: the offline demo. A fresh local stack, classify, a batch job, quality, stop.

Usage:
    zstc demo
    zstc demo --sample-size 100 --api-port 3100 --aws-port 5100 --model-port 8180 --lambda-port 3101
"""

from __future__ import annotations

from typing import Annotated

import typer

from zstc_cli.local_options import LocalStackOptions, local_stack_options
from zstc_cli.options import examples


@local_stack_options()
def demo(
    sample_size: Annotated[int, typer.Option(min=1, max=500, help="Resolutions to classify.")] = 500,
    *,
    stack: LocalStackOptions,
) -> None:
    """The offline demo, end to end on this machine.

    Starts a fresh local stack, classifies, runs a batch job, reports quality, stops.
    """
    from zstc_cli.local_stack.demo import run_demo  # noqa: PLC0415
    from zstc_cli.local_stack.settings import emulator_errors, stack_settings  # noqa: PLC0415

    with emulator_errors():
        code = run_demo(stack_settings(stack), sample_size=sample_size)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root command."""
    app.command(epilog=examples("zstc demo", "zstc demo --sample-size 100 --api-port 3100 --aws-port 5100"))(
        demo
    )
