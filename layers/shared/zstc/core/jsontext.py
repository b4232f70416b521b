"""Strict JSON parsing for untrusted input: every way a document can be refused is a JSONDecodeError.

``json.loads`` raises ``RecursionError`` for deeply nested input (``"[" * 100000``) and silently keeps
the last of duplicate keys. :func:`loads_strict` turns both into :class:`json.JSONDecodeError`, so
every caller's one ``except json.JSONDecodeError`` answers a 4xx (API) or a line problem (batch).
"""

from __future__ import annotations

import json
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


def loads_strict(document: str | bytes) -> Any:
    """Parse ``document`` (str, or UTF-8 bytes); raise ``json.JSONDecodeError`` for anything refused.

    Refused besides invalid JSON: an object with a repeated key (message names the key) and nesting
    too deep for the parser (``RecursionError``). Both carry ``pos`` :data:`NO_POSITION`.
    Raises ``UnicodeDecodeError`` for bytes that are not UTF-8.
    """
    try:
        return json.loads(document, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as error:
        raise _positionless(str(error)) from None
    except RecursionError:
        raise _positionless("nested too deeply") from None


def _positionless(message: str) -> json.JSONDecodeError:
    error = json.JSONDecodeError(message, "", 0)
    error.pos = NO_POSITION
    return error
