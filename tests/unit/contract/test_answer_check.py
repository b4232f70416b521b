"""The endpoint's answer is checked against the request before it reaches the client."""

from __future__ import annotations

from typing import Any

import pytest

from zstc.contract.answer import check_answer
from zstc.contract.request import ClassifyRequest
from zstc.core.errors import InvalidModelResponseError

REQUEST = ClassifyRequest.model_validate(
    {"inputs": ["one", "two"], "parameters": {"candidate_labels": ["a", "b"]}}
)


def _answer(sequence: str, labels: list[str], scores: list[float]) -> dict[str, Any]:
    return {"sequence": sequence, "labels": labels, "scores": scores}


def test_valid_answer_is_sorted_per_text() -> None:
    results = check_answer(
        REQUEST, [_answer("one", ["a", "b"], [0.3, 0.7]), _answer("two", ["b", "a"], [0.6, 0.4])]
    )
    assert [r.labels for r in results] == [["b", "a"], ["b", "a"]]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ([_answer("one", ["a", "b"], [0.5, 0.5])], "1 classifications for 2 texts"),
        ([_answer("one", ["a", "b"], [0.5, 0.5]), {"labels": ["a"]}], "classification 1 is malformed"),
        ([_answer("two", ["a", "b"], [0.5, 0.5]), _answer("one", ["a", "b"], [0.5, 0.5])], "different text"),
        (
            [_answer("one", ["a", "c"], [0.5, 0.5]), _answer("two", ["a", "b"], [0.5, 0.5])],
            "exactly the candidate",
        ),
        ([_answer("one", ["a", "b"], [0.9, 0.9]), _answer("two", ["a", "b"], [0.5, 0.5])], "sum to 1.8000"),
        ("body", "1 classifications for 2 texts"),
    ],
)
def test_malformed_answers_are_refused(answer: Any, says: str) -> None:
    with pytest.raises(InvalidModelResponseError, match=says.replace("(", r"\(")):
        check_answer(REQUEST, answer)


def test_multi_label_scores_need_not_sum_to_one() -> None:
    request = ClassifyRequest.model_validate(
        {"inputs": "one", "parameters": {"candidate_labels": ["a", "b"], "multi_label": True}}
    )
    [result] = check_answer(request, _answer("one", ["a", "b"], [0.9, 0.8]))
    assert result.scores == [0.9, 0.8]


def test_one_label_single_label_is_entailment_vs_contradiction() -> None:
    # transformers scores a lone label as entailment vs contradiction, so it need not be 1.0
    request = ClassifyRequest.model_validate({"inputs": "one", "parameters": {"candidate_labels": ["a"]}})
    [result] = check_answer(request, _answer("one", ["a"], [0.3]))
    assert result.scores == [0.3]
