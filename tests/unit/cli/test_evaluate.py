"""Accuracy, macro-F1, per-label scores and the eval variants, checked by hand on small examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zstc_cli.errors import CliError
from zstc_cli.evaluation.metrics import majority_baseline, score
from zstc_cli.evaluation.variants import Example, Variant, build_variants, run_variant


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


def test_per_label_precision_recall_and_confusion_match_a_hand_computation() -> None:
    truth = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "a"]
    result = score(truth, predicted, ["a", "b", "c"])
    by_label = {item.label: item for item in result.per_label}
    # a: predicted twice, right once (P 1/2); annotated twice, found once (R 1/2)
    assert (by_label["a"].precision, by_label["a"].recall, by_label["a"].support) == (0.5, 0.5, 2)
    # b: predicted twice, right once (P 1/2); annotated once, found (R 1)
    assert (by_label["b"].precision, by_label["b"].recall, by_label["b"].support) == (0.5, 1.0, 1)
    # c: never predicted (P 0 by convention), never found (R 0)
    assert (by_label["c"].precision, by_label["c"].recall, by_label["c"].f1) == (0.0, 0.0, 0.0)
    # rows annotated, columns predicted
    assert result.confusion == ((1, 1, 0), (0, 1, 0), (1, 0, 0))


def test_a_variant_sends_its_parameters_and_label_texts_and_maps_answers_back(tmp_path: Path) -> None:
    # Given a phrasing variant and a classify function that always prefers the first label sent
    phrasings = tmp_path / "p.json"
    phrasings.write_text(json.dumps({"long": {"a": "about a", "b": "about b"}}), encoding="utf-8")
    [plain, template, phrased] = build_variants(["a", "b"], ["It is {}."], phrasings=phrasings)
    sent: list[dict[str, Any]] = []

    def classify(payload: dict[str, Any]) -> list[dict[str, Any]]:
        sent.append(payload)
        labels = payload["parameters"]["candidate_labels"]
        return [{"sequence": t, "labels": labels, "scores": [0.9, 0.1]} for t in payload["inputs"]]

    examples = [Example(str(i), f"text {i}", "a" if i % 3 else "b") for i in range(40)]
    # When the phrasing variant runs
    result = run_variant(classify, phrased, ["a", "b"], examples)
    # Then the rewritten labels were sent, in requests within the API's limits, and answers map back
    assert [p["parameters"] for p in sent] == [{"candidate_labels": ["about a", "about b"]}] * 2
    assert [len(p["inputs"]) for p in sent] == [32, 8]
    assert set(result.predicted) == {"a"}
    assert result.scores.accuracy == sum(e.truth == "a" for e in examples) / 40
    assert template.request_parameters(["a", "b"]) == {
        "candidate_labels": ["a", "b"],
        "hypothesis_template": "It is {}.",
    }
    assert plain.name == "labels as given"


def test_variant_files_of_the_wrong_shape_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text(json.dumps([{"name": "x", "labels": {"zzz": "y"}}]), encoding="utf-8")
    with pytest.raises(CliError, match="unknown class"):
        build_variants(["a"], variants_file=path)
    path.write_text(json.dumps([{"name": "x", "parameters": {"candidate_labels": ["q"]}}]), encoding="utf-8")
    with pytest.raises(CliError, match="without candidate_labels"):
        build_variants(["a"], variants_file=path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CliError, match="is not valid JSON"):
        build_variants(["a"], descriptions=path)
    path.write_text(
        json.dumps([{"name": "future option", "parameters": {"threshold": 0.5}}]), encoding="utf-8"
    )
    [_, future] = build_variants(["a"], variants_file=path)
    assert future.request_parameters(["a"]) == {"candidate_labels": ["a"], "threshold": 0.5}


def test_two_classes_with_one_label_text_are_refused() -> None:
    variant = Variant("same", {}, {"a": "x", "b": "x"})
    with pytest.raises(CliError, match="same label text"):
        run_variant(lambda payload: [], variant, ["a", "b"], [Example("1", "t", "a")])
