"""The options of the commands that run or reach the local stack, as one object.

``zstc local up``, ``local invoke``, ``local events`` and ``demo`` take the same port flags (and
environment variables) from :class:`LocalStackOptions`; ``local_stack.settings`` turns it into the
emulator's ``StackSettings``. Nothing here imports the emulator: these options are read at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar

import typer

from zstc_cli.options import option_group
from zstc_cli.ports import DEFAULT_PORTS, PORT_VARIABLES, Part

F = TypeVar("F")

PORTS_PANEL = "Local stack"


def _port(part: Part, what: str) -> Any:
    return typer.Option(envvar=PORT_VARIABLES[part], help=f"{what} port.", rich_help_panel=PORTS_PANEL)


@dataclass(frozen=True)
class LocalStackOptions:
    """Where the local stack listens, what it serves and how it logs."""

    host: Annotated[str, typer.Option(help="Address every part listens on.", rich_help_panel=PORTS_PANEL)] = (
        "127.0.0.1"
    )
    api_port: Annotated[int, _port("api", "Local API")] = DEFAULT_PORTS["api"]
    aws_port: Annotated[int, _port("aws", "AWS emulator (moto)")] = DEFAULT_PORTS["aws"]
    model_port: Annotated[int, _port("model", "Local model endpoint")] = DEFAULT_PORTS["model"]
    lambda_port: Annotated[int, _port("lambda", "Local Lambda Invoke API")] = DEFAULT_PORTS["lambda"]
    model_dir: Annotated[
        str | None,
        typer.Option(
            envvar="ZSTC_MODEL_DIR",
            help="A local Hugging Face model directory (default: the offline MiniLM).",
            show_default=False,
        ),
    ] = None
    model_method: Annotated[
        str | None,
        typer.Option(
            envvar="ZSTC_MODEL_METHOD",
            help="nli or embedding (default: from the model's config).",
            show_default=False,
        ),
    ] = None
    template: Annotated[
        Path | None,
        typer.Option(help="SAM template (default: this checkout's template.yaml).", show_default=False),
    ] = None
    parameter: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME=VALUE", help="Template parameter override (repeat).", show_default=False),
    ] = None
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Handlers' JSON logs and EMF metrics instead of short lines."),
    ] = False


MODEL_FIELDS: Final = ("model_dir", "model_method")
WIRING_FIELDS: Final = ("template", "parameter", "verbose")


def local_stack_options(*, without: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Add the local stack's options (but ``without``) to a command taking ``stack: LocalStackOptions``."""
    return option_group("stack", LocalStackOptions, without=without)  # type: ignore[return-value]
