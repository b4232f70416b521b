"""``zstc``: the composition root of the command line. It registers the command groups and turns every
failure into one line on stderr and an exit code (``zstc_cli.errors.ExitCode``), nothing else.

Usage:
    zstc classify TEXT... --labels "a,b,c"          real-time classification (commands/classify.py)
    zstc jobs submit|status|list|results ...         batch jobs (commands/jobs.py)
    zstc label-sets create|list|show|delete ...      versioned label sets (commands/label_sets.py)
    zstc eval SAMPLE.csv                             which wording of the labels works (commands/eval.py)
    zstc stack env STACK                             a deployed stack's outputs (commands/stack.py)
    zstc console                                     the web console (commands/console.py, console/)
    zstc local up|invoke|events, zstc demo           the offline local stack (commands/local.py, demo.py)

Start-up imports only the command modules (Typer and the standard library); each command imports
what it uses when it runs, so ``zstc --version`` and ``zstc classify`` never load torch, yaml, the
emulator or the engine (tests/e2e/cli/test_startup.py, bench/cli_startup.py).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from zstc_cli.commands import classify, console, demo, evaluate, jobs, label_sets, local, stack
from zstc_cli.errors import CliError, ExitCode
from zstc_cli.options import TargetOptions, examples, target_options

app = typer.Typer(
    name="zstc",
    help="Zero-shot text classification: classify, batch jobs and label evaluation against the "
    "local stack or a deployed one; the local stack itself.",
    epilog=examples(
        'zstc classify "Call my grandparents every Sunday" -l "Family,Finance,Health"',
        "zstc jobs submit tweets.csv --labels-file labels.txt --id-column id --wait",
        "zstc eval examples/resolutions-sample.csv --id-column id --limit 100",
        'zstc --stack-name zstc classify "Run a marathon" -l "Health,Career"',
        "zstc local up",
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version() -> str:
    try:
        return version("zstc")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"zstc {_version()}")
        raise typer.Exit()


@app.callback()
@target_options
def root(
    ctx: typer.Context,
    _version_flag: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    *,
    target: TargetOptions,
) -> None:
    """The target options work before the command (zstc --api-url URL classify) and after it."""
    ctx.obj = target


classify.register(app)
jobs.register(app)
label_sets.register(app)
evaluate.register(app)
stack.register(app)
console.register(app)
local.register(app)
demo.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zstc`` console script; returns the exit code (``ExitCode``)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(sys.argv[1:] if argv is None else argv), prog_name="zstc", standalone_mode=False
        )
    except typer.TyperException as error:  # usage errors: unknown option, missing argument, bad value
        if type(error).__name__ == "NoArgsIsHelpError":  # `zstc jobs`: the group's help, as Click shows it
            print(str(error), file=sys.stderr)
        else:
            print(f"zstc: {_usage_message(error)}", file=sys.stderr)
        return int(getattr(error, "exit_code", ExitCode.USAGE))
    except typer.Abort:  # Ctrl-C outside a command's own handling
        print("zstc: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except CliError as error:
        print(f"zstc: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("zstc: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    return result if isinstance(result, int) else ExitCode.OK


def _usage_message(error: typer.TyperException) -> str:
    """Click's error as one line, with where to look: ``No such option: --x (see zstc jobs --help)``."""
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    context = getattr(error, "ctx", None)
    where = f" (see {context.command_path} --help)" if context is not None else ""
    return " ".join(message.split()) + where


if __name__ == "__main__":
    sys.exit(main())
