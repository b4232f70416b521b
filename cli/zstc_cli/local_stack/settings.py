"""The emulator's ``StackSettings`` from the command's ``LocalStackOptions``, checked first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zstc_cli.errors import CliError, ExitCode
from zstc_cli.local_options import LocalStackOptions
from zstc_engine.loading import ModelLoadError
from zstc_local.stack import StackError, StackSettings
from zstc_local.template import TEMPLATE_PATH, TemplateError


def stack_settings(options: LocalStackOptions) -> StackSettings:
    """StackSettings from the options; a bad value is a one-line error before anything starts.

    Raises ``CliError``: exit 2 for a malformed ``--parameter`` or ``--model-method``, exit 1 for a
    missing model directory or template.
    """
    parameters = {}
    for item in options.parameter or []:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise CliError(f"--parameter expects NAME=VALUE, got {item!r}", ExitCode.USAGE)
        parameters[name] = value
    if options.model_dir is not None and not Path(options.model_dir).expanduser().is_dir():
        raise CliError(f"--model-dir {options.model_dir}: no such directory (a Hugging Face model directory)")
    if options.model_method is not None and options.model_method not in {"nli", "embedding"}:
        raise CliError(
            f"--model-method must be nli or embedding, got {options.model_method!r}", ExitCode.USAGE
        )
    template = options.template or TEMPLATE_PATH
    if not template.is_file():
        raise CliError(f"--template {template}: no such file")
    return StackSettings(
        host=options.host,
        api_port=options.api_port,
        aws_port=options.aws_port,
        model_port=options.model_port,
        lambda_port=options.lambda_port,
        model_dir=options.model_dir,
        model_method=options.model_method,
        template_path=template,
        parameters=parameters,
        verbose=options.verbose,
    )


@contextmanager
def emulator_errors() -> Iterator[None]:
    """Turn the emulator's and the model loader's errors into one-line ``CliError`` (exit 1)."""
    try:
        yield
    except (StackError, TemplateError, ModelLoadError) as error:
        raise CliError(str(error)) from None
