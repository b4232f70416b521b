"""parameters.label_examples end to end: the api handler -> a local endpoint running the MiniLM engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiHandlerClient
from zstc.core import limits

LABELS = ["alpha", "beta"]
EXAMPLES = {
    "alpha": ["buy cheaper groceries", "pay off my credit card debt", "put money into savings"],
    "beta": ["run a marathon", "go to the gym three times a week", "swim every morning"],
}


@pytest.fixture
def api(minilm_api: ApiHandlerClient) -> ApiHandlerClient:
    return minilm_api


def test_examples_steer_labels_whose_names_say_nothing(api: ApiHandlerClient) -> None:
    answer = api.classify(
        {
            "inputs": ["spend less on food this year", "train for a triathlon"],
            "parameters": {"candidate_labels": LABELS, "label_examples": EXAMPLES},
        }
    )
    assert answer.status == 200, answer.body
    assert [result["labels"][0] for result in answer.body] == ["alpha", "beta"]
    assert set(answer.body[0]) == {"sequence", "labels", "scores"}  # the answer's shape is unchanged


@pytest.mark.parametrize(
    ("examples", "says"),
    [
        ({"gamma": ["x"]}, 'label_examples has "gamma", which is not one of candidate_labels'),
        ({"alpha": ["a"], "alpha ": ["b"]}, 'label_examples has two keys for the label "alpha"'),
        ({"alpha": ["save"] * (limits.MAX_EXAMPLES_PER_LABEL + 1)}, "label_examples[alpha] has 17 examples"),
        (
            {"alpha": ["save", "x" * (limits.MAX_EXAMPLE_CHARS + 1)]},
            "label_examples[alpha][1] has 1001 characters",
        ),
        ({"alpha": ["save", "  "]}, "label_examples[alpha][1] is empty"),
        ({"alpha": []}, "label_examples[alpha] has 0 examples"),
        ({"alpha": "save money"}, "label_examples.alpha"),
        (
            {"alpha": ["\U0001f600" * 999] * 16, "beta": ["\U0001f600" * 999] * 16},
            "bytes as UTF-8; the limit is 100000",
        ),
    ],
    ids=[
        "unknown-label",
        "duplicate-key",
        "too-many",
        "too-long",
        "empty-text",
        "empty-list",
        "not-a-list",
        "too-large",
    ],
)
def test_bad_examples_are_422s_naming_the_field(api: ApiHandlerClient, examples: Any, says: str) -> None:
    answer = api.classify(
        {"inputs": "x", "parameters": {"candidate_labels": LABELS, "label_examples": examples}}
    )
    assert answer.status == 422, answer.body
    error = answer.body["error"]
    assert says in error["message"] + str(error["details"])
    assert any(
        "label_examples" in map(str, detail["loc"]) or "label_examples" in detail["msg"]
        for detail in error["details"]
    )


def test_examples_over_the_window_budget_are_a_422(api: ApiHandlerClient) -> None:
    labels = [f"label {index}" for index in range(200)]
    examples = {label: [f"example {n}" for n in range(11)] for label in labels}  # 2,200 short examples
    answer = api.classify(
        {"inputs": "x", "parameters": {"candidate_labels": labels, "label_examples": examples}}
    )
    assert answer.status == 422, answer.body
    assert f"the limit is {limits.MAX_EXAMPLE_WINDOWS}" in answer.body["error"]["message"]
