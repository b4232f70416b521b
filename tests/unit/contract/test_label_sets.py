"""The label set contract: references, the label parameters a set holds, and naming a set instead of them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zstc.contract.jobs import CreateJobRequest
from zstc.contract.label_sets import CreateLabelSetRequest, LabelSetView, content_hash
from zstc.contract.request import (
    LABEL_SET_FIELDS,
    PER_REQUEST_OPTIONS,
    ClassifyBody,
    ClassifyParameters,
    split_label_set_reference,
)
from zstc.core import limits
from zstc.core.errors import UnprocessableRequestError

SET = ClassifyParameters(candidate_labels=["Health", "Career"], multi_label=True, threshold=0.5)


def _errors(model: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    return [dict(error) for error in raised.value.errors()]


def test_every_classify_parameter_is_either_held_by_a_set_or_chosen_per_request() -> None:
    assert set(LABEL_SET_FIELDS) | set(PER_REQUEST_OPTIONS) == set(ClassifyParameters.model_fields)
    assert not set(LABEL_SET_FIELDS) & set(PER_REQUEST_OPTIONS)
    assert "candidate_labels" in LABEL_SET_FIELDS


@pytest.mark.parametrize(
    ("reference", "split"),
    [("goals", ("goals", None)), ("goals@3", ("goals", 3)), ("a.b_c-1@12", ("a.b_c-1", 12))],
)
def test_a_reference_is_a_name_and_an_optional_version(reference: str, split: tuple[str, int | None]) -> None:
    assert split_label_set_reference(reference) == split


@pytest.mark.parametrize(
    "reference", ["goals@", "goals@0", "goals@03", "goals@x", "goals@1@2", "goals@\u0661", "", "-a"]
)
def test_a_bad_reference_is_a_422_naming_label_set(reference: str) -> None:
    errors = _errors(ClassifyBody, {"inputs": "x", "parameters": {"label_set": reference}})
    assert errors[0]["loc"] == ("parameters", "label_set")
    assert errors[0]["type"] in {"label_set_name", "label_set_version"}


def test_a_version_with_leading_zeros_is_refused_saying_so() -> None:
    # a reference is recorded as sent (a job's label_set): one version, one spelling
    [error] = _errors(ClassifyBody, {"inputs": "x", "parameters": {"label_set": "goals@03"}})
    assert "without leading zeros" in error["msg"]


@pytest.mark.parametrize("field", LABEL_SET_FIELDS)
def test_label_set_beside_a_label_parameter_is_a_422_naming_both(field: str) -> None:
    value = ["Health"] if field == "candidate_labels" else False if field == "multi_label" else None
    errors = _errors(ClassifyBody, {"inputs": "x", "parameters": {"label_set": "goals", field: value}})
    assert errors[0]["type"] == "label_set_conflict"
    assert "label_set" in errors[0]["msg"]
    assert field in errors[0]["msg"]
    job = _errors(CreateJobRequest, {"format": "csv", "label_set": "goals", field: value})
    assert job[0]["type"] == "label_set_conflict"


def test_a_body_naming_a_set_takes_its_labels_and_keeps_its_own_options() -> None:
    body = ClassifyBody.model_validate(
        {"inputs": ["a", "b"], "parameters": {"label_set": "goals@1", "top_k": 1, "return_evidence": True}}
    )
    assert body.label_set == "goals@1"
    request = body.request(SET)
    assert request.parameters.candidate_labels == ["Health", "Career"]
    assert request.parameters.multi_label is True
    assert request.parameters.threshold == 0.5
    assert (request.parameters.top_k, request.parameters.return_evidence) == (1, True)


def test_a_body_with_its_own_labels_is_the_request_as_before() -> None:
    payload = {"inputs": "a", "parameters": {"candidate_labels": ["x", "y"]}}
    body = ClassifyBody.model_validate(payload)
    assert body.label_set is None
    assert body.request().to_endpoint_payload() == {
        "inputs": "a",
        "parameters": {"candidate_labels": ["x", "y"], "multi_label": False},
    }


def test_errors_of_a_body_with_labels_name_the_labels_fields_only() -> None:
    errors = _errors(ClassifyBody, {"inputs": "a", "parameters": {"candidate_labels": []}})
    assert [(error["loc"], error["type"]) for error in errors] == [
        (("parameters", "candidate_labels"), "labels_empty")
    ]


def test_a_set_that_takes_the_texts_past_the_pair_budget_is_a_422_naming_label_set() -> None:
    many = ClassifyParameters(candidate_labels=[f"label {index}" for index in range(30)])
    texts = ["some text"] * limits.MAX_TEXTS_PER_REQUEST
    body = ClassifyBody.model_validate(
        {"inputs": texts, "parameters": {"label_set": "many", "shortlist": False}}
    )
    with pytest.raises(UnprocessableRequestError) as raised:
        body.request(many)
    assert raised.value.details[0]["loc"] == ["body", "parameters", "label_set"]
    assert raised.value.details[0]["type"] == "too_many_pairs"


@pytest.mark.parametrize("option", PER_REQUEST_OPTIONS)
def test_a_set_does_not_store_a_per_request_option(option: str) -> None:
    value = {"return_evidence": True, "shortlist": 4, "top_k": 2}[option]
    errors = _errors(
        CreateLabelSetRequest,
        {"name": "goals", "parameters": {"candidate_labels": ["a", "b"], option: value}},
    )
    assert errors[0]["type"] == "label_set_request_option"
    assert option in errors[0]["msg"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "bad name", "parameters": {"candidate_labels": ["a"]}}, ("name",)),
        (
            {"name": "goals", "parameters": {"candidate_labels": ["a", "a"]}},
            ("parameters", "candidate_labels"),
        ),
        (
            {"name": "goals", "parameters": {"candidate_labels": ["a"], "hypothesis_template": "no"}},
            ("parameters", "hypothesis_template"),
        ),
        (
            {"name": "goals", "parameters": {"candidate_labels": ["a"], "label_descriptions": {"b": "x"}}},
            ("parameters", "label_descriptions"),
        ),
        (
            {
                "name": "goals",
                "parameters": {"candidate_labels": ["a"]},
                "note": "n" * (limits.MAX_LABEL_SET_NOTE_CHARS + 1),
            },
            ("note",),
        ),
        (
            {"name": "goals", "parameters": {"candidate_labels": ["a"]}, "expected_version": -1},
            ("expected_version",),
        ),
    ],
)
def test_a_set_is_checked_by_the_rules_of_classify_parameters(
    body: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    assert _errors(CreateLabelSetRequest, body)[0]["loc"] == loc


@pytest.mark.parametrize(
    ("examples", "error_type"),
    [
        ({"Travel": ["fly to Lisbon"]}, "examples_label"),
        ({"a": ["x"] * (limits.MAX_EXAMPLES_PER_LABEL + 1)}, "examples_count"),
        ({"a": ["x" * (limits.MAX_EXAMPLE_CHARS + 1)]}, "example_too_long"),
    ],
    ids=["unknown-label", "too-many", "too-long"],
)
def test_a_set_s_examples_are_checked_as_classify_checks_them(
    examples: dict[str, list[str]], error_type: str
) -> None:
    body = {"name": "goals", "parameters": {"candidate_labels": ["a", "b"], "label_examples": examples}}
    errors = _errors(CreateLabelSetRequest, body)
    assert errors[0]["loc"][0] == "parameters"
    assert errors[0]["type"] == error_type
    classify = _errors(ClassifyBody, {"inputs": "x", "parameters": body["parameters"]})
    assert (classify[0]["type"], classify[0]["msg"]) == (errors[0]["type"], errors[0]["msg"])


def test_a_set_holds_label_examples() -> None:
    request = CreateLabelSetRequest.model_validate(
        {"name": "goals", "parameters": {"candidate_labels": ["a", "b"], "label_examples": {"a": ["one"]}}}
    )
    assert "label_examples" in LABEL_SET_FIELDS
    assert request.parameters.label_examples == {"a": ["one"]}


def test_the_content_hash_covers_parameters_and_note_only() -> None:
    assert content_hash(SET, None) == content_hash(SET.model_copy(update={"top_k": 3}), None)
    assert content_hash(SET, None) != content_hash(SET, "note")
    assert content_hash(SET, None) != content_hash(SET.model_copy(update={"threshold": 0.6}), None)


def test_a_view_shows_the_label_fields_it_holds() -> None:
    view = LabelSetView(
        name="g", version=1, label_set="g@1", parameters=SET, created_at="t", content_hash="h"
    )
    assert view.model_dump(mode="json")["parameters"] == {
        "candidate_labels": ["Health", "Career"],
        "multi_label": True,
        "threshold": 0.5,
    }


def test_a_csv_job_needs_labels_or_a_label_set() -> None:
    assert (
        CreateJobRequest.model_validate({"format": "csv", "label_set": "goals@2", "top_k": 1}).label_set
        == "goals@2"
    )
    assert _errors(CreateJobRequest, {"format": "csv"})[0]["type"] == "labels_required"
    job = CreateJobRequest.model_validate({"format": "csv", "label_set": "goals", "top_k": 1})
    parameters = job.parameters(SET)
    assert parameters is not None
    assert (parameters.candidate_labels, parameters.top_k) == (["Health", "Career"], 1)
