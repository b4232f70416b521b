"""The engine's own guards: \\n-only JSON Lines, parser errors as RequestError, a lone label
scored on its own, and per-record error answers for records the model cannot score."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from zstc_engine.classifier import Classifier, classify_each
from zstc_engine.embedding import EmbeddingClassifier
from zstc_engine.protocol import ClassificationResult, ClassificationTask, RequestError, decode, sorted_result
from zstc_engine.serving import invoke


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_json_lines_split_on_newline_only(separator: str) -> None:
    lines = [
        {
            "id": "a1",
            "inputs": f"Flight to Lisbon booked{separator}hotel next",
            "parameters": {"candidate_labels": ["a"]},
        },
        {"id": "a2", "inputs": "second", "parameters": {"candidate_labels": ["a"]}},
    ]
    body = "\r\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    tasks, json_lines = decode(body, "Application/JSONLines")
    assert json_lines
    assert [task.record_id for task in tasks] == ["a1", "a2"]
    assert separator in tasks[0].texts[0]


def test_deep_nesting_is_a_request_error_naming_the_line() -> None:
    with pytest.raises(RequestError, match="line 2: invalid JSON: nested too deeply"):
        decode(
            b'{"inputs": "x", "parameters": {"candidate_labels": ["a"]}}\n' + b"[" * 100_000,
            "application/jsonlines",
        )


def test_a_lone_label_is_not_softmaxed_to_one(minilm: EmbeddingClassifier) -> None:
    text = "The quarterly earnings report beat analyst expectations."
    [alone] = minilm.classify(ClassificationTask(texts=(text,), labels=("cooking",)))
    [independent] = minilm.classify(ClassificationTask(texts=(text,), labels=("cooking",), multi_label=True))
    assert alone.scores[0] < 0.9
    assert alone.scores == independent.scores


class RefusesLongLabels(Classifier):
    """Fails any batch holding a label longer than 10 characters (as a model past its positions)."""

    method = "test"
    description = "refuses long labels"

    def __init__(self) -> None:
        self.calls = 0

    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        self.calls += 1
        if any(len(label) > 10 for task in tasks for label in task.labels):
            raise IndexError("index out of range in self")
        return [
            [
                sorted_result(text, task.labels, [1.0 / len(task.labels)] * len(task.labels))
                for text in task.texts
            ]
            for task in tasks
        ]


def test_a_record_the_model_cannot_score_gets_an_error_answer_and_the_others_their_scores() -> None:
    model = RefusesLongLabels()
    lines = [
        {"id": 1, "inputs": "ok", "parameters": {"candidate_labels": ["a", "b"]}},
        {"id": 2, "inputs": "ok", "parameters": {"candidate_labels": ["x" * 50]}},
        {"id": 3, "inputs": "ok", "parameters": {"candidate_labels": ["a", "b"]}},
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    answer, content_type = invoke(model, body, "application/jsonlines", "application/jsonlines")
    answers = [json.loads(line) for line in answer.decode().split("\n") if line]
    assert content_type == "application/jsonlines"
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert answers[1] == {
        "id": 2,
        "error": {"code": "record_failed", "message": "IndexError: index out of range in self"},
    }
    assert answers[0]["labels"] == ["a", "b"]
    assert model.calls == 1 + 3  # the shared batch, then each record alone


def test_a_plain_json_request_still_fails_as_a_whole() -> None:
    body = json.dumps({"inputs": "ok", "parameters": {"candidate_labels": ["x" * 50]}}).encode()
    with pytest.raises(IndexError):
        invoke(RefusesLongLabels(), body, "application/json", "application/json")
    assert classify_each(RefusesLongLabels(), []) == []
