"""The Evaluate page's numbers, computed by ``zstc eval``'s own code (``zstc_cli.evaluation``).

The page sends the annotated file's text and the columns; this module loads it with
``variants.load_examples`` (the same line-numbered errors as ``zstc eval``), classifies it once per
variant through the API, scores it with ``metrics.score`` (scikit-learn) beside the majority baseline,
and returns everything the page draws as JSON: no metric is computed in the browser.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zstc.contract.request import split_label_set_reference
from zstc_cli.errors import CliError
from zstc_cli.evaluation import variants as ev
from zstc_cli.evaluation.metrics import Scores

MOST_CONFUSED_SHOWN = 10
"""Misclassified examples the page lists, most confidently wrong first."""


@dataclass(frozen=True)
class EvaluationRequest:
    """What the Evaluate page sends: the sample file (name and text) and how to read and classify it."""

    filename: str
    content: str
    text_column: str = "text"
    truth_column: str = "category"
    id_column: str | None = None
    labels: tuple[str, ...] = ()
    """The classes; empty: the truth column's values (or the label set's labels)."""
    label_set: str | None = None
    """``NAME`` or ``NAME@N``: every variant sends that version's parameters; its labels are the classes."""
    templates: tuple[str, ...] = ()
    multi_label: bool = False
    limit: int | None = None

    @classmethod
    def from_json(cls, body: Any) -> EvaluationRequest:
        """The request from the page's JSON body; ``ValueError`` naming the field that is wrong."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        strings = ("filename", "content", "text_column", "truth_column", "id_column", "label_set")
        for name in strings:
            if body.get(name) is not None and not isinstance(body[name], str):
                raise ValueError(f"{name} must be a string")
        for name in ("filename", "content"):
            if not body.get(name):
                raise ValueError(f"{name} is required")
        for name in ("labels", "templates"):
            value = body.get(name, [])
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValueError(f"{name} must be a list of strings")
        limit = body.get("limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise ValueError("limit must be a positive integer")
        unknown = set(body) - {*strings, "labels", "templates", "multi_label", "limit"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        labels = tuple(label.strip() for label in body.get("labels", []) if label.strip())
        label_set = body.get("label_set")  # null or absent: none; "" is a bad name, not "none"
        if label_set is not None:
            try:
                split_label_set_reference(label_set)
            except ValueError as error:  # the contract's own check, with its message
                raise ValueError(f"label_set: {error}") from None
            if labels:
                raise ValueError("label_set holds the labels: leave labels empty")
        return cls(
            filename=Path(body["filename"]).name,
            content=body["content"],
            text_column=body.get("text_column") or "text",
            truth_column=body.get("truth_column") or "category",
            id_column=body.get("id_column") or None,
            labels=labels,
            label_set=label_set,
            templates=tuple(template for template in body.get("templates", []) if template.strip()),
            multi_label=bool(body.get("multi_label", False)),
            limit=limit,
        )


def evaluate(
    classify: ev.Classify,
    request: EvaluationRequest,
    read_label_set: Callable[[str], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Classify the sample once per variant and return the report the page draws.

    ``read_label_set`` reads a version (``GET /label-sets/{name}``'s body) for ``request.label_set``;
    every variant then sends that version's parameters but its threshold (what is measured), and its
    labels are the classes, as ``zstc eval --label-set`` does.
    Shape: ``examples``, ``classes``, ``label_set`` (``NAME@N`` or None), ``variants`` (name,
    parameters, accuracy, macro_f1), ``majority``,
    ``best`` (its name, ``per_label``, ``confusion`` rows annotated x columns predicted, in class order),
    ``tradeoff`` (the best variant's precision/coverage points by threshold, ``variants.tradeoff``,
    coverage falling) and ``most_confused`` examples. Raises ``CliError`` for a sample ``zstc eval``
    refuses (it names the line), ``ApiError`` for an API refusal and ``UnreachableError`` (a
    ``CliError`` too) when the API cannot be reached.
    """
    with tempfile.TemporaryDirectory(prefix="zstc-console-eval-") as folder:
        path = Path(folder) / request.filename
        path.write_text(request.content, encoding="utf-8")
        try:
            examples = ev.load_examples(path, request.text_column, request.truth_column, request.id_column)
        except CliError as error:  # name the file as the page sent it, not the server's temporary copy
            raise CliError(error.message.replace(str(path), request.filename), error.exit_code) from None
    examples = examples[: request.limit]
    seen = sorted({example.truth for example in examples})
    classes = list(request.labels) or seen
    base: dict[str, Any] = {}
    base_name: str | None = None
    pinned: str | None = None
    if request.label_set is not None:
        if read_label_set is None:
            raise CliError("this console cannot read label sets")
        stored = read_label_set(request.label_set)
        classes, base = ev.label_set_parameters(stored["parameters"])
        pinned = str(stored["label_set"])
        base_name = f"label set {pinned}"
    unknown = sorted(set(seen) - set(classes))
    if unknown:
        what = f"the label set {pinned}" if pinned else "the labels"
        raise CliError(f"{request.truth_column} has values not in {what}: {', '.join(unknown)}")
    chosen = ev.build_variants(
        classes,
        request.templates,
        multi_label=request.multi_label,
        base_parameters=base,
        base_name=base_name,
    )
    results = [ev.run_variant(classify, variant, classes, examples) for variant in chosen]
    majority, majority_scores = ev.baseline(examples, classes)
    best = max(results, key=lambda result: (result.scores.macro_f1, result.scores.accuracy))
    confusions = ev.worst_confusions(examples, best, per_pair=len(examples))
    wrong = sorted(
        ((top, example, predicted) for (_, predicted), items in confusions.items() for example, top in items),
        key=lambda item: -item[0],
    )
    confused = [
        {"id": example.id, "text": example.text, "truth": example.truth, "predicted": predicted, "score": top}
        for top, example, predicted in wrong[:MOST_CONFUSED_SHOWN]
    ]
    return {
        "examples": len(examples),
        "classes": classes,
        "label_set": pinned,
        "variants": [
            {
                "name": result.variant.name,
                "parameters": dict(result.variant.parameters),
                **_totals(result.scores),
            }
            for result in results
        ],
        "majority": {"name": f"majority: {majority}", **_totals(majority_scores)},
        "best": {
            "name": best.variant.name,
            "per_label": [
                {
                    "label": s.label,
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                }
                for s in best.scores.per_label
            ],
            "confusion": [list(row) for row in best.scores.confusion],
        },
        "tradeoff": [
            {"threshold": p.threshold, "coverage": p.coverage, "precision": p.precision, "items": p.items}
            for p in ev.tradeoff(examples, best)
        ],
        "most_confused": confused,
    }


def _totals(scores: Scores) -> dict[str, float]:
    return {"accuracy": scores.accuracy, "macro_f1": scores.macro_f1}
