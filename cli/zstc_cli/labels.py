"""Candidate labels from ``--labels`` or ``--labels-file``, and the steering parameters of a request.

The rule for ``--labels``: labels are comma-separated, each stripped (``"Health, Finance"`` is two
labels; one trailing comma ends the list). A value with spaces but no comma is refused, since
``"Health Finance Career"`` is almost always three labels typed the wrong way: one label with spaces
is ``"Personal Growth,"``. Labels holding commas come from ``--labels-file``: one label per line, or a
CSV whose header is ``label,description`` (the descriptions are then sent as ``label_descriptions``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zstc_cli.errors import CliError, ExitCode

if TYPE_CHECKING:
    from zstc_cli.client.api import HttpApiClient

LABELS_FILE_HEADER = ("label", "description")
"""The header that makes a ``--labels-file`` a CSV of labels and their descriptions."""


@dataclass(frozen=True)
class Labels:
    """Candidate labels in order, and the descriptions a labels file gave (label -> text)."""

    names: list[str]
    descriptions: dict[str, str] = field(default_factory=dict)


def parse_labels(value: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (the API checks the rest: empty, duplicate, too long).

    One trailing comma ends the list (``"Personal Growth,"`` is one label with a space). Raises
    ``CliError`` (exit 2) for a value with spaces and no comma (see the module docstring).
    """
    stripped = value.rstrip()
    if stripped.endswith(","):
        value = stripped[:-1]
    elif "," not in value and len(value.split()) > 1:
        suggestion = ",".join(value.split())
        raise CliError(
            f'--labels "{value}" has spaces but no comma: labels are comma-separated, e.g. '
            f'--labels "{suggestion}"; for one label with spaces end it with a comma '
            f'(--labels "{value.strip()},") or use --labels-file FILE',
            ExitCode.USAGE,
        )
    return [part.strip() for part in value.split(",")]


def read_text(path: Path, name: str) -> str:
    """The UTF-8 text of ``path`` (a BOM dropped); ``CliError`` (exit 1), naming it as ``name``, when it
    cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CliError(f"cannot read {name}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"{name} is not UTF-8 text") from None


def read_labels_file(path: Path) -> Labels:
    """Labels one per line (blank lines skipped, no other parsing), or a ``label,description`` CSV.

    Raises ``CliError`` (exit 1) for an unreadable or empty file, or a CSV row without a label.
    """
    text = read_text(path, f"--labels-file {path}")
    lines = text.splitlines()
    first = next(csv.reader([lines[0]]), []) if lines else []
    if tuple(cell.strip().lower() for cell in first) != LABELS_FILE_HEADER:
        names = [line.strip() for line in lines if line.strip()]
        if not names:
            raise CliError(f"--labels-file {path} has no labels")
        return Labels(names)
    names, descriptions = [], {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number == 1 or not any(cell.strip() for cell in row):
            continue
        if len(row) > len(LABELS_FILE_HEADER) or not row[0].strip():
            raise CliError(f"--labels-file {path} line {number}: expected label,description")
        names.append(row[0].strip())
        if len(row) > 1 and row[1].strip():
            descriptions[row[0].strip()] = row[1].strip()
    if not names:
        raise CliError(f"--labels-file {path} has no labels")
    return Labels(names, descriptions)


def resolve_labels(labels: str | None, labels_file: Path | None) -> Labels | None:
    """The labels ``--labels`` or ``--labels-file`` give (``None`` when neither is given; both: exit 2)."""
    if labels is not None and labels_file is not None:
        raise CliError("use --labels or --labels-file, not both", ExitCode.USAGE)
    if labels_file is not None:
        return read_labels_file(labels_file)
    if labels is not None and labels.strip():
        return Labels(parse_labels(labels))
    return None


def steering(
    labels: Labels | None,
    templates: list[str] | None,
    descriptions: Path | None,
    threshold: float | None,
    evidence: bool,
) -> dict[str, Any]:
    """The request parameters the steering options ask for (only those given).

    Descriptions come from ``--descriptions`` (JSON; keys that are not candidates are left out with a
    note on stderr) or from a ``label,description`` labels file, not both (exit 2).
    """
    parameters: dict[str, Any] = {}
    if templates:
        parameters["hypothesis_template"] = templates[0] if len(templates) == 1 else list(templates)
    if descriptions is not None:
        if labels is None:
            raise CliError(
                "--descriptions needs --labels: descriptions describe candidate labels", ExitCode.USAGE
            )
        if labels.descriptions:
            raise CliError(
                "--labels-file has descriptions already: drop --descriptions or the file's column",
                ExitCode.USAGE,
            )
        from zstc_cli.evaluation.variants import read_label_map  # noqa: PLC0415
        from zstc_cli.output import console  # noqa: PLC0415

        described, skipped = read_label_map(descriptions, labels.names, skip_unknown=True)
        if skipped:
            console(stderr=True).print(
                f"note: {descriptions} describes {', '.join(skipped)}, not among --labels; not sent"
            )
        if described:
            parameters["label_descriptions"] = described
    elif labels is not None and labels.descriptions:
        parameters["label_descriptions"] = dict(labels.descriptions)
    if threshold is not None:
        parameters["threshold"] = threshold
    if evidence:
        parameters["return_evidence"] = True
    return parameters


def pinned_label_set(client: HttpApiClient, reference: str) -> dict[str, Any]:
    """The label set version ``reference`` (``NAME`` or ``NAME@N``) names, read with GET
    /label-sets/{name}: callers send its exact ``label_set`` (``NAME@N``), so every request of one command
    uses one version even if another is created meanwhile. Exit 2 for a malformed reference."""
    from zstc.contract.request import split_label_set_reference  # noqa: PLC0415

    try:
        name, version = split_label_set_reference(reference)
    except ValueError as error:  # the contract's own check, with its message
        raise CliError(f"--label-set {reference}: {error}", ExitCode.USAGE) from None
    return client.get_label_set(name, version)


def refuse_beside_label_set(
    *,
    labels: str | None,
    labels_file: Path | None,
    multi_label: bool,
    templates: list[str] | None,
    descriptions: Path | None,
    threshold: float | None,
) -> None:
    """Exit 2 when a label option is given beside ``--label-set``, which holds the labels and their
    options (``--evidence`` stays per request)."""
    given: dict[str, object] = {
        "--labels": labels,
        "--labels-file": labels_file,
        "--multi-label": multi_label,
        "--template": templates,
        "--descriptions": descriptions,
        "--threshold": threshold,
    }
    beside = [option for option, value in given.items() if value not in (None, False, [])]
    if beside:
        raise CliError(
            f"--label-set holds the labels and their options: drop {', '.join(beside)}", ExitCode.USAGE
        )
