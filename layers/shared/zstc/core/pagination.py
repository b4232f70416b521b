"""Pagination tokens of the API's listings: a store's page key as opaque base64url-encoded JSON.

A token this API did not issue decodes to a 400 naming ``next_token``; each listing then checks the
key's shape against its own (its store refuses keys it did not make).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from zstc.core.errors import InvalidRequestError

_FOREIGN_TOKEN = "next_token is not a token this API issued"  # noqa: S105 - a message, not a secret


def token_error(message: str = _FOREIGN_TOKEN) -> InvalidRequestError:
    """The 400 for a token we did not make for this listing, naming the ``next_token`` parameter."""
    return InvalidRequestError(
        message, [{"loc": ["query", "next_token"], "msg": message, "type": "next_token_invalid"}]
    )


def encode_token(key: Mapping[str, Any] | None) -> str | None:
    """An opaque pagination token for a store page key (None at the end of a listing)."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(dict(key), separators=(",", ":")).encode()).decode()


def decode_token(token: str | None) -> Mapping[str, Any] | None:
    """The page key inside ``token``; raises ``InvalidRequestError`` (400) for one we did not make."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode("ascii")), parse_constant=_no_constant)
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        raise token_error() from None
    if not isinstance(key, dict) or not key:
        raise token_error()
    return key


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
