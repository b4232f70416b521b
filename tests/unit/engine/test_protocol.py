"""The engine's request parser: the many-label parameters `shortlist` and `top_k`."""

from __future__ import annotations

from typing import Any

import pytest

from zstc_engine.protocol import ClassificationTask, RequestError, parse_request


def _parameters(**extra: Any) -> dict[str, Any]:
    return {"inputs": "a text", "parameters": {"candidate_labels": ["a", "b", "c"], **extra}}


def test_shortlist_and_top_k_are_parsed() -> None:
    task = parse_request(_parameters(shortlist=2, top_k=1))
    assert (task.shortlist, task.top_k) == (2, 1)
    assert parse_request(_parameters(shortlist=False)).shortlist is False
    assert parse_request(_parameters()).shortlist is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shortlist", True),
        ("shortlist", 0),
        ("shortlist", "5"),
        ("shortlist", 2.5),
        ("top_k", 0),
        ("top_k", False),
        ("top_k", -1),
    ],
)
def test_bad_shortlist_or_top_k_is_refused_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(RequestError, match=f"line 3: parameters.{field} must be a positive integer"):
        parse_request(_parameters(**{field: value}), "line 3")


@pytest.mark.parametrize(
    ("shortlist", "labels", "expected"),
    [(None, 30, 16), (None, 24, None), (False, 30, None), (5, 10, 5), (10, 10, None), (12, 10, None)],
)
def test_shortlist_size(shortlist: Any, labels: int, expected: int | None) -> None:
    task = ClassificationTask(texts=("t",), labels=tuple(str(i) for i in range(labels)), shortlist=shortlist)
    assert task.shortlist_size(16, 24) == expected
