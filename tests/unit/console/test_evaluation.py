"""``zstc_cli.console.evaluation``: the Evaluate page's request and report, made by ``zstc eval``'s code."""

from __future__ import annotations

from typing import Any

import pytest

from zstc_cli.console.evaluation import EvaluationRequest, evaluate
from zstc_cli.errors import CliError
from zstc_cli.evaluation.metrics import score

SAMPLE = (
    "id,text,category\na1,run a marathon,Health\na2,save money,Finance\n"
    "a3,eat greens,Health\na4,buy a car,Finance\n"
)


def keyword_classifier(request: dict[str, Any]) -> list[dict[str, Any]]:
    """A stand-in for POST /classify: "Health" for texts with a vowel pair, else "Finance", 0.9 / 0.6."""
    labels = request["parameters"]["candidate_labels"]
    answers = []
    for text in request["inputs"]:
        health = any(pair in text for pair in ("ee", "ra", "ar"))
        first = labels[0] if health else labels[1]
        second = labels[1] if health else labels[0]
        answers.append({"sequence": text, "labels": [first, second], "scores": [0.9 if health else 0.6, 0.1]})
    return answers


def test_the_report_is_zstc_evals_metrics_with_the_baseline_and_the_curve() -> None:
    # Given a 4-example sample whose classes are Health and Finance
    request = EvaluationRequest.from_json(
        {"filename": "s.csv", "content": SAMPLE, "id_column": "id", "labels": ["Health", "Finance"]}
    )
    # When it is evaluated
    report = evaluate(keyword_classifier, request)
    # Then the numbers are metrics.score's for the predictions the classifier made
    predicted = ["Health", "Finance", "Health", "Health"]  # "buy a car" has "ar"
    expected = score(["Health", "Finance", "Health", "Finance"], predicted, ["Health", "Finance"])
    assert report["examples"] == 4
    assert report["variants"][0]["accuracy"] == expected.accuracy
    assert report["best"]["confusion"] == [list(row) for row in expected.confusion]
    assert report["majority"]["name"] == "majority: Health"  # a tie: the first one seen
    assert report["most_confused"] == [
        {"id": "a4", "text": "buy a car", "truth": "Finance", "predicted": "Health", "score": 0.9}
    ]
    # And the trade-off is eval's: all items at the lowest top score, the 0.9 ones above it
    assert report["tradeoff"] == [
        {"threshold": 0.6, "coverage": 1.0, "precision": 0.75, "items": 4},
        {"threshold": 0.9, "coverage": 0.75, "precision": 2 / 3, "items": 3},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "the body must be a JSON object"),
        ({"content": "x"}, "filename is required"),
        ({"filename": "s.csv"}, "content is required"),
        ({"filename": "s.csv", "content": "x", "labels": "a,b"}, "labels must be a list of strings"),
        ({"filename": "s.csv", "content": "x", "limit": 0}, "limit must be a positive integer"),
        ({"filename": "s.csv", "content": "x", "limit": True}, "limit must be a positive integer"),
        ({"filename": "s.csv", "content": "x", "text_column": 3}, "text_column must be a string"),
        ({"filename": "s.csv", "content": "x", "colour": "red"}, "unknown field(s): colour"),
    ],
)
def test_a_bad_request_names_its_field(body: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        EvaluationRequest.from_json(body)


def test_a_path_in_the_file_name_is_dropped() -> None:
    request = EvaluationRequest.from_json({"filename": "../../etc/s.csv", "content": "x"})
    assert request.filename == "s.csv"


def test_an_annotated_class_outside_the_labels_is_refused() -> None:
    request = EvaluationRequest.from_json({"filename": "s.csv", "content": SAMPLE, "labels": ["Health"]})
    with pytest.raises(CliError, match="category has values not in the labels: Finance"):
        evaluate(keyword_classifier, request)
