"""Texts within the documented limits never fail at the model for their length (the real MiniLM engine).

Dense text (CJK, ``a.``, code) takes one token per character; the API budgets every text as if it
did, so it either answers 200 or refuses before the model with a 422 naming the text.
"""

from __future__ import annotations

from tests.support.api import ApiHandlerClient
from zstc.core import limits

LABELS = ["Health", "Finance"]


def test_a_dense_text_at_the_character_limit_is_classified_not_a_502(minilm_api: ApiHandlerClient) -> None:
    # 20,000 characters of CJK: 90 windows of 254 tokens (the engine used to refuse more than 64)
    text = "我想跑步" * (limits.MAX_TEXT_CHARS // 4)
    response = minilm_api.classify({"inputs": text, "parameters": {"candidate_labels": LABELS}})
    assert response.status == 200, response.body
    assert sorted(response.body["labels"]) == sorted(LABELS)


def test_a_dense_text_over_the_pair_budget_is_a_422_before_the_model(minilm_api: ApiHandlerClient) -> None:
    # 90 windows x 3 labels is 270 pairs: more than the budget, whatever the text's language
    text = "我想跑步" * (limits.MAX_TEXT_CHARS // 4)
    response = minilm_api.classify({"inputs": text, "parameters": {"candidate_labels": [*LABELS, "Career"]}})
    assert response.status == 422, response.body
    assert "premise/hypothesis pairs" in response.body["error"]["message"]


def test_a_text_that_decomposes_past_the_window_limit_is_a_422_naming_it(
    minilm_api: ApiHandlerClient,
) -> None:
    # Hangul syllables decompose into jamo the tokenizer splits: up to three tokens per character
    response = minilm_api.classify(
        {"inputs": ["fine", "한" * 15_000], "parameters": {"candidate_labels": LABELS}}
    )
    assert response.status == 422, response.body
    [detail] = response.body["error"]["details"]
    assert detail["type"] == "text_too_dense"
    assert "inputs[1]" in detail["msg"]
