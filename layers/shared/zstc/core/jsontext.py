"""Strict JSON parsing for untrusted input: every way a document can be refused is a JSONDecodeError.

``json.loads`` raises ``RecursionError`` for deeply nested input (``"[" * 100000``), silently keeps
the last of duplicate keys, and reads ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON
(RFC 8259 has no such literals); an integer over 4,300 digits raises a bare ``ValueError``.
:func:`loads_strict` turns all four into :class:`json.JSONDecodeError`, so every caller's one
``except json.JSONDecodeError`` answers a 4xx (API) or a line problem (batch).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

NO_POSITION = -1
"""``JSONDecodeError.pos`` for errors that have no single position (nesting depth, duplicate keys)."""


class _DuplicateKeyError(ValueError):
    """An object has the same key twice (JSON leaves the meaning open; we refuse it)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f'duplicate key "{key[:100]}"')
        result[key] = value
    return result


class _UnreadableValueError(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity`` (Python's json module reads them, JSON has none), or an
    integer longer than Python converts (``sys.get_int_max_str_digits()``, 4,300 digits)."""


_UNREADABLE = re.compile(
    r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN|-?\d{' + str(sys.get_int_max_str_digits() + 1) + r",}(?![\d.eE]))",
    re.DOTALL,
)
"""A JSON string (skipped whole), or outside strings one of the values refused (group 1)."""


def _refuse_constant(name: str) -> Any:
    raise _UnreadableValueError(f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def loads_strict(document: str | bytes) -> Any:
    """Parse ``document`` (str, or UTF-8 bytes); raise ``json.JSONDecodeError`` for anything refused.

    Refused besides invalid JSON: ``NaN``, ``Infinity``, ``-Infinity`` and integers over 4,300 digits
    (``pos`` is the value's character offset, as for any syntax error), an object with a repeated key
    (message names the key) and nesting too deep for the parser (``RecursionError``); those two carry
    ``pos`` :data:`NO_POSITION`. Raises ``UnicodeDecodeError`` for bytes that are not UTF-8.
    """
    try:
        return json.loads(document, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except _DuplicateKeyError as error:
        raise _positionless(str(error)) from None
    except RecursionError:
        raise _positionless("nested too deeply") from None
    except _UnreadableValueError as error:
        raise _unreadable_error(document, str(error)) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise
    except ValueError:  # int() past sys.get_int_max_str_digits() (a parse_int hook costs 3x per integer)
        limit = sys.get_int_max_str_digits()
        raise _unreadable_error(document, f"an integer of more than {limit} digits") from None


def _unreadable_error(document: str | bytes, message: str) -> json.JSONDecodeError:
    """The error for the first refused value of ``document`` (see :class:`_UnreadableValueError`), at
    its position.

    The parser reads left to right and stopped at the first one, so everything before it is valid
    JSON, and the first match outside a string is the value it refused.
    """
    text = document if isinstance(document, str) else document.decode(json.detect_encoding(document))
    position = next((found.start(1) for found in _UNREADABLE.finditer(text) if found.group(1)), NO_POSITION)
    if position == NO_POSITION:  # pragma: no cover - the parser just read the value
        return _positionless(message)
    return json.JSONDecodeError(message, text, position)


def _positionless(message: str) -> json.JSONDecodeError:
    error = json.JSONDecodeError(message, "", 0)
    error.pos = NO_POSITION
    return error
