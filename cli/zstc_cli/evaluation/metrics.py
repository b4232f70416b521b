"""Quality of predictions against annotated labels, beside the majority-class baseline.

The numbers come from scikit-learn (``accuracy_score``, ``precision_recall_fscore_support``,
``confusion_matrix``), not from formulas of our own. Macro averages run over the classes given,
so a class that is never predicted counts as 0 (``zero_division=0``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelScores:
    """Precision, recall and F1 of one class, and how many annotated examples it has (support)."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    """Accuracy and macro-F1 of one set of predictions, with the per-class detail."""

    accuracy: float
    macro_f1: float
    per_label: tuple[LabelScores, ...] = ()
    confusion: tuple[tuple[int, ...], ...] = ()
    """Rows: annotated class, columns: predicted class, both in the order of the classes given."""


def score(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> Scores:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix over ``classes``.

    Raises ``ValueError`` when the sequences are empty or of different lengths.
    """
    if len(truth) != len(predicted) or not truth:
        raise ValueError("truth and predictions must be non-empty and the same length")
    from sklearn.metrics import (  # noqa: PLC0415 - scikit-learn takes ~1 s to import
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    labels = list(classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    per_label = tuple(
        LabelScores(label, float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    )
    matrix = confusion_matrix(truth, predicted, labels=labels)
    return Scores(
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)),
        per_label=per_label,
        confusion=tuple(tuple(int(cell) for cell in row) for row in matrix),
    )


def majority_baseline(truth: Sequence[str], classes: Sequence[str]) -> tuple[str, Scores]:
    """The most frequent class, and the scores of always predicting it."""
    majority = Counter(truth).most_common(1)[0][0]
    return majority, score(truth, [majority] * len(truth), classes)
