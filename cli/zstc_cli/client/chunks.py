"""The one rule that splits texts into ``POST /classify`` requests within the API's limits.

``zstc classify``, ``zstc eval`` and ``zstc demo`` all send their texts through it, so none of them
sends a request the API refuses for its size (templates and long texts count, as the API counts them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from zstc.contract.request import estimated_windows, longest_hypothesis, scored_label_count
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
    hypothesis_tokens = _hypothesis_tokens(parameters)
    start, pairs = 0, 0
    for index, text in enumerate(texts):
        cost = estimated_windows(text, hypothesis_tokens) * per_window
        if index > start and (index - start >= MAX_TEXTS_PER_REQUEST or pairs + cost > MAX_PAIRS_PER_REQUEST):
            yield start, index
            start, pairs = index, 0
        pairs += cost
    if start < len(texts):
        yield start, len(texts)


def _hypothesis_tokens(parameters: Mapping[str, Any]) -> int:
    """The API's bound of the longest hypothesis of ``parameters`` (0 when they are not well formed:
    the API then says why)."""
    templates = parameters.get("hypothesis_template")
    labels = parameters.get("candidate_labels")
    descriptions = parameters.get("label_descriptions") or {}
    template_list = [templates] if isinstance(templates, str) else templates or []
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",")]
    if not (
        isinstance(labels, list)
        and isinstance(template_list, list)
        and isinstance(descriptions, dict)
        and all(isinstance(item, str) for item in [*labels, *template_list, *descriptions.values()])
    ):
        return 0
    return longest_hypothesis(template_list, labels, descriptions)[0]
