"""Accuracy and macro-F1, checked by hand on a small example."""

from __future__ import annotations

import pytest

from zstc_local.evaluation import majority_baseline, score


def test_scores_match_a_hand_computation() -> None:
    truth = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "a"]
    result = score(truth, predicted, ["a", "b", "c"])
    assert result.accuracy == 0.5
    # F1: a = 2*1/(2+1+1) = 0.5; b = 2*1/(2+1+0) = 2/3; c = 0
    assert result.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_majority_baseline_predicts_the_most_frequent_class() -> None:
    majority, result = majority_baseline(["a", "a", "b"], ["a", "b"])
    assert majority == "a"
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.macro_f1 == pytest.approx((0.8 + 0) / 2)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        score(["a"], [], ["a"])
