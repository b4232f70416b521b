"""``parameters.label_examples``: keys normalised like label_descriptions', bounded, hygienic texts."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zstc.contract.jobs import CreateJobRequest
from zstc.contract.request import ClassifyRequest
from zstc.core import limits

LABELS = ["Health", "Finance"]


def _request(examples: Any) -> dict[str, Any]:
    return {"inputs": "go for a run", "parameters": {"candidate_labels": LABELS, "label_examples": examples}}


def _error(examples: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(_request(examples))
    [error] = raised.value.errors()
    return dict(error)


def test_examples_keys_are_stripped_like_candidate_labels() -> None:
    request = ClassifyRequest.model_validate(_request({" Health ": ["run every morning"]}))
    assert request.parameters.label_examples == {"Health": ["run every morning"]}
    assert request.parameters.example_windows == 1


def test_a_key_that_is_not_a_candidate_label_is_a_422_naming_the_key() -> None:
    error = _error({"Travel": ["see Rome"]})
    assert error["type"] == "examples_label"
    assert error["loc"] == ("parameters", "label_examples")
    assert 'label_examples has "Travel"' in error["msg"]


def test_two_keys_naming_one_label_are_refused_whatever_the_order() -> None:
    for examples in ({"Health": ["a"], "Health ": ["b"]}, {"Health ": ["b"], "Health": ["a"]}):
        error = _error(examples)
        assert error["type"] == "examples_duplicate"
        assert error["loc"] == ("parameters", "label_examples")
        assert 'label_examples has two keys for the label "Health"' in error["msg"]


def test_more_examples_than_the_limit_per_label_are_refused_naming_the_label() -> None:
    error = _error({"Finance": ["save money"] * (limits.MAX_EXAMPLES_PER_LABEL + 1)})
    assert error["type"] == "examples_count"
    assert "label_examples[Finance] has 17 examples" in error["msg"]


def test_a_label_with_an_empty_list_is_refused() -> None:
    assert _error({"Finance": []})["type"] == "examples_count"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("   ", "example_empty"),
        ("\u200b\u200b", "text_invisible"),
        ("\ud83d", "text_unencodable"),
        ("x" * (limits.MAX_EXAMPLE_CHARS + 1), "example_too_long"),
    ],
)
def test_each_example_has_the_hygiene_of_inputs_and_its_error_names_its_position(
    text: str, kind: str
) -> None:
    error = _error({"Finance": ["save money", text]})
    assert error["type"] == kind
    assert "label_examples[Finance][1]" in error["msg"]


def test_examples_beyond_the_window_budget_are_refused_even_when_each_label_is_within_its_limits() -> None:
    labels = [f"label {index}" for index in range(200)]
    body = {
        "inputs": "x",
        "parameters": {
            "candidate_labels": labels,
            "label_examples": {label: [f"example {n}" for n in range(11)] for label in labels},
        },
    }
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(body)
    [error] = raised.value.errors()
    assert error["type"] == "examples_too_many_windows"
    assert "2200 model windows" in error["msg"]


def test_examples_are_not_counted_as_pairs_and_are_sent_to_the_endpoint() -> None:
    request = ClassifyRequest.model_validate(_request({"Health": ["run"] * limits.MAX_EXAMPLES_PER_LABEL}))
    payload = request.to_endpoint_payload()
    assert payload["parameters"]["label_examples"] == {"Health": ["run"] * limits.MAX_EXAMPLES_PER_LABEL}


def test_a_request_without_examples_sends_no_examples_field() -> None:
    request = ClassifyRequest.model_validate({"inputs": "x", "parameters": {"candidate_labels": LABELS}})
    assert "label_examples" not in request.to_endpoint_payload()["parameters"]


def test_jobs_take_examples_as_a_job_wide_option_validated_as_classify_does() -> None:
    job = CreateJobRequest.model_validate(
        {"format": "csv", "candidate_labels": LABELS, "label_examples": {"Health": ["run"]}}
    )
    parameters = job.parameters()
    assert parameters is not None
    assert parameters.label_examples == {"Health": ["run"]}
    with pytest.raises(ValidationError, match='label_examples has "Travel"'):
        CreateJobRequest.model_validate(
            {"format": "csv", "candidate_labels": LABELS, "label_examples": {"Travel": ["Rome"]}}
        )
    with pytest.raises(ValidationError, match="label_examples"):  # never dropped without labels
        CreateJobRequest.model_validate({"format": "jsonl", "label_examples": {"Health": ["run"]}})


def test_examples_beyond_the_byte_budget_are_refused() -> None:
    labels = [f"label {index}" for index in range(16)]
    example = "\u00e9" * 200  # 400 bytes as UTF-8, one window each
    body = {
        "inputs": "x",
        "parameters": {
            "candidate_labels": labels,
            "label_examples": {label: [example] * 16 for label in labels},
        },
    }
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(body)
    [error] = raised.value.errors()
    assert error["type"] == "examples_too_large"
    assert "label_examples take 102400 bytes as UTF-8; the limit is 100000" in error["msg"]
