"""The one rule that splits texts into ``POST /classify`` requests within the API's limits.

``zstc classify``, ``zstc eval`` and ``zstc demo`` all send their texts through it, so none of them
sends a request the API refuses for its size (templates and long texts count, as the API counts them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from zstc.contract.request import estimated_windows, scored_label_count
from zstc.core.limits import MAX_PAIRS_PER_REQUEST, MAX_TEXTS_PER_REQUEST


def request_chunks(texts: Sequence[str], parameters: Mapping[str, Any]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` slices of ``texts`` that each fit one request with ``parameters``.

    A request may hold ``MAX_TEXTS_PER_REQUEST`` texts and ``MAX_PAIRS_PER_REQUEST`` premise/hypothesis
    pairs: per text, its estimated windows x scored labels (the shortlist's size) x templates (the API's
    count, ``zstc.contract.request.model_cost``). A text over the budget on its own goes alone (the API
    then says why).
    """
    templates = parameters.get("hypothesis_template")
    shortlist = parameters.get("shortlist")
    labels = scored_label_count(
        len(parameters.get("candidate_labels") or [1]),
        shortlist if isinstance(shortlist, int) else None,  # an int or a bool; anything else: the API says
    )
    per_window = labels * (len(templates) if isinstance(templates, list) else 1)
    start, pairs = 0, 0
    for index, text in enumerate(texts):
        cost = estimated_windows(text) * per_window
        if index > start and (index - start >= MAX_TEXTS_PER_REQUEST or pairs + cost > MAX_PAIRS_PER_REQUEST):
            yield start, index
            start, pairs = index, 0
        pairs += cost
    if start < len(texts):
        yield start, len(texts)
