"""``zstc stack env``: a deployed stack's outputs as shell exports the other commands read.

Usage:
    eval "$(zstc stack env zstc)"
    zstc stack env zstc --region eu-west-1
"""

from __future__ import annotations

from typing import Annotated

import typer

from zstc_cli.options import examples

STACK_EXAMPLES = examples('eval "$(zstc stack env zstc)"', "zstc stack env zstc --region eu-west-1")
stack_app = typer.Typer(help="A deployed stack's outputs.", no_args_is_help=True, epilog=STACK_EXAMPLES)


def env(
    stack_name: Annotated[str, typer.Argument(help="The deployed stack's name (sam deploy's stack_name).")],
    region: Annotated[
        str | None, typer.Option(help="The stack's region (default: AWS_REGION).", show_default=False)
    ] = None,
) -> None:
    """Print the stack's outputs as shell exports.

    Use: eval "$(zstc stack env zstc)".
    """
    import shlex  # noqa: PLC0415

    from zstc_cli.client.target import STACK_OUTPUT_VARIABLES, stack_outputs  # noqa: PLC0415

    outputs = stack_outputs(stack_name, region)
    for key, value in sorted(outputs.items()):
        variable = STACK_OUTPUT_VARIABLES.get(key, f"ZSTC_{_snake(key).upper()}")
        typer.echo(f"export {variable}={shlex.quote(value)}")


def _snake(name: str) -> str:
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name)).lower()


def register(app: typer.Typer) -> None:
    """Add the ``stack`` group to the root command."""
    stack_app.command("env", epilog=STACK_EXAMPLES)(env)
    app.add_typer(stack_app, name="stack")
