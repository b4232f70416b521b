"""Long texts as overlapping token windows, each with its character span in the text.

A text that fits the model's input is one window covering it all (the path the transformers
pipeline takes). A longer one is split into windows of ``max_tokens`` tokens that overlap by
``overlap`` tokens, instead of being truncated; each window is scored on its own and the scores are
aggregated per label (:mod:`zstc_engine.scoring`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zstc_engine.protocol import RequestError

DEFAULT_MAX_WINDOWS = 96
"""Windows one text may take (ZSTC_MAX_WINDOWS overrides). The API's ``zstc.core.limits.MAX_TEXT_WINDOWS``
is the same number and its estimate of a text's windows is an upper bound of :func:`token_windows`'
for windows of at least 254 tokens (tests hold both), so a text the API accepts fits here."""


@dataclass(frozen=True)
class Window:
    """Characters ``[start, end)`` of a text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        """The window's text."""
        return text[self.start : self.end]


def token_windows(
    tokenizer: Any,
    text: str,
    max_tokens: int,
    *,
    overlap: int | None = None,
    max_windows: int = DEFAULT_MAX_WINDOWS,
) -> list[Window]:
    """The windows of ``text`` for a model that reads at most ``max_tokens`` of it at once.

    ``overlap`` defaults to an eighth of a window. Needs a fast tokenizer (character offsets); with a
    slow one the text is one window, truncated by the model as before. Raises ``RequestError`` when
    the text would take more than ``max_windows`` windows.
    """
    whole = [Window(0, len(text))]
    if max_tokens <= 0 or not getattr(tokenizer, "is_fast", False):
        return whole
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    offsets: list[tuple[int, int]] = list(encoded["offset_mapping"])
    if len(offsets) <= max_tokens:
        return whole
    step = max(1, max_tokens - (max_tokens // 8 if overlap is None else overlap))
    windows = []
    for first in range(0, len(offsets), step):
        last = min(first + max_tokens, len(offsets)) - 1
        windows.append(Window(offsets[first][0], offsets[last][1]))
        if last == len(offsets) - 1:
            break
    if len(windows) > max_windows:
        raise RequestError(
            f"a text of {len(text)} characters takes {len(windows)} windows of {max_tokens} tokens; "
            f"the limit is {max_windows}"
        )
    return windows
