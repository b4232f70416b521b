"""The answer check with many labels: shortlists, top_k, evidence of the scored labels."""

from __future__ import annotations

from typing import Any

import pytest

from zstc.contract.answer import check_answer
from zstc.contract.request import ClassifyRequest
from zstc.core import limits
from zstc.core.errors import InvalidModelResponseError

LABELS = [f"intent {index}" for index in range(40)]
TEXT = "where is my card?"


def _request(**parameters: Any) -> ClassifyRequest:
    return ClassifyRequest.model_validate(
        {"inputs": TEXT, "parameters": {"candidate_labels": LABELS, **parameters}}
    )


def _answer(k: int = 4, **extra: Any) -> dict[str, Any]:
    scores = [0.4, 0.3, 0.2, 0.1][:k] + [0.0] * (len(LABELS) - k)
    return {"sequence": TEXT, "labels": LABELS, "scores": scores, "shortlist": LABELS[:k], **extra}


def test_a_shortlisted_answer_passes_with_its_shortlist() -> None:
    [result] = check_answer(_request(shortlist=4), _answer())
    assert result.shortlist == LABELS[:4]
    assert result.model_dump()["shortlist"] == LABELS[:4]
    assert "shortlist" not in check_answer(_request(), {**_answer(), "shortlist": None})[0].model_dump()


def test_default_shortlists_of_different_sizes_pass_text_by_text() -> None:
    # Given a list of texts with more labels than the default threshold, and no shortlist: the engine
    # sizes each text's shortlist from its retriever's confidence
    sizes = [12, 20, limits.DEFAULT_SHORTLIST_MAX_K]
    request = ClassifyRequest.model_validate(
        {"inputs": [TEXT] * len(sizes), "parameters": {"candidate_labels": LABELS}}
    )
    answers = [_answer(k, scores=[1.0 / k] * k + [0.0] * (len(LABELS) - k)) for k in sizes]
    # Then each answer passes with its own shortlist
    results = check_answer(request, answers)
    assert [result.shortlist for result in results] == [LABELS[:k] for k in sizes]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_answer(shortlist=LABELS[:3]), "outside the shortlist"),
        (_answer(shortlist=["not a label"]), "not of candidate labels"),
        (_answer(shortlist=[LABELS[0], LABELS[0]]), "not of candidate labels"),
        (_answer(shortlist=[]), "not of candidate labels"),
        ({**_answer(), "labels": LABELS[:39], "scores": _answer()["scores"][:39]}, "exactly the candidate"),
    ],
)
def test_a_bad_shortlisted_answer_is_refused(answer: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidModelResponseError, match=says):
        check_answer(_request(shortlist=4), answer)


def test_top_k_answers_list_k_candidate_labels_summing_to_at_most_1() -> None:
    top = _answer()
    top.update(labels=LABELS[:3], scores=top["scores"][:3])
    [result] = check_answer(_request(top_k=3), top)
    assert result.labels == LABELS[:3]
    with pytest.raises(InvalidModelResponseError, match="exactly the candidate"):
        check_answer(_request(top_k=2), top)
    top.update(scores=[0.9, 0.5, 0.1])
    with pytest.raises(InvalidModelResponseError, match="sum to"):
        check_answer(_request(top_k=3), top)


def test_threshold_with_top_k_may_predict_labels_beyond_those_listed() -> None:
    answer = {"sequence": TEXT, "labels": LABELS[:2], "scores": [0.9, 0.8], "predicted_labels": LABELS[:3]}
    [result] = check_answer(_request(multi_label=True, threshold=0.5, top_k=2), answer)
    assert result.predicted_labels == LABELS[:3]
    with pytest.raises(InvalidModelResponseError, match="threshold rule"):  # a listed label left out
        check_answer(
            _request(multi_label=True, threshold=0.5, top_k=2), {**answer, "predicted_labels": LABELS[1:3]}
        )
    with pytest.raises(
        InvalidModelResponseError, match="threshold rule"
    ):  # a listed label under the threshold
        check_answer(
            _request(multi_label=True, threshold=0.5),
            {**answer, "labels": LABELS, "scores": [0.9, 0.8] + [0.1] * 38},
        )


def test_evidence_covers_the_scored_labels() -> None:
    evidence = [{"label": label, "start": 0, "end": len(TEXT), "score": 0.5} for label in LABELS[:4]]
    [result] = check_answer(
        _request(shortlist=4, return_evidence=True), _answer(windows=1, evidence=evidence)
    )
    assert result.evidence is not None
    assert [item.label for item in result.evidence] == LABELS[:4]
    with pytest.raises(InvalidModelResponseError, match="every scored label"):
        check_answer(_request(shortlist=4, return_evidence=True), _answer(windows=1, evidence=evidence[:3]))
