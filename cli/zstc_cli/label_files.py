"""Label set files for ``zstc label-sets create --from FILE``: CSV or YAML, read into POST /label-sets' body.

CSV: a header ``label,description,example`` (description and example optional), one row per example;
a label repeating across rows collects several examples, its description given on any of its rows:

    label,description,example
    Health,"exercise, diet, sleep",run a marathon
    Health,,eat more vegetables
    Finance,"money: saving, debt",pay off my card

YAML: the labels as a list (a name, or a mapping with name/description/examples), and the other label
parameters under their API names:

    labels:
      - name: Health
        description: exercise, diet, sleep
        examples: [run a marathon, eat more vegetables]
      - Finance
    hypothesis_template: This text is about {}.
    multi_label: false
    threshold: 0.5
    note: first cut

The API checks every value (labels, lengths, templates); this module checks only the file's shape. yaml
is imported when a YAML file is read, so ``zstc --version`` does not load it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from zstc_cli.errors import CliError
from zstc_cli.labels import read_text

CSV_COLUMNS = ("label", "description", "example")
"""The columns of a label set CSV (``label`` first; the others optional)."""

YAML_SUFFIXES = (".yaml", ".yml")
YAML_KEYS = frozenset({"labels", "hypothesis_template", "multi_label", "threshold", "note"})
"""The keys a YAML label set file may have."""


def read_label_set_file(path: Path) -> dict[str, Any]:
    """The ``parameters`` (and ``note``, when the file has one) of a create body from ``path``.

    Raises ``CliError`` (exit 1) for an unreadable file or one of the wrong shape, naming the line
    (CSV) or key (YAML).
    """
    text = read_text(path, str(path))
    if path.suffix.lower() in YAML_SUFFIXES:
        return _from_yaml(path, text)
    return _from_csv(path, text)


def _body(
    names: list[str], descriptions: dict[str, str], examples: dict[str, list[str]], **other: Any
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"candidate_labels": names}
    if descriptions:
        parameters["label_descriptions"] = descriptions
    if examples:
        parameters["label_examples"] = examples
    note = other.pop("note", None)
    parameters.update({key: value for key, value in other.items() if value is not None})
    return {"parameters": parameters, **({"note": note} if note is not None else {})}


def _from_csv(path: Path, text: str) -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(text)))
    header = tuple(cell.strip().lower() for cell in rows[0]) if rows else ()
    if (
        not header
        or header[0] != "label"
        or not set(header) <= set(CSV_COLUMNS)
        or len(set(header)) < len(header)
    ):
        raise CliError(f"{path} line 1: the header must be label[,description][,example]")
    names: list[str] = []
    descriptions: dict[str, str] = {}
    examples: dict[str, list[str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise CliError(f"{path} line {number}: {len(row)} cells; the header has {len(header)}")
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        label = cells.get("label", "")
        if not label:
            raise CliError(f"{path} line {number}: the label is empty")
        if label not in names:
            names.append(label)
        description = cells.get("description", "")
        if description:
            if descriptions.get(label, description) != description:
                raise CliError(f"{path} line {number}: a second, different description for {label!r}")
            descriptions[label] = description
        if cells.get("example"):
            examples.setdefault(label, []).append(cells["example"])
    if not names:
        raise CliError(f"{path} has no labels")
    return _body(names, descriptions, examples)


def _from_yaml(path: Path, text: str) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - only when a YAML file is read

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CliError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("labels"), list):
        raise CliError(f"{path}: expected a mapping with a labels list")
    unknown = sorted(str(key) for key in document if key not in YAML_KEYS)
    if unknown:
        raise CliError(f"{path}: unknown key {unknown[0]!r}; expected {', '.join(sorted(YAML_KEYS))}")
    names: list[str] = []
    descriptions: dict[str, str] = {}
    examples: dict[str, list[str]] = {}
    for index, entry in enumerate(document["labels"]):
        where = f"{path}: labels[{index}]"
        if isinstance(entry, str):
            names.append(entry)
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise CliError(f"{where} must be a label or a mapping with a name")
        extra = sorted(str(key) for key in entry if key not in {"name", "description", "examples"})
        if extra:
            raise CliError(f"{where}: unknown key {extra[0]!r}; expected name, description, examples")
        names.append(entry["name"])
        if entry.get("description") is not None:
            descriptions[entry["name"]] = entry["description"]
        if entry.get("examples") is not None:
            if not isinstance(entry["examples"], list):
                raise CliError(f"{where}.examples must be a list of texts")
            examples[entry["name"]] = entry["examples"]
    other = {key: document.get(key) for key in YAML_KEYS - {"labels"}}
    return _body(names, descriptions, examples, **other)
