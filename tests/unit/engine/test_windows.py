"""The API's window estimate against the engine's real windows: an upper bound, for any text.

The API cannot tokenise; it budgets pairs (and refuses texts) by ``estimated_windows``. A text it
accepts must never take more windows at the model than it budgeted, or the model refuses it (a 502,
a failed batch record) and a request costs more pairs than the budget says.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zstc.contract.request import estimated_windows
from zstc.core import limits
from zstc_engine.classifier import Classifier
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
    assert estimated_windows("a." * (limits.MAX_TEXT_CHARS // 2)) <= limits.MAX_TEXT_WINDOWS


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
    budget = estimated_windows(text)
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
    assert len(windows) <= estimated_windows(text)
