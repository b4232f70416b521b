"""``zstc eval``: which wording of my labels works? Classify a labelled sample once per variant.

A **variant** is a set of request parameters: extra ``parameters`` of the classify contract
(``hypothesis_template``, ``multi_label``, and whatever options the contract grows) plus the text
sent for each class as its candidate label (a phrasing, or a description used as the label). The
prediction is the class whose label text scored highest. Any option the contract adds becomes a
variant with no code here: ``--variants file.json`` passes ``parameters`` through as they are.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zstc.contract.request import label_identity
from zstc_cli.client.chunks import request_chunks
from zstc_cli.errors import CliError
from zstc_cli.evaluation.metrics import (
    OperatingPoint,
    Scores,
    majority_baseline,
    precision_coverage,
    score,
)

Classify = Callable[[dict[str, Any]], list[dict[str, Any]]]
"""Sends one classify request (the contract's JSON) and returns one classification per text."""


@dataclass(frozen=True)
class Example:
    """One annotated text of the sample."""

    id: str
    text: str
    truth: str


@dataclass(frozen=True)
class Variant:
    """A named set of request parameters and, per class, the candidate label text sent for it."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    label_text: Mapping[str, str] = field(default_factory=dict)

    def candidate_labels(self, classes: Sequence[str]) -> list[str]:
        """The label sent for each class (the class itself unless rewritten), in class order."""
        return [self.label_text.get(cls, cls) for cls in classes]

    def request_parameters(self, classes: Sequence[str]) -> dict[str, Any]:
        """The request's ``parameters``: the candidate labels and the variant's own parameters."""
        return {"candidate_labels": self.candidate_labels(classes), **self.parameters}


@dataclass(frozen=True)
class VariantResult:
    """A variant's predictions (one class per example, with the top score) and their scores."""

    variant: Variant
    predicted: tuple[str, ...]
    top_scores: tuple[float, ...]
    scores: Scores
    seconds: float
    label_scores: tuple[tuple[tuple[str, float], ...], ...] = ()
    """Per example, every (class, score) of the answer, best first (what multi-label thresholds use)."""

    @property
    def multi_label(self) -> bool:
        """Whether the variant asked for independent scores per label (``multi_label: true``)."""
        return self.variant.parameters.get("multi_label") is True


def load_examples(
    path: Path, text_column: str, truth_column: str, id_column: str | None = None
) -> list[Example]:
    """The annotated sample from a ``.csv`` (header row) or ``.jsonl`` (one object per line) file.

    Raises ``CliError`` naming the file and line for a missing column or an empty text, and the lines
    of two truth values that read as one label (``zstc.contract.request.label_identity``).
    """
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl"}:
        raise CliError(f"{path}: use a .csv or .jsonl file")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(_rows(handle, suffix, path))
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path} is not UTF-8 text") from None
    examples: list[Example] = []
    spellings: dict[str, tuple[str, int]] = {}  # a class's label identity -> its first spelling, line
    for line, row in rows:
        for column in (text_column, truth_column, *([id_column] if id_column else [])):
            if column not in row:
                raise CliError(f"{path} line {line}: no column {column!r} (it has {', '.join(row)})")
        text, truth = _cell(row[text_column]), _cell(row[truth_column]).strip()
        if not text.strip() or not truth:
            raise CliError(f"{path} line {line}: empty {text_column if not text.strip() else truth_column}")
        first, first_line = spellings.setdefault(label_identity(truth), (truth, line))
        if first != truth:
            raise CliError(
                f"{path} lines {first_line} and {line}: {truth_column} values {first!r} and {truth!r} differ "
                "only in Unicode form or invisible characters, so they are one label: spell them one way"
            )
        examples.append(Example(str(row[id_column]) if id_column else str(len(examples) + 1), text, truth))
    if not examples:
        raise CliError(f"{path} has no examples")
    return examples


def _cell(value: Any) -> str:
    """A CSV cell or JSON value as text: ``None`` is empty, ``0`` is ``"0"`` (a class may be a number)."""
    return "" if value is None else str(value)


