"""Neutral object and stream helpers (zstc.core.objects)."""

from __future__ import annotations

import io

from zstc.core.objects import binary_lines


def test_lines_end_at_newline_only() -> None:
    data = '{"a": "x\u2028y\u0085z\rw"}\r\n{"b": 1}\nlast'.encode()
    lines = list(binary_lines(io.BytesIO(data), chunk_bytes=3))
    assert lines == ['{"a": "x\u2028y\u0085z\rw"}\r\n'.encode(), b'{"b": 1}\n', b"last"]
