"""Stored objects, neutral of any store: what a HEAD tells, the stream a GET gives, and its lines.

JSON Lines ends a record at ``\\n`` (optionally ``\\r\\n``) and nowhere else; ``bytes.splitlines`` and
``str.splitlines`` also split on ``\\r`` (and the latter on U+2028 and friends), which may appear
inside a record, so every line reader here splits on ``\\n`` alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD of a stored object tells: size in bytes, version (or ETag) and user metadata.

    ``version_id`` is the store's id of exactly this version (S3's VersionId), None in an unversioned
    store: reading with it reads these bytes even after a later write to the key.
    """

    size: int
    version: str
    metadata: dict[str, str]
    version_id: str | None = None


class BinaryReader(Protocol):
    """Anything with ``read(size)``: an open file, ``io.BytesIO``, botocore's ``StreamingBody``."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        ...

    def close(self) -> None:
        """Release the stream (its connection, for an HTTP body)."""
        ...


def binary_lines(stream: BinaryReader, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The stream's lines, each with its ``\\n`` (the last may lack one), read ``chunk_bytes`` at a time.

    Memory stays near one chunk plus the longest line.
    """
    pending = b""
    while chunk := stream.read(chunk_bytes):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line + b"\n"
    if pending:
        yield pending
