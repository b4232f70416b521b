"""Input hygiene shared by every schema: text that cannot be encoded, or that shows nothing."""

from __future__ import annotations

import unicodedata

import regex
from pydantic_core import PydanticCustomError

_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cn", "Co", "Cs"})
"""Unicode categories with nothing to read: separators, controls, format characters (zero-width
space, joiners, BOM), unassigned, private use and surrogates."""

_DEFAULT_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")
"""Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt): characters a renderer
shows nothing for though they are not all Cf, e.g. U+034F COMBINING GRAPHEME JOINER, variation
selectors U+FE0F and U+E0100, U+17B4, Hangul fillers U+115F, U+1160, U+3164, U+FFA0."""


def is_invisible(char: str) -> bool:
    """True for a character with nothing to read: an invisible category or default-ignorable."""
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES or _DEFAULT_IGNORABLE.match(char) is not None


def without_ignorables(value: str) -> str:
    """``value`` without its default-ignorable code points (zero-width space, joiners, soft hyphen,
    variation selectors, Hangul fillers): how two labels that read the same are told apart."""
    return str(_DEFAULT_IGNORABLE.sub("", value))


def check_text_content(value: str, where: str) -> None:
    """Refuse a string that cannot be encoded as UTF-8 or has no visible character.

    Raises ``PydanticCustomError`` ``text_unencodable`` for a lone UTF-16 surrogate (JSON's
    ``"\\ud83d"`` escapes admit them) and ``text_invisible`` for, e.g., only zero-width spaces.
    ``where`` names the field (``inputs[3]``, ``candidate_labels[0]``).
    """
    check_encodable(value, where)
    if all(is_invisible(char) for char in value):
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
