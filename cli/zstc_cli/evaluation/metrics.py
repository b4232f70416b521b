"""Quality of predictions against annotated labels, beside the majority-class baseline.

The numbers come from scikit-learn (``accuracy_score``, ``precision_recall_fscore_support``,
``confusion_matrix``, ``precision_recall_curve`` for precision by threshold), not from formulas of our
own. Macro averages run over the classes given,
so a class that is never predicted counts as 0 (``zero_division=0``).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal


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


@dataclass(frozen=True)
class OperatingPoint:
    """What auto-labelling does at one threshold on the top score, measured on the annotated sample.

    ``threshold`` is the value to configure: the lowest auto-labelled ``score`` rounded down to the
    fewest decimals (two at least) that still selects exactly the same items of the sample.
    """

    threshold: float
    score: float
    """The lowest counted score that is auto-labelled at this point (a score seen in the sample)."""
    coverage: float
    """Share of the items whose top score reaches the threshold (auto-labelled), 0 to 1."""
    precision: float
    """Share of the labels predicted at the threshold that are the annotated class, 0 to 1."""
    items: int
    """How many items are auto-labelled."""

    @property
    def threshold_text(self) -> str:
        """The threshold as written to configure it: plain decimals, never an exponent (``0.00001``)."""
        return format(Decimal(repr(self.threshold)), "f")


def precision_coverage(scored: Sequence[Sequence[tuple[bool, float]]]) -> tuple[OperatingPoint, ...]:
    """The precision/coverage trade-off over the threshold, one point per distinct score, coverage falling.

    ``scored`` holds, per item, the labels the threshold rule would predict once a score reaches the
    threshold, each as ``(is the annotated class, score)``: single-label, the top label only;
    multi-label, every label (the rule predicts each label reaching the threshold). An item is
    auto-labelled when its best score reaches the threshold. Precision comes from scikit-learn's
    ``precision_recall_curve`` over the labels (correct = positive); coverage counts the items.
    Raises ``ValueError`` when there are no items or an item has no label.
    """
    if not scored or not all(scored):
        raise ValueError("every item needs at least one scored label")
    import numpy as np  # noqa: PLC0415
    from sklearn.metrics import precision_recall_curve  # noqa: PLC0415

    correct = np.array([hit for item in scored for hit, _ in item], dtype=bool)
    scores = np.array([value for item in scored for _, value in item], dtype=float)
    tops = np.sort(np.array([max(value for _, value in item) for item in scored], dtype=float))
    with warnings.catch_warnings():
        # all wrong: scikit-learn warns that recall is undefined; precision is 0, which is what we use
        warnings.simplefilter("ignore")
        precision, _, thresholds = precision_recall_curve(correct, scores, drop_intermediate=False)
    points: list[OperatingPoint] = []
    lower: float | None = None
    for value, share_correct in zip(thresholds, precision, strict=False):
        # every score is at most its own item's top score, so at least that item is auto-labelled
        items = int(len(tops) - np.searchsorted(tops, value, side="left"))
        points.append(
            OperatingPoint(
                threshold=readable_threshold(float(value), lower),
                score=float(value),
                coverage=items / len(tops),
                precision=float(share_correct),
                items=items,
            )
        )
        lower = float(value)
    return tuple(points)


def readable_threshold(score: float, lower: float | None) -> float:
    """``score`` rounded down to the fewest decimals (two at least) that stay above ``lower``.

    ``lower`` is the next lower score seen (``None``: none), so the rounded threshold auto-labels
    exactly the items ``score`` does: ``readable_threshold(0.6234, 0.61) == 0.62``.
    """
    exact = Decimal(repr(score))
    places = 2
    while True:
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)
        if lower is None or rounded > Decimal(repr(lower)) or rounded == exact:
            return float(rounded)
        places += 1


PRECISION_TOLERANCE = 1e-9
"""How far below a target a measured share may be and still reach it (float rounding: 9/10 is 90%)."""


def reaching(points: Sequence[OperatingPoint], target_precision: float) -> OperatingPoint | None:
    """The point of the lowest threshold whose precision reaches ``target_precision`` (0 < P <= 1).

    The most coverage at that precision; ``None`` when no threshold reaches it. A precision within
    1e-9 of the target reaches it (9 right of 10 is 90%, whatever the float rounding).
    """
    for point in points:  # coverage falling, so the first is the lowest threshold
        if point.precision >= target_precision - PRECISION_TOLERANCE:
            return point
    return None


def coverage_steps(points: Sequence[OperatingPoint], steps: int = 10) -> list[OperatingPoint]:
    """A few points of the trade-off to print: for coverage 100%, 90%, ... (``steps`` of them), the
    lowest threshold covering at most that share; each point once, coverage falling.
    """
    chosen: list[OperatingPoint] = []
    for step in range(steps, 0, -1):
        share = step / steps
        point = next((p for p in points if p.coverage <= share + PRECISION_TOLERANCE), None)
        if point is not None and point not in chosen:
            chosen.append(point)
    return chosen