def _rows(handle: Any, suffix: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if suffix == ".csv":
        reader = csv.DictReader(handle, strict=True)  # an unterminated quote is an error, not a merged row
        try:
            for index, row in enumerate(reader, start=2):
                yield index, row
        except csv.Error as error:
            raise CliError(f"{path} line {reader.line_num}: malformed CSV ({error})") from None
        return
    for index, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise CliError(f"{path} line {index}: invalid JSON ({error.msg})") from None
        if not isinstance(row, dict):
            raise CliError(f"{path} line {index}: expected a JSON object")
        yield index, row


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"cannot read {what} {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CliError(f"{what} {path} is not valid JSON: {error.msg} at line {error.lineno}") from None


def build_variants(
    classes: Sequence[str],
    templates: Sequence[str] = (),
    *,
    multi_label: bool = False,
    phrasings: Path | None = None,
    descriptions: Path | None = None,
    variants_file: Path | None = None,
    label_descriptions: Mapping[str, str] | None = None,
    base_parameters: Mapping[str, Any] | None = None,
    base_name: str | None = None,
) -> list[Variant]:
    """The variants to compare, the labels as given first.

    ``base_parameters`` (a label set's, see :func:`label_set_parameters`) are in every variant, under
    the options below; ``base_name`` names the first variant (default "labels as given").

    - ``templates``: one variant per hypothesis template, and (two or more) one for their ensemble.
    - ``phrasings``: JSON ``{"variant name": {"Class": "label text", ...}, ...}``.
    - ``descriptions``: JSON ``{"Class": "a description", ...}``, sent as ``label_descriptions`` (the
      answers still name the classes).
    - ``label_descriptions``: the descriptions a ``label,description`` labels file gave, as
      ``descriptions`` (one of the two).
    - ``variants_file``: JSON ``[{"name": ..., "parameters": {...}, "labels": {"Class": "text"}}]``:
      any request parameters, passed as they are.
    Raises ``CliError`` for a file of the wrong shape or a rewrite naming an unknown class.
    """
    base: dict[str, Any] = {**(base_parameters or {}), **({"multi_label": True} if multi_label else {})}
    variants = [Variant(base_name or "labels as given", dict(base))]
    variants += [Variant(f"template: {t}", {**base, "hypothesis_template": t}) for t in templates]
    if len(templates) > 1:
        variants.append(Variant("template ensemble", {**base, "hypothesis_template": list(templates)}))
    if phrasings is not None:
        document = _read_json(phrasings, "phrasings file")
        if not isinstance(document, dict):
            raise CliError(f"phrasings file {phrasings}: expected {{variant name: {{class: label}}}}")
        for name, mapping in document.items():
            variants.append(Variant(f"phrasing: {name}", dict(base), _label_map(mapping, classes, phrasings)))
    if descriptions is not None and label_descriptions:
        raise CliError("--labels-file has descriptions already: drop --descriptions or the file's column")
    if descriptions is not None:
        mapping, _ = read_label_map(descriptions, classes, skip_unknown=True)
        variants.append(Variant("label descriptions", {**base, "label_descriptions": mapping}))
    elif label_descriptions:
        variants.append(
            Variant("label descriptions", {**base, "label_descriptions": dict(label_descriptions)})
        )
    if variants_file is not None:
        document = _read_json(variants_file, "variants file")
        if not isinstance(document, list):
            raise CliError(f"variants file {variants_file}: expected a list of {{name, parameters, labels}}")
        for index, item in enumerate(document):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise CliError(f"variants file {variants_file}: item {index} needs a name")
            parameters = item.get("parameters", {})
            if not isinstance(parameters, dict) or "candidate_labels" in parameters:
                raise CliError(
                    f"variants file {variants_file}: item {index}: parameters must be an object "
                    "without candidate_labels (use labels to rewrite them)"
                )
            labels = _label_map(item.get("labels", {}), classes, variants_file)
            variants.append(Variant(item["name"], {**base, **parameters}, labels))
    return variants


def label_set_parameters(parameters: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """A label set version's ``parameters`` (as ``GET /label-sets/{name}`` shows them) as (its classes,
    the other parameters every variant sends). Its threshold is left out: it is what eval measures.
    """
    rest = {key: value for key, value in parameters.items() if key not in {"candidate_labels", "threshold"}}
    return [str(label) for label in parameters["candidate_labels"]], rest


def read_label_map(
    path: Path, labels: Sequence[str], *, skip_unknown: bool = False
) -> tuple[dict[str, str], list[str]]:
    """A JSON file ``{"label": "text"}``: ``(the entries for labels among ``labels``, the other keys)``.

    A shared descriptions file usually describes more labels than one request or sample uses, so with
    ``skip_unknown`` the other keys are returned for a note; without it they are a ``CliError``.
    """
    document = _read_json(path, "descriptions file")
    if not isinstance(document, dict):
        raise CliError(f"{path}: expected an object of label -> text")
    skipped = sorted(key for key in document if key not in labels) if skip_unknown else []
    kept = {key: value for key, value in document.items() if key not in skipped}
    return _label_map(kept, labels, path), skipped


def _label_map(mapping: Any, classes: Sequence[str], source: Path) -> dict[str, str]:
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise CliError(f"{source}: expected an object of class -> label text")
    unknown = sorted(set(mapping) - set(classes))
    if unknown:
        raise CliError(
            f"{source}: unknown class(es) {', '.join(unknown)}; the classes are {', '.join(classes)}"
        )
    return dict(mapping)


def run_variant(
    classify: Classify,
    variant: Variant,
    classes: Sequence[str],
    examples: Sequence[Example],
    advance: Callable[[int], None] = lambda _: None,
) -> VariantResult:
    """Classify every example with the variant; the prediction is the best-scored class.

    Raises ``CliError`` when two classes would be sent with the same label text.
    """
    sent = variant.candidate_labels(classes)
    if len(set(sent)) != len(sent):
        raise CliError(f"variant {variant.name!r}: two classes have the same label text")
    class_of = dict(zip(sent, classes, strict=True))
    parameters = variant.request_parameters(classes)
    predicted: list[str] = []
    top_scores: list[float] = []
    label_scores: list[tuple[tuple[str, float], ...]] = []
    started = time.monotonic()
    for start, end in request_chunks([example.text for example in examples], parameters):
        chunk = examples[start:end]
        answers = classify({"inputs": [example.text for example in chunk], "parameters": parameters})
        for answer in answers:
            predicted.append(class_of[answer["labels"][0]])
            top_scores.append(float(answer["scores"][0]))
            label_scores.append(
                tuple(
                    (class_of[label], float(value))
                    for label, value in zip(answer["labels"], answer["scores"], strict=True)
                )
            )
        advance(len(chunk))
    truth = [example.truth for example in examples]
    return VariantResult(
        variant,
        tuple(predicted),
        tuple(top_scores),
        score(truth, predicted, classes),
        time.monotonic() - started,
        tuple(label_scores),
    )


def tradeoff(examples: Sequence[Example], result: VariantResult) -> tuple[OperatingPoint, ...]:
    """The variant's precision/coverage trade-off over the threshold on the top score.

    Single-label, an item is auto-labelled with its top class once the top score reaches the threshold;
    multi-label, with every class whose score reaches it, and precision counts each predicted class
    (a second class predicted for an item annotated with one is a wrong label).
    """
    if result.multi_label:
        scored = [
            [(cls == example.truth, value) for cls, value in labels]
            for example, labels in zip(examples, result.label_scores, strict=True)
        ]
    else:
        scored = [
            [(predicted == example.truth, top)]
            for example, predicted, top in zip(examples, result.predicted, result.top_scores, strict=True)
        ]
    return precision_coverage(scored)


def baseline(examples: Sequence[Example], classes: Sequence[str]) -> tuple[str, Scores]:
    """The majority-class baseline of the sample."""
    return majority_baseline([example.truth for example in examples], classes)


def worst_confusions(
    examples: Sequence[Example], result: VariantResult, per_pair: int = 3
) -> dict[tuple[str, str], list[tuple[Example, float]]]:
    """Misclassified examples per (annotated, predicted) pair, most confidently wrong first."""
    pairs: dict[tuple[str, str], list[tuple[Example, float]]] = {}
    for example, predicted, top in zip(examples, result.predicted, result.top_scores, strict=True):
        if predicted != example.truth:
            pairs.setdefault((example.truth, predicted), []).append((example, top))
    ordered = sorted(pairs.items(), key=lambda item: -len(item[1]))
    return {pair: sorted(items, key=lambda item: -item[1])[:per_pair] for pair, items in ordered}
