"""Timestamps as the stored items carry them."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    """UTC now as ISO 8601 with milliseconds (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
