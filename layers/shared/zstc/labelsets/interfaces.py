"""The interfaces the label set logic needs at its AWS edges; adapters implement them.

- :class:`LabelSetStore`: head and version items (DynamoDB:
  :class:`zstc.labelsets.store.DynamoLabelSetStore`).
- :class:`LabelSetObjects`: large versions in the data bucket (S3: :class:`zstc.batch.s3.S3Store`
  serves, wired by the api handler).

Unit tests use in-memory fakes of these (tests/support/fakes.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from zstc.contract import media_types
from zstc.core.objects import BinaryReader

PageKey = Mapping[str, Any]
"""Where a listing stopped: opaque to the logic, which encodes it into a pagination token."""


class InvalidPageKeyError(ValueError):
    """A page key the store did not issue for this listing."""


class LabelSetHead(BaseModel):
    """A set's head: its latest version (kept after a delete, so numbers are never reused) and a summary."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    latest_version: int
    deleted: bool = False
    labels: int = 0
    note: str | None = None
    created_at: str
    """When the latest version was created."""


class StoredVersion(BaseModel):
    """One version as stored: its parameters as JSON text in the item, or the key of an object."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    version: int
    created_at: str
    content_hash: str
    note: str | None = None
    labels: int
    body: str | None = None
    """The parameters (JSON) when they fit the item."""
    body_key: str | None = None
    """Else the data bucket key holding them."""


class LabelSetStore(Protocol):
    """Heads and versions; a new version and its head are written together, conditionally."""

    def head(self, name: str) -> LabelSetHead | None:
        """The set's head (strongly consistent), or None when the name was never used."""
        ...

    def version(self, name: str, version: int) -> StoredVersion | None:
        """One version, or None."""
        ...

    def add_version(self, stored: StoredVersion, previous: LabelSetHead | None) -> bool:
        """Write ``stored`` and make it the head, if the head is still ``previous`` (None: no head
        yet); False when another writer moved the head first."""
        ...

    def mark_deleted(self, name: str) -> LabelSetHead | None:
        """Mark the set deleted (its latest version number kept, so numbers are never reused) and
        return its head as it was; None when the set does not exist or is deleted already."""
        ...

    def delete_versions(self, name: str, up_to: int) -> None:
        """Delete the version items 1..``up_to`` of a set marked deleted."""
        ...

    def list_heads(self, limit: int, start: PageKey | None) -> tuple[list[LabelSetHead], PageKey | None]:
        """Up to ``limit`` live sets by name, and where to continue (None at the end).

        Raises :class:`InvalidPageKeyError` for a ``start`` this listing did not issue.
        """
        ...


class LabelSetObjects(Protocol):
    """Large versions in the data bucket."""

    def put(self, key: str, data: bytes, content_type: str = media_types.OCTET_STREAM) -> None:
        """Write one object."""
        ...

    def open(self, key: str, version_id: str | None = None) -> BinaryReader:
        """The object's body as a stream; raises KeyError when missing."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under ``prefix``."""
        ...
