"""Accuracy and macro-F1 against annotated labels, beside the majority-class baseline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    """Accuracy and macro-F1 of one set of predictions."""

    accuracy: float
    macro_f1: float


def score(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> Scores:
    """Accuracy and the unweighted mean of per-class F1 over ``classes`` (absent classes count as 0)."""
    if len(truth) != len(predicted) or not truth:
        raise ValueError("truth and predictions must be non-empty and the same length")
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    f1s = []
    for cls in classes:
        tp = sum(t == cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(truth, predicted, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return Scores(accuracy=accuracy, macro_f1=sum(f1s) / len(f1s))


def majority_baseline(truth: Sequence[str], classes: Sequence[str]) -> tuple[str, Scores]:
    """The most frequent class, and the scores of always predicting it."""
    majority = Counter(truth).most_common(1)[0][0]
    return majority, score(truth, [majority] * len(truth), classes)
