"""POST /classify's logic (zstc.realtime.classify) over an in-memory endpoint."""

from __future__ import annotations

import pytest

from tests.support.fakes import FakeEndpoint
from zstc.contract.request import ClassifyRequest
from zstc.core.errors import InvalidModelResponseError, ThrottledError
from zstc.realtime.classify import classify

REQUEST = ClassifyRequest.model_validate({"inputs": ["a", "b"], "parameters": {"candidate_labels": "x, y"}})


def _answer(payload: dict[str, object]) -> list[dict[str, object]]:
    texts = payload["inputs"]
    assert isinstance(texts, list)
    return [{"sequence": text, "labels": ["x", "y"], "scores": [0.25, 0.75]} for text in texts]


def test_classify_sends_the_normalised_request_and_sorts_the_checked_answer() -> None:
    endpoint = FakeEndpoint(answer=_answer)
    results = classify(REQUEST, endpoint)
    assert endpoint.payloads == [
        {"inputs": ["a", "b"], "parameters": {"candidate_labels": ["x", "y"], "multi_label": False}}
    ]
    assert [(r.sequence, r.labels) for r in results] == [("a", ["y", "x"]), ("b", ["y", "x"])]


def test_classify_refuses_an_answer_for_other_texts_and_passes_endpoint_errors_on() -> None:
    with pytest.raises(InvalidModelResponseError):
        classify(
            REQUEST, FakeEndpoint(answer=[{"sequence": "a", "labels": ["x", "y"], "scores": [0.5, 0.5]}])
        )
    with pytest.raises(ThrottledError):
        classify(REQUEST, FakeEndpoint(answer=ThrottledError("slow down")))
