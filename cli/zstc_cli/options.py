"""The options several commands share, declared once: ``Annotated`` types and option groups.

An **option group** is a frozen dataclass whose fields are ``Annotated[T, typer.Option(...)]`` with
defaults. :func:`option_group` puts its fields on a command as options and hands the command one
object: the target options (:class:`TargetOptions`) go on the root and on every API command (so
``zstc classify ... --api-url URL`` works as ``zstc --api-url URL classify ...`` does), the local
stack's ports on ``local up|invoke|events`` and ``demo`` (``zstc_cli.local_stack.options``).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from zstc_cli.client.target import AuthMode

if TYPE_CHECKING:
    from zstc_cli.client.api import HttpApiClient

F = TypeVar("F", bound=Callable[..., Any])

TARGET_PANEL = "Target (before or after the command)"


@dataclasses.dataclass(frozen=True)
class TargetOptions:
    """Which API the command calls and how (``None``: not given here; see :meth:`over`)."""

    api_url: Annotated[
        str | None,
        typer.Option(
            help="Base URL of the API (env ZSTC_API_URL; default: the local stack, port ZSTC_API_PORT).",
            rich_help_panel=TARGET_PANEL,
            show_default=False,
        ),
    ] = None
    stack_name: Annotated[
        str | None,
        typer.Option(
            help="Read the API URL from this deployed stack's ApiUrl output.",
            envvar="ZSTC_STACK_NAME",
            rich_help_panel=TARGET_PANEL,
            show_default=False,
        ),
    ] = None
    api_key: Annotated[
        str | None,
        typer.Option(
            help="Send x-api-key (ApiAuth=API_KEY stacks; env ZSTC_API_KEY).",
            rich_help_panel=TARGET_PANEL,
            show_default=False,
        ),
    ] = None
    auth: Annotated[
        AuthMode | None,
        typer.Option(
            help="auto (default): api-key if a key is given, none for a local URL, else SigV4.",
            rich_help_panel=TARGET_PANEL,
            show_default=False,
        ),
    ] = None
    region: Annotated[
        str | None,
        typer.Option(
            help="AWS region for SigV4 and --stack-name (default: from the URL).",
            rich_help_panel=TARGET_PANEL,
            show_default=False,
        ),
    ] = None
    retries: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=10,
            help="Retries of idempotent calls on network errors, 429, 503, 504 (default 3).",
            rich_help_panel=TARGET_PANEL,
            show_default=False,
        ),
    ] = None

    def over(self, outer: TargetOptions | None) -> TargetOptions:
        """These options, each one not given here taken from ``outer`` (the root's)."""
        if outer is None:
            return self
        mine = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return TargetOptions(
            **{key: getattr(outer, key) if value is None else value for key, value in mine.items()}
        )


def option_group(name: str, group: type[Any], *, without: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Replace the command's parameter ``name`` (annotated ``group``) by ``group``'s fields as options.

    The command is called with ``name=group(**those options)``; the fields in ``without`` are not
    options of this command and keep their defaults. Field names must not clash with the command's
    own parameters.
    """
    hints = typing.get_type_hints(group, include_extras=True)
    fields = [field for field in dataclasses.fields(group) if field.name not in without]

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [parameter for parameter in signature.parameters.values() if parameter.name != name]
        clash = {field.name for field in fields} & {parameter.name for parameter in own}
        if clash or name not in signature.parameters:
            raise TypeError(f"{command.__name__}: cannot add option group {name}: {clash or 'no parameter'}")
        added = [
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=hints[field.name],
                default=field.default,
            )
            for field in fields
        ]
        positional = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        keyword = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]

        @functools.wraps(command)
        def call(*args: Any, **kwargs: Any) -> Any:
            values = {field.name: kwargs.pop(field.name) for field in fields}
            return command(*args, **kwargs, **{name: group(**values)})

        parameters = [*positional, *keyword, *added]
        call.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        call.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
        del call.__wrapped__  # typer reads the signature above, not the wrapped function's
        return typing.cast(F, call)

    return decorate


def target_options(command: F) -> F:
    """Add the target options to a command that takes ``target: TargetOptions``."""
    return option_group("target", TargetOptions)(command)


# --- the request options of classify, jobs submit and eval -----------------------------------------

LabelsOption = Annotated[
    str | None,
    typer.Option(
        "--labels",
        "-l",
        help='Candidate labels, comma-separated: "Health,Finance,Career".',
        show_default=False,
    ),
]
LabelsFileOption = Annotated[
    Path | None,
    typer.Option(
        help="Labels one per line (commas allowed), or a CSV with a label,description header.",
        show_default=False,
    ),
]
MultiLabelOption = Annotated[bool, typer.Option(help="Score each label on its own.")]
LabelSetOption = Annotated[
    str | None,
    typer.Option(
        "--label-set",
        help="A label set instead of the label options: NAME (its latest version) or NAME@N.",
        show_default=False,
    ),
]
TemplatesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--template",
        "-t",
        help='Hypothesis template with one {}, e.g. "This text is about {}."; repeat for an ensemble.',
        show_default=False,
    ),
]
DescriptionsOption = Annotated[
    Path | None,
    typer.Option(
        help='JSON {"label": "description"}: hypotheses built from descriptions.', show_default=False
    ),
]
ThresholdOption = Annotated[
    float | None,
    typer.Option(min=0, max=1, help="Add predicted_labels: labels at or above it.", show_default=False),
]
EvidenceOption = Annotated[
    bool, typer.Option("--evidence", help="Add each label's best text window and its score.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON.")]
PollSecondsOption = Annotated[float, typer.Option(min=0.1, help="Seconds between status checks.")]


def api_client(ctx: typer.Context, target: TargetOptions) -> HttpApiClient:
    """The HTTP client of the API the options name: the command's own over the root's (``zstc --x``)."""
    from zstc_cli.client.api import HttpApiClient, RetryPolicy  # noqa: PLC0415
    from zstc_cli.client.target import resolve_target  # noqa: PLC0415

    root = ctx.find_root().obj
    options = target.over(root if isinstance(root, TargetOptions) else None)
    resolved = resolve_target(
        options.api_url, options.stack_name, options.api_key, options.auth, options.region
    )
    return HttpApiClient(resolved, RetryPolicy(retries=3 if options.retries is None else options.retries))


def examples(*lines: str) -> str:
    """A command's ``--help`` epilog: one example command per line, never re-wrapped."""
    return "Examples:\n\n\b\n" + "\n".join(f"$ {line}" for line in lines)
