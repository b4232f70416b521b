"""The request schema enforces every limit with a message that names the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zstc.contract.answer import Classification
from zstc.contract.request import ClassifyRequest
from zstc.core import limits
from zstc_engine.protocol import parse_request


def _request(inputs: Any = "a text", **parameters: Any) -> dict[str, Any]:
    return {"inputs": inputs, "parameters": {"candidate_labels": ["a", "b"], **parameters}}


def _error(payload: dict[str, Any]) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as caught:
        ClassifyRequest.model_validate(payload)
    first = caught.value.errors()[0]
    return first["loc"], first["msg"]


def test_comma_string_labels_are_split_and_stripped() -> None:
    # Given labels as one comma-separated string, When validated, Then they become a list
    request = ClassifyRequest.model_validate(_request(candidate_labels="Health,  Career , Finance"))
    assert request.parameters.candidate_labels == ["Health", "Career", "Finance"]
    assert request.to_endpoint_payload()["parameters"]["candidate_labels"] == ["Health", "Career", "Finance"]


def test_defaults_follow_the_transformers_pipeline() -> None:
    # Given no template, Then none is sent: the model side applies the pipeline's default (one source)
    request = ClassifyRequest.model_validate(_request())
    assert request.parameters.multi_label is False
    assert request.parameters.hypothesis_template is None
    assert "hypothesis_template" not in request.to_endpoint_payload()["parameters"]
    assert parse_request(request.to_endpoint_payload()).hypothesis_templates == ()
    assert request.texts == ["a text"]
    assert request.is_batch is False


@pytest.mark.parametrize(
    ("payload", "where", "says"),
    [
        (_request(inputs=""), ("inputs",), "inputs is empty"),
        (_request(inputs=[]), ("inputs",), "at least one text"),
        (_request(inputs=["ok", "  "]), ("inputs",), "inputs[1] is empty"),
        (_request(inputs=["ok", 3]), ("inputs",), "string or a list of strings"),
        (
            _request(inputs="x" * (limits.MAX_TEXT_CHARS + 1)),
            ("inputs",),
            f"limit is {limits.MAX_TEXT_CHARS}",
        ),
        (_request(inputs=["t"] * (limits.MAX_TEXTS_PER_REQUEST + 1)), ("inputs",), "texts; the limit"),
        (_request(candidate_labels=[]), ("parameters", "candidate_labels"), "at least one label"),
        (
            _request(candidate_labels="a,,b"),
            ("parameters", "candidate_labels"),
            "candidate_labels[1] is empty",
        ),
        (_request(candidate_labels=["a", "a"]), ("parameters", "candidate_labels"), 'repeats the label "a"'),
        (
            _request(candidate_labels=[f"l{i}" for i in range(limits.MAX_LABELS + 1)]),
            ("parameters", "candidate_labels"),
            f"the limit is {limits.MAX_LABELS}",
        ),
        (
            _request(candidate_labels=["x" * (limits.MAX_LABEL_CHARS + 1)]),
            ("parameters", "candidate_labels"),
            "candidate_labels[0] has",
        ),
        (
            _request(hypothesis_template="no placeholder"),
            ("parameters", "hypothesis_template"),
            "exactly one {}",
        ),
        (_request(hypothesis_template="{} and {}"), ("parameters", "hypothesis_template"), "exactly one {}"),
        (
            _request(hypothesis_template="This is {label}."),
            ("parameters", "hypothesis_template"),
            "exactly one {}",
        ),
        (
            _request(hypothesis_template="This is {}.{"),
            ("parameters", "hypothesis_template"),
            "not a valid template",
        ),
        (_request(multi_label="true"), ("parameters", "multi_label"), "valid boolean"),
        (
            {"inputs": "x", "parameters": {"candidate_labels": ["a"], "multilabel": True}},
            ("parameters", "multilabel"),
            "Extra inputs",
        ),
        ({"inputs": "x"}, ("parameters",), "Field required"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_invalid_requests_name_the_field(payload: dict[str, Any], where: tuple[str, ...], says: str) -> None:
    loc, msg = _error(payload)
    assert loc == where
    assert says in msg


def test_pairs_limit_counts_texts_times_labels() -> None:
    texts = ["t"] * limits.MAX_TEXTS_PER_REQUEST
    labels = [f"l{i}" for i in range(limits.MAX_PAIRS_PER_REQUEST // limits.MAX_TEXTS_PER_REQUEST + 1)]
    loc, msg = _error(_request(inputs=texts, candidate_labels=labels))
    assert loc == ()
    assert f"the limit is {limits.MAX_PAIRS_PER_REQUEST}" in msg


def test_classification_sorts_by_score_and_rejects_bad_scores() -> None:
    result = Classification(sequence="s", labels=["a", "b", "c"], scores=[0.2, 0.7, 0.1]).sorted_by_score()
    assert result.labels == ["b", "a", "c"]
    assert result.scores == [0.7, 0.2, 0.1]
    with pytest.raises(ValidationError, match="between 0 and 1"):
        Classification(sequence="s", labels=["a"], scores=[1.5])
    with pytest.raises(ValidationError, match="1 labels but 2 scores"):
        Classification(sequence="s", labels=["a"], scores=[0.5, 0.5])
