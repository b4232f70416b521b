"""``zstc_cli.evaluation.metrics``: precision and coverage by threshold on hand-made score lists."""

from __future__ import annotations

import pytest

from zstc_cli.evaluation.metrics import (
    OperatingPoint,
    coverage_steps,
    precision_coverage,
    reaching,
    readable_threshold,
)


def _single(*items: tuple[bool, float]) -> list[list[tuple[bool, float]]]:
    """Single-label items: each one (top class is the annotated one, top score)."""
    return [[item] for item in items]


FIVE = _single((True, 0.9), (True, 0.8), (False, 0.7), (True, 0.6), (False, 0.5))
"""Five items, three right, with the wrong ones at 0.7 and 0.5."""


def _table(points: tuple[OperatingPoint, ...]) -> list[tuple[float, float, object, int]]:
    return [(p.threshold, p.coverage, pytest.approx(p.precision), p.items) for p in points]


def test_each_distinct_score_is_a_threshold_with_its_coverage_and_precision() -> None:
    # Then coverage falls from every item to the best one; precision is the accuracy on those covered
    assert _table(precision_coverage(FIVE)) == [
        (0.5, 1.0, 3 / 5, 5),
        (0.6, 0.8, 3 / 4, 4),
        (0.7, 0.6, 2 / 3, 3),
        (0.8, 0.4, 1.0, 2),
        (0.9, 0.2, 1.0, 1),
    ]


def test_the_lowest_threshold_covers_every_item_at_the_sample_accuracy() -> None:
    point = reaching(precision_coverage(FIVE), 0.6)
    assert point is not None
    assert (point.threshold, point.coverage, point.precision) == (0.5, 1.0, 0.6)


def test_the_lowest_threshold_reaching_the_target_wins_even_if_a_higher_one_dips_below() -> None:
    # Given precision 3/4 at 0.6 but 2/3 at 0.7: 0.6 is the lowest threshold reaching 75%
    point = reaching(precision_coverage(FIVE), 0.75)
    assert point is not None
    assert (point.threshold, point.coverage) == (0.6, 0.8)
    # And 100% needs the two best items
    full = reaching(precision_coverage(FIVE), 1.0)
    assert full is not None
    assert (full.threshold, full.coverage, full.items) == (0.8, 0.4, 2)


def test_a_precision_of_exactly_the_target_reaches_it_despite_float_rounding() -> None:
    # 9 right of 10: 0.9 as a float division, reaching a target of 0.9
    items = _single(*[(True, 0.5 + index / 100) for index in range(9)], (False, 0.55))
    point = reaching(precision_coverage(items), 0.9)
    assert point is not None
    assert (point.coverage, point.items) == (1.0, 10)


def test_tied_scores_are_auto_labelled_together() -> None:
    # Given two items tied at 0.7, one right and one wrong
    points = precision_coverage(_single((True, 0.7), (False, 0.7), (True, 0.9)))
    # Then no threshold separates them: 3 items at 0.7, then the best one
    assert _table(points) == [(0.7, 1.0, 2 / 3, 3), (0.9, 1 / 3, 1.0, 1)]


def test_all_wrong_reaches_no_precision() -> None:
    points = precision_coverage(_single((False, 0.9), (False, 0.4)))
    assert [p.precision for p in points] == [0.0, 0.0]
    assert reaching(points, 0.01) is None


def test_all_right_reaches_full_precision_at_full_coverage() -> None:
    points = precision_coverage(_single((True, 0.9), (True, 0.4)))
    assert [p.precision for p in points] == [1.0, 1.0]
    point = reaching(points, 1.0)
    assert point is not None
    assert (point.threshold, point.coverage) == (0.4, 1.0)


def test_multi_label_precision_counts_every_predicted_label() -> None:
    # Given item 1 annotated with its 0.9 label (another label at 0.6) and item 2 with its 0.3 label
    # (its top label, 0.8, is wrong)
    points = precision_coverage([[(True, 0.9), (False, 0.6)], [(False, 0.8), (True, 0.3)]])
    # Then at 0.3 all four labels are predicted, two right; an item is covered once its top score reaches
    assert _table(points) == [
        (0.3, 1.0, 2 / 4, 2),
        (0.6, 1.0, 1 / 3, 2),
        (0.8, 1.0, 1 / 2, 2),
        (0.9, 0.5, 1.0, 1),
    ]


def test_no_items_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one scored label"):
        precision_coverage([])
    with pytest.raises(ValueError, match="at least one scored label"):
        precision_coverage([[]])


@pytest.mark.parametrize(
    ("score", "lower", "threshold"),
    [
        (0.6234, 0.61, 0.62),  # two decimals keep 0.61 out
        (0.6234, 0.62, 0.623),  # 0.62 would let the item at 0.62 in
        (0.6234, 0.6233, 0.6234),
        (0.6234, None, 0.62),  # the lowest score seen: two decimals
        (0.29, None, 0.29),  # not 0.28 (0.29 * 100 is 28.999... in floats)
        (0.62, 0.619, 0.62),
        (0.5, None, 0.5),
    ],
)
def test_a_threshold_is_the_score_rounded_down_without_letting_a_lower_score_in(
    score: float, lower: float | None, threshold: float
) -> None:
    assert readable_threshold(score, lower) == threshold


def test_the_printed_steps_take_the_lowest_threshold_per_tenth_of_coverage_once_each() -> None:
    steps = coverage_steps(precision_coverage(FIVE))
    assert [(p.threshold, p.coverage) for p in steps] == [
        (0.5, 1.0),
        (0.6, 0.8),
        (0.7, 0.6),
        (0.8, 0.4),
        (0.9, 0.2),
    ]


def test_a_tiny_threshold_is_written_without_an_exponent() -> None:
    [_, point] = precision_coverage(_single((True, 0.000001), (True, 0.0000123)))
    assert (point.threshold, point.threshold_text) == (0.00001, "0.00001")
