"""POST /classify with many labels: up to 500, shortlist and top_k, through the api handler and moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.support.moto import MotoHarness
from zstc.core import limits

MANY = [f"intent {index}" for index in range(limits.MAX_LABELS)]


def _shortlisted_answer(text: str, labels: list[str], k: int) -> dict[str, Any]:
    """What the engine answers with a shortlist of k: k scored labels, then the rest at 0."""
    scores = [0.5, *[0.5 / (k - 1)] * (k - 1), *[0.0] * (len(labels) - k)]
    return {"sequence": text, "labels": labels, "scores": scores, "shortlist": labels[:k]}


def test_500_labels_are_accepted_and_the_shortlist_is_returned(api: ApiClient, moto: MotoHarness) -> None:
    # Given an endpoint that shortlists 32 of 500 labels
    text = "where is the card you sent me? (many labels)"
    moto.queue_endpoint_results([_shortlisted_answer(text, MANY, limits.DEFAULT_SHORTLIST)])
    # When a client asks with 500 labels
    response = api.classify({"inputs": text, "parameters": {"candidate_labels": MANY}})
    # Then the answer lists every label and names the scored ones
    assert response.status == 200, response.body
    assert len(response.body["labels"]) == limits.MAX_LABELS
    assert response.body["shortlist"] == MANY[: limits.DEFAULT_SHORTLIST]
    assert response.body["scores"][limits.DEFAULT_SHORTLIST :] == [0.0] * (
        limits.MAX_LABELS - limits.DEFAULT_SHORTLIST
    )


def test_top_k_answers_list_the_best_labels_only(api: ApiClient, moto: MotoHarness) -> None:
    text = "top k (many labels)"
    answer = _shortlisted_answer(text, MANY, 8)
    answer.update(labels=answer["labels"][:3], scores=answer["scores"][:3])
    moto.queue_endpoint_results([answer])
    response = api.classify(
        {"inputs": text, "parameters": {"candidate_labels": MANY, "shortlist": 8, "top_k": 3}}
    )
    assert response.status == 200, response.body
    assert response.body["labels"] == MANY[:3]


@pytest.mark.parametrize(
    ("case", "parameters", "field", "says"),
    [
        ("501-labels", {"candidate_labels": [*MANY, "one more"]}, "candidate_labels", "limit is 500"),
        ("shortlist-zero", {"candidate_labels": MANY, "shortlist": 0}, "shortlist", "greater than or equal"),
        ("shortlist-true", {"candidate_labels": MANY, "shortlist": True}, "shortlist", ""),
        ("top-k-string", {"candidate_labels": MANY, "top_k": "3"}, "top_k", ""),
        (
            "every-label-over-budget",
            {"candidate_labels": MANY, "shortlist": False},
            "inputs",
            "premise/hypothesis pairs; the limit is 256",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else "",
)
def test_bad_many_label_requests_are_422s_naming_the_field(
    api: ApiClient, moto: MotoHarness, case: str, parameters: dict[str, Any], field: str, says: str
) -> None:
    response = api.classify({"inputs": f"x ({case})", "parameters": parameters})
    assert response.status == 422, response.body
    error = response.body["error"]
    assert field in error["message"] or any(field in map(str, d["loc"]) for d in error["details"])
    assert says in error["message"]


def test_an_answer_scoring_a_label_outside_its_shortlist_is_a_502(api: ApiClient, moto: MotoHarness) -> None:
    text = "bad shortlist (many labels)"
    answer = _shortlisted_answer(text, MANY, 4)
    answer["shortlist"] = MANY[:3]  # the fourth label has a score but was not scored
    moto.queue_endpoint_results([answer])
    response = api.classify({"inputs": text, "parameters": {"candidate_labels": MANY, "shortlist": 4}})
    assert response.status == 502, response.body
    assert "outside the shortlist" in response.body["error"]["message"]
