"""``zstc label-sets``: named, versioned label sets. Create a version from a file, list, show, delete.

Usage:
    zstc label-sets create intents --from labels.csv --note "first cut"
    zstc label-sets list
    zstc label-sets show intents@2
    zstc label-sets delete intents
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from zstc_cli.options import JsonOption, TargetOptions, api_client, examples, target_options

label_sets_app = typer.Typer(
    help="Versioned label sets: labels, descriptions, examples, options.",
    no_args_is_help=True,
    epilog=examples(
        "zstc label-sets create intents --from labels.csv",
        "zstc label-sets show intents@1",
        'zstc classify "I lost my card" --label-set intents',
    ),
)


@target_options
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The set's name (a new name is version 1).")],
    from_file: Annotated[
        Path,
        typer.Option(
            "--from", help="A CSV (label,description,example rows) or YAML file.", show_default=False
        ),
    ],
    note: Annotated[str | None, typer.Option(help="What this version changes.", show_default=False)] = None,
    expected_version: Annotated[
        int | None,
        typer.Option(
            min=0, help="Create only if the latest version is this one (0: a new name).", show_default=False
        ),
    ] = None,
    as_json: JsonOption = False,
    *,
    target: TargetOptions,
) -> None:
    """Create a label set, or its next version (POST /label-sets).

    The same content as the latest version creates nothing and prints that version.
    """
    from zstc_cli.label_files import read_label_set_file  # noqa: PLC0415
    from zstc_cli.output import console  # noqa: PLC0415

    body: dict[str, Any] = {"name": name, **read_label_set_file(from_file)}
    if note is not None:
        body["note"] = note
    if expected_version is not None:
        body["expected_version"] = expected_version
    view = api_client(ctx, target).create_label_set(body)
    if as_json:
        console().print_json(json.dumps(view))
        return
    labels = len(view["parameters"]["candidate_labels"])
    console().print(view["label_set"])
    console(stderr=True).print(f"{view['label_set']}: {labels} labels, created {view['created_at']}")


@target_options
def list_sets(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Sets per page.")] = 100,
    as_json: JsonOption = False,
    *,
    target: TargetOptions,
) -> None:
    """Label sets by name, with their latest version (GET /label-sets).

    Every page is read.
    """
    from rich.table import Table  # noqa: PLC0415

    from zstc_cli.output import console  # noqa: PLC0415

    client = api_client(ctx, target)
    sets: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = client.list_label_sets(limit, token)
        sets += page["label_sets"]
        token = page.get("next_token")
        if not token:
            break
    if as_json:
        console().print_json(json.dumps(sets))
        return
    if not sets:
        console().print("no label sets")
        return
    table = Table("name", "latest", "labels", "created", "note")
    for each in sets:
        table.add_row(
            each["name"],
            str(each["latest_version"]),
            str(each["labels"]),
            each["created_at"],
            each.get("note") or "",
        )
    console().print(table)


@target_options
def show(
    ctx: typer.Context,
    reference: Annotated[
        str, typer.Argument(help="NAME (the latest version) or NAME@N.", metavar="NAME[@N]")
    ],
    *,
    target: TargetOptions,
) -> None:
    """A version of a label set as JSON (GET /label-sets/{name})."""
    from zstc_cli.labels import pinned_label_set  # noqa: PLC0415
    from zstc_cli.output import console  # noqa: PLC0415

    console().print_json(json.dumps(pinned_label_set(api_client(ctx, target), reference)))


@target_options
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The set's name (every version is deleted).")],
    *,
    target: TargetOptions,
) -> None:
    """Delete a label set (DELETE /label-sets/{name}).

    Jobs created with it keep their copy; new requests naming it get 404.
    """
    from zstc_cli.output import console  # noqa: PLC0415

    deleted = api_client(ctx, target).delete_label_set(name)
    console(stderr=True).print(f"label set {name} deleted ({deleted['deleted_versions']} versions)")


def register(app: typer.Typer) -> None:
    """Add the ``label-sets`` group to the root command."""
    label_sets_app.command(
        "create",
        epilog=examples(
            "zstc label-sets create intents --from labels.csv",
            'zstc label-sets create intents --from intents.yaml --note "clearer wording"',
        ),
    )(create)
    label_sets_app.command("list", epilog=examples("zstc label-sets list", "zstc label-sets list --json"))(
        list_sets
    )
    label_sets_app.command(
        "show", epilog=examples("zstc label-sets show intents", "zstc label-sets show intents@2")
    )(show)
    label_sets_app.command("delete", epilog=examples("zstc label-sets delete intents"))(delete)
    app.add_typer(label_sets_app, name="label-sets")
