"""Steering options end to end: the api handler -> a local endpoint running the real MiniLM engine.

label_descriptions, template ensembles, threshold (predicted_labels) and long texts with evidence;
a Hugging Face-shaped request still gets exactly the Hugging Face answer shape.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiHandlerClient
from zstc.core import limits

LABELS = ["Sports", "Business", "Sci/Tech", "World"]
TEXT = "The quarterly earnings report beat analyst expectations and the shares rose 8 percent."
LONG_TEXT = (
    "The committee met on Tuesday to discuss the agenda for next month. " * 30
    + "In the final match, the striker scored twice and the home team won the championship cup."
)


@pytest.fixture
def api(minilm_api: ApiHandlerClient) -> ApiHandlerClient:
    return minilm_api


def _classify(api: ApiHandlerClient, inputs: Any, **parameters: Any) -> Any:
    answer = api.classify({"inputs": inputs, "parameters": {"candidate_labels": LABELS, **parameters}})
    assert answer.status == 200, answer.body
    return answer.body


def test_a_hugging_face_request_gets_exactly_the_hugging_face_answer_shape(api: ApiHandlerClient) -> None:
    body = _classify(api, TEXT)
    assert set(body) == {"sequence", "labels", "scores"}
    assert abs(sum(body["scores"]) - 1) < 1e-4


def test_descriptions_change_the_hypotheses_but_answers_name_the_labels(api: ApiHandlerClient) -> None:
    # Given a description that points "World" at this very text's topic
    plain = _classify(api, TEXT)
    described = _classify(
        api, TEXT, label_descriptions={"World": "earnings, shares and analyst expectations"}
    )
    # Then the answer still reports label names, and World's score rises
    assert sorted(described["labels"]) == sorted(LABELS)
    world = dict(zip(described["labels"], described["scores"], strict=True))["World"]
    before = dict(zip(plain["labels"], plain["scores"], strict=True))["World"]
    assert world > before


def test_a_template_ensemble_is_one_answer_over_the_same_labels(api: ApiHandlerClient) -> None:
    single = _classify(api, TEXT, hypothesis_template="This text is about {}.")
    ensemble = _classify(api, TEXT, hypothesis_template=["This text is about {}.", "A story about {}."])
    assert sorted(ensemble["labels"]) == sorted(LABELS)
    assert ensemble["scores"] != single["scores"]


@pytest.mark.parametrize(
    ("multi_label", "threshold"), [(False, 0.0), (False, 0.99999), (True, 0.5), (True, 0.0)]
)
def test_threshold_adds_predicted_labels_by_the_documented_rule(
    api: ApiHandlerClient, multi_label: bool, threshold: float
) -> None:
    body = _classify(api, TEXT, multi_label=multi_label, threshold=threshold)
    scored = list(zip(body["labels"], body["scores"], strict=True))
    if multi_label:
        assert body["predicted_labels"] == [label for label, score in scored if score >= threshold]
    else:
        assert body["predicted_labels"] == ([scored[0][0]] if scored[0][1] >= threshold else [])


def test_a_long_text_is_windowed_and_evidence_points_at_the_deciding_window(api: ApiHandlerClient) -> None:
    # Given a text far longer than MiniLM's 256-token window whose only sports sentence is at the end
    assert len(LONG_TEXT) > 2_000
    body = _classify(api, LONG_TEXT, return_evidence=True)
    # Then the text took several windows, every label has evidence inside the text, and Sports wins
    assert body["windows"] > 1
    assert [item["label"] for item in body["evidence"]] == body["labels"]
    assert all(0 <= item["start"] < item["end"] <= len(LONG_TEXT) for item in body["evidence"])
    sports = body["evidence"][body["labels"].index("Sports")]
    assert "championship" in LONG_TEXT[sports["start"] : sports["end"]]
    assert body["labels"][0] == "Sports"


def test_a_lone_label_is_scored_on_its_own(api: ApiHandlerClient) -> None:
    answer = api.classify({"inputs": TEXT, "parameters": {"candidate_labels": ["cooking"]}})
    assert answer.status == 200, answer.body
    assert answer.body["scores"][0] < 0.5


@pytest.mark.parametrize(
    ("parameters", "says"),
    [
        ({"label_descriptions": {"Cooking": "food"}}, 'label_descriptions has "Cooking"'),
        ({"label_descriptions": {"World": " "}}, "label_descriptions[World] is empty"),
        ({"hypothesis_template": []}, "needs 1 to"),
        ({"hypothesis_template": ["{}"] * (limits.MAX_TEMPLATES + 1)}, "needs 1 to"),
        (
            {"hypothesis_template": ["{}", "no placeholder"]},
            "hypothesis_template[1] must contain exactly one {}",
        ),
        ({"threshold": 1.5}, "less than or equal to 1"),
        ({"threshold": "high"}, "threshold"),
        ({"return_evidence": "yes"}, "return_evidence"),
    ],
)
def test_bad_options_are_422_naming_the_field(
    api: ApiHandlerClient, parameters: dict[str, Any], says: str
) -> None:
    answer = api.classify({"inputs": TEXT, "parameters": {"candidate_labels": LABELS, **parameters}})
    assert answer.status == 422, answer.body
    assert says in answer.body["error"]["message"] + str(answer.body["error"]["details"])


def test_the_pair_budget_counts_windows_and_templates(api: ApiHandlerClient) -> None:
    # 4 labels x 8 templates x 9 estimated windows is over the budget; one template fits
    text = "word " * (
        (limits.WINDOW_TOKENS + 7 * (limits.WINDOW_TOKENS - limits.WINDOW_TOKENS // 8)) // 5 + 1
    )
    many = api.classify(
        {"inputs": text, "parameters": {"candidate_labels": LABELS, "hypothesis_template": ["{}"] * 8}}
    )
    assert many.status == 422
    assert "premise/hypothesis pairs" in many.body["error"]["message"]
    assert _classify(api, text)["labels"]
