"""Strict JSON parsing for untrusted input: every way a document can be refused is a JSONDecodeError.

``json.loads`` raises ``RecursionError`` for deeply nested input (``"[" * 100000``), silently keeps
the last of duplicate keys, and reads ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON
(RFC 8259 has no such literals). :func:`loads_strict` turns all three into
:class:`json.JSONDecodeError`, so every caller's one ``except json.JSONDecodeError`` answers a 4xx
(API) or a line problem (batch).
"""

from __future__ import annotations

import json
import re
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


class _NonJsonConstantError(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's json module reads them, JSON has none."""


_NON_JSON_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)
"""A JSON string (skipped whole) or one of the constants outside strings (group 1)."""


def _refuse_constant(name: str) -> Any:
    raise _NonJsonConstantError(name)


def loads_strict(document: str | bytes) -> Any:
    """Parse ``document`` (str, or UTF-8 bytes); raise ``json.JSONDecodeError`` for anything refused.

    Refused besides invalid JSON: ``NaN``, ``Infinity`` and ``-Infinity`` (``pos`` is the literal's
    character offset, as for any syntax error), an object with a repeated key (message names the key)
    and nesting too deep for the parser (``RecursionError``); those two carry ``pos``
    :data:`NO_POSITION`. Raises ``UnicodeDecodeError`` for bytes that are not UTF-8.
    """
    try:
        return json.loads(document, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except _DuplicateKeyError as error:
        raise _positionless(str(error)) from None
    except RecursionError:
        raise _positionless("nested too deeply") from None
    except _NonJsonConstantError as error:
        raise _constant_error(document, str(error)) from None


def _constant_error(document: str | bytes, name: str) -> json.JSONDecodeError:
    """The error for the first non-JSON constant ``name`` of ``document``, at its position.

    The parser reads left to right and stopped at the first one, so everything before it is valid
    JSON, and the first match outside a string is the literal it refused.
    """
    text = document if isinstance(document, str) else document.decode(json.detect_encoding(document))
    position = next(
        (found.start(1) for found in _NON_JSON_CONSTANT.finditer(text) if found.group(1)), NO_POSITION
    )
    message = f"{name} is not a JSON value (JSON has no NaN or Infinity)"
    if position == NO_POSITION:  # pragma: no cover - the parser just read the literal
        return _positionless(message)
    return json.JSONDecodeError(message, text, position)


def _positionless(message: str) -> json.JSONDecodeError:
    error = json.JSONDecodeError(message, "", 0)
    error.pos = NO_POSITION
    return error
