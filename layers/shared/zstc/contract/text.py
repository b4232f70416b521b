"""Input hygiene shared by every schema: text that cannot be encoded, or that shows nothing."""

from __future__ import annotations

import unicodedata

from pydantic_core import PydanticCustomError

_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cn", "Co", "Cs"})
"""Unicode categories with nothing to read: separators, controls, format characters (zero-width
space, joiners, BOM), unassigned, private use and surrogates."""


def check_text_content(value: str, where: str) -> None:
    """Refuse a string that cannot be encoded as UTF-8 or has no visible character.

    Raises ``PydanticCustomError`` ``text_unencodable`` for a lone UTF-16 surrogate (JSON's
    ``"\\ud83d"`` escapes admit them) and ``text_invisible`` for, e.g., only zero-width spaces.
    ``where`` names the field (``inputs[3]``, ``candidate_labels[0]``).
    """
    check_encodable(value, where)
    if not any(unicodedata.category(char) not in _INVISIBLE_CATEGORIES for char in value):
        raise PydanticCustomError("text_invisible", "{where} has no visible characters", {"where": where})


def check_encodable(value: str, where: str) -> None:
    """Refuse a string with a lone surrogate (``text_unencodable``), e.g. an id or a template."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PydanticCustomError(
            "text_unencodable",
            "{where} has a lone UTF-16 surrogate at character {position}; send valid Unicode text",
            {"where": where, "position": error.start},
        ) from None
