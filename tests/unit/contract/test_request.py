"""The request schema with many labels: 500 labels, shortlist and top_k, the model-cost budget."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zstc.contract.request import DEFAULT_TEMPLATE, ClassifyRequest, estimated_windows, model_cost
from zstc.core import limits
from zstc_engine import nli
from zstc_engine.protocol import DEFAULT_HYPOTHESIS_TEMPLATE, parse_request

MANY = [f"intent {index}" for index in range(limits.MAX_LABELS)]


def _request(inputs: Any = "a text", **parameters: Any) -> ClassifyRequest:
    return ClassifyRequest.model_validate(
        {"inputs": inputs, "parameters": {"candidate_labels": MANY, **parameters}}
    )


def test_the_api_and_the_engine_share_the_shortlist_defaults() -> None:
    # The engine cannot import the shared layer: this keeps the two copies equal. The API budgets the
    # default shortlist's most labels per text, never its mean.
    assert nli.DEFAULT_SHORTLIST.max_k == limits.DEFAULT_SHORTLIST_MAX_K
    assert limits.SHORTLIST_ABOVE == nli.SHORTLIST_ABOVE


def test_500_labels_pass_and_501_are_refused_naming_the_field() -> None:
    assert len(_request().parameters.candidate_labels) == limits.MAX_LABELS
    with pytest.raises(ValidationError) as error:
        _request(candidate_labels=[*MANY, "one more"])
    problem = error.value.errors()[0]
    assert problem["loc"] == ("parameters", "candidate_labels")
    assert f"has {limits.MAX_LABELS + 1} labels; the limit is {limits.MAX_LABELS}" in problem["msg"]


@pytest.mark.parametrize(
    ("labels", "parameters", "scored"),
    [
        (500, {}, limits.DEFAULT_SHORTLIST_MAX_K),
        (limits.SHORTLIST_ABOVE, {}, limits.SHORTLIST_ABOVE),
        (500, {"shortlist": 8}, 8),
        (5, {"shortlist": 8}, 5),
        (80, {"shortlist": False}, 80),
    ],
)
def test_the_cost_counts_the_labels_the_model_scores(
    labels: int, parameters: dict[str, Any], scored: int
) -> None:
    request = _request(["short", "another short text"], candidate_labels=MANY[:labels], **parameters)
    assert request.parameters.scored_labels == scored
    windows = sum(estimated_windows(text, request.parameters.hypothesis_tokens) for text in request.texts)
    assert model_cost(request.texts, request.parameters) == windows * scored


def test_the_budget_refuses_every_label_scored_over_256_pairs() -> None:
    with pytest.raises(ValidationError, match="is 500 premise/hypothesis pairs; the limit is 256"):
        _request(shortlist=False)
    with pytest.raises(ValidationError, match="is 288 premise/hypothesis pairs"):
        _request(["t"] * 9)  # 9 texts x the default shortlist of 32


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shortlist", 0),
        ("shortlist", 1),
        ("shortlist", True),
        ("shortlist", "8"),
        ("top_k", 0),
        ("top_k", 1.0),
    ],
)
def test_bad_shortlist_or_top_k_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as error:
        _request(**{field: value})
    assert all(problem["loc"][:2] == ("parameters", field) for problem in error.value.errors())


@pytest.mark.parametrize("parameters", [{}, {"shortlist": 8, "top_k": 3}, {"shortlist": False}, {"top_k": 1}])
def test_the_engine_parses_what_the_api_sends(parameters: dict[str, Any]) -> None:
    request = _request(candidate_labels=MANY[:40], **parameters)
    task = parse_request(request.to_endpoint_payload())
    assert task.shortlist == request.parameters.shortlist
    assert task.top_k == request.parameters.top_k
    # the most labels the engine may score per text is what the API counted
    if task.shortlist is None and len(task.labels) > nli.SHORTLIST_ABOVE:
        most = nli.DEFAULT_SHORTLIST.max_k
    else:
        most = task.shortlist_size(None, 0) or len(task.labels)
    assert most == request.parameters.scored_labels


def test_the_api_bounds_hypotheses_by_the_engines_default_template() -> None:
    assert DEFAULT_TEMPLATE == DEFAULT_HYPOTHESIS_TEMPLATE


@pytest.mark.parametrize(
    ("parameters", "fields"),
    [
        (
            {"candidate_labels": ["a", "b"], "label_descriptions": {"a": "\U00012000" * 300}},
            ("label_descriptions.a", "the default hypothesis template"),
        ),
        (
            {
                "candidate_labels": ["\U00012000" * 100, "b"],
                "hypothesis_template": "\U00012000" * 197 + " {}",
            },
            ("candidate_labels[0]", "hypothesis_template"),
        ),
        (
            {"candidate_labels": ["a"], "hypothesis_template": ["{}", "\U00012000" * 130 + " {}"]},
            ("candidate_labels[0]", "hypothesis_template[1]"),
        ),
    ],
    ids=["description", "label-and-template", "template-list"],
)
def test_a_hypothesis_that_may_not_fit_the_model_is_refused_naming_its_fields(
    parameters: dict[str, Any], fields: tuple[str, str]
) -> None:
    # Given a hypothesis of more UTF-8 bytes (byte-level BPE tokens at most) than the bound
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate({"inputs": "run", "parameters": parameters})
    [error] = raised.value.errors()
    assert error["type"] == "hypothesis_too_long"
    assert all(field in error["msg"] for field in fields)


def test_every_ascii_hypothesis_within_the_character_limits_fits() -> None:
    request = ClassifyRequest.model_validate(
        {
            "inputs": "run",
            "parameters": {
                "candidate_labels": ["a"],
                "hypothesis_template": "t" * (limits.MAX_TEMPLATE_CHARS - 2) + "{}",
                "label_descriptions": {"a": "d" * limits.MAX_DESCRIPTION_CHARS},
            },
        }
    )
    assert request.parameters.hypothesis_tokens <= limits.MAX_HYPOTHESIS_TOKENS


def test_the_window_estimate_grows_as_the_hypothesis_leaves_less_of_the_nli_input() -> None:
    # 20,000 four-byte characters: 80,000 byte-level tokens at most, in windows of 1020 minus the hypothesis
    text = "\U00012000" * limits.MAX_TEXT_CHARS
    assert estimated_windows(text, 20) <= limits.MAX_TEXT_WINDOWS < estimated_windows(text, 316)
    # CJK keeps WordPiece's count (one token per character) beside a short hypothesis
    assert estimated_windows("我" * limits.MAX_TEXT_CHARS, 20) == estimated_windows(
        "a" * limits.MAX_TEXT_CHARS, 20
    )


@pytest.mark.parametrize("template", ["It is {{}} {}.", "It is {} }}.", "{{ {}"])
def test_a_template_with_escaped_braces_beside_its_placeholder_is_refused(template: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(
            {"inputs": "run", "parameters": {"candidate_labels": ["a"], "hypothesis_template": template}}
        )
    [error] = raised.value.errors()
    assert error["type"] == "template_placeholder"
