"""Temporary aliases for the zstc command (local/zstc_local/cli.py, client/evaluate.py), which another
branch moves; it imports these two names from here. Delete this module once it imports them from
:mod:`zstc.contract.request`. Nothing else may import it."""

from __future__ import annotations

from zstc.contract.request import ClassifyRequest, estimated_windows

__all__ = ["ClassifyRequest", "estimated_windows"]
