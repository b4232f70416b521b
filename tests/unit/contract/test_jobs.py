"""POST /jobs' request (zstc.contract.jobs.CreateJobRequest): job-wide options need the job's labels."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zstc.contract.jobs import CreateJobRequest


@pytest.mark.parametrize(
    "options",
    [
        {"threshold": 0.5},
        {"shortlist": 8, "top_k": 3},
        {"multi_label": True},
        {"return_evidence": True},
        {"hypothesis_template": "The topic is {}."},
        {"label_descriptions": {"Health": "exercise"}},
    ],
)
def test_job_wide_options_without_labels_are_refused_naming_them(options: dict[str, Any]) -> None:
    # Given a jsonl job with options but no job-wide labels (lines with parameters use only their own)
    with pytest.raises(ValidationError) as raised:
        CreateJobRequest.model_validate({"format": "jsonl", **options})
    # Then it is a 422 that names each option, instead of a job that silently drops them
    [error] = raised.value.errors()
    assert error["type"] == "options_without_labels"
    for name in options:
        assert name in error["msg"]


def test_a_jsonl_job_without_options_or_with_their_defaults_needs_no_labels() -> None:
    assert CreateJobRequest.model_validate({"format": "jsonl"}).parameters() is None
    explicit_defaults = {"format": "jsonl", "multi_label": False, "return_evidence": False}
    assert CreateJobRequest.model_validate(explicit_defaults).parameters() is None


def test_options_with_labels_become_the_job_s_parameters() -> None:
    request = CreateJobRequest.model_validate(
        {"format": "jsonl", "candidate_labels": ["Health", "Finance"], "threshold": 0.5, "top_k": 1}
    )
    parameters = request.parameters()
    assert parameters is not None
    assert (parameters.threshold, parameters.top_k) == (0.5, 1)


@pytest.mark.parametrize(
    "options", [{"text_column": "t"}, {"id_column": "key"}, {"text_column": "t", "id_column": "k"}]
)
def test_csv_column_options_on_a_jsonl_job_are_refused_naming_them(options: dict[str, Any]) -> None:
    # Given a jsonl job (labels or not) with options that name csv columns
    with pytest.raises(ValidationError) as raised:
        CreateJobRequest.model_validate({"format": "jsonl", "candidate_labels": ["Health"], **options})
    # Then it is a 422 naming each, instead of a job that ignores them
    [error] = raised.value.errors()
    assert error["type"] == "options_for_csv"
    for name in options:
        assert name in error["msg"]
