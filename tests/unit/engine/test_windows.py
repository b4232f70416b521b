"""The API's window estimate against the engine's real windows: an upper bound, for any text.

The API cannot tokenise; it budgets pairs (and refuses texts) by ``estimated_windows``. A text it
accepts must never take more windows at the model than it budgeted, or the model refuses it (a 502,
a failed batch record) and a request costs more pairs than the budget says.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.support.tiny_models import build_tiny_bart_nli
from zstc.contract.request import ClassifyRequest, estimated_windows
from zstc.core import limits
from zstc_engine.classifier import Classifier
from zstc_engine.loading import load_classifier
from zstc_engine.protocol import decode
from zstc_engine.windows import DEFAULT_MAX_WINDOWS, token_windows

# Character classes that make many tokens: CJK, Hangul (decomposes into jamo), punctuation, code,
# emoji, combining marks, compatibility characters that expand (U+FDFA is 18 characters in NFKD).
_DENSE = st.sampled_from(
    [
        "我",
        "想",
        "跑",
        "步",
        "안",
        "녕",
        "한",
        "글",
        "a",
        ".",
        "(",
        ")",
        "=",
        ";",
        "😀",
        "\u0301",
        "\ufdfa",
        "İ",
        "ß",
        " ",
        "\n",
        "x",
        "1",
    ]
)


@pytest.fixture(scope="module")
def tokenizer(minilm: Classifier) -> Any:
    return minilm.tokenizer  # type: ignore[attr-defined]


def test_the_api_and_the_engine_agree_on_window_size_and_the_window_limit(minilm: Classifier) -> None:
    assert limits.MAX_TEXT_WINDOWS == DEFAULT_MAX_WINDOWS
    assert minilm.max_length - 2 == limits.WINDOW_TOKENS  # type: ignore[attr-defined]
    # a text at the character limit, one token per character, fits the window limit
    assert estimated_windows("a." * (limits.MAX_TEXT_CHARS // 2), 0) <= limits.MAX_TEXT_WINDOWS


@pytest.mark.parametrize(
    "text",
    [
        "我想跑步" * (limits.MAX_TEXT_CHARS // 4),
        "a." * (limits.MAX_TEXT_CHARS // 2),
        "x=f(a[1],b);" * (limits.MAX_TEXT_CHARS // 12),
        "안녕 " * 2000,
        "I will run a marathon this year. " * 600,
    ],
    ids=["cjk", "a-dot", "code", "hangul", "english"],
)
def test_dense_texts_take_no_more_windows_than_the_api_budgets(tokenizer: Any, text: str) -> None:
    # Given a text the API accepts (its estimate within the window limit)
    budget = estimated_windows(text, 0)
    assert budget <= limits.MAX_TEXT_WINDOWS

    # When the engine windows it, then it never refuses it and takes at most the budgeted windows
    assert len(token_windows(tokenizer, text, limits.WINDOW_TOKENS)) <= budget


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.lists(_DENSE, min_size=1, max_size=3000).map("".join),
    window=st.sampled_from([limits.WINDOW_TOKENS, 510, 1000]),
)
def test_any_text_takes_at_most_its_estimated_windows(tokenizer: Any, text: str, window: int) -> None:
    windows = token_windows(tokenizer, text, window, max_windows=10**6)
    assert len(windows) <= estimated_windows(text, 0)


@pytest.fixture(scope="module")
def byte_level_bart(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    """A tiny BART NLI of bart-large-mnli's 1024-token input whose tokenizer makes a token of every byte."""
    directory = build_tiny_bart_nli(
        tmp_path_factory.mktemp("bart-1024") / "model", model_max_length=limits.NLI_INPUT_TOKENS
    )
    return load_classifier(directory, environ={"ZSTC_LINEAR_KERNEL": "default"})


# CJK (3 bytes), astral (4 bytes), combining marks, compatibility expansions, ASCII
_MIXED = st.sampled_from(["我", "\U00012000", "\U0001f600", "e\u0301", "\u0301", "\ufdfa", "a", " ", "x."])


def _repeated(max_units: int) -> st.SearchStrategy[str]:
    """A short mix of :data:`_MIXED` repeated up to ``max_units`` times: long texts cheaply."""
    unit = st.lists(_MIXED, min_size=1, max_size=4).map("".join)
    return st.builds(lambda part, times: part * times, unit, st.integers(1, max_units))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=_repeated(6000).map(lambda text: text[: limits.MAX_TEXT_CHARS]),
    labels=st.lists(
        _repeated(25).map(lambda label: label[: limits.MAX_LABEL_CHARS].strip()), min_size=1, max_size=2
    ),
    description=st.none() | _repeated(80).map(lambda text: text[: limits.MAX_DESCRIPTION_CHARS]),
    template=st.none() | _repeated(50).map(lambda text: text[: limits.MAX_TEMPLATE_CHARS - 3] + " {}"),
)
# 20,000 four-byte characters: 80,000 byte-level tokens, 92 windows beside a short hypothesis (the
# estimate by characters alone said 90)
@example(text="\U00012000" * limits.MAX_TEXT_CHARS, labels=["a", "b"], description=None, template=None)
def test_the_engines_windows_never_exceed_what_the_api_accepted(
    minilm: Classifier,
    byte_level_bart: Classifier,
    text: str,
    labels: list[str],
    description: str | None,
    template: str | None,
) -> None:
    # Given a request of generated text, labels, a description and a template
    parameters: dict[str, Any] = {"candidate_labels": labels, "return_evidence": True}
    if description is not None:
        parameters["label_descriptions"] = {labels[0]: description}
    if template is not None:
        parameters["hypothesis_template"] = template
    try:
        request = ClassifyRequest.model_validate({"inputs": [text], "parameters": parameters})
    except ValidationError:
        assume(False)
        return
    # When the API accepts it, then both engines score it (never refusing it for its size) in at most
    # the windows the API estimated
    estimate = estimated_windows(text, request.parameters.hypothesis_tokens)
    body = json.dumps(request.to_endpoint_payload())
    for engine in (minilm, byte_level_bart):
        [[result]] = engine.classify_many(decode(body, "application/json")[0])
        assert result.windows <= estimate
