"""The interfaces the batch logic needs at its AWS edges; adapters implement them.

- :class:`JobStore`: job items and result items (DynamoDB: :class:`zstc.batch.store.DynamoJobStore`).
- :class:`ObjectStore`: the data bucket (S3: :class:`zstc.batch.s3.S3Store`).
- :class:`TransformRunner`: runs a job's staged shards through the model and reports the end
  (SageMaker batch transform + EventBridge: :class:`zstc.batch.transform.SageMakerTransform`).

Unit tests use small in-memory fakes of these (tests/support/fakes.py) beside the moto-server
integration tests of the adapters.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zstc.batch.items import JobChanges, JobItem
from zstc.contract import media_types
from zstc.contract.jobs import JobStatus
from zstc.contract.results import JobResult
from zstc.core.objects import BinaryReader, ObjectInfo

PageKey = Mapping[str, Any]
"""Where a listing stopped: opaque to the logic, which only encodes it into a pagination token."""


class InvalidPageKeyError(ValueError):
    """A page key that the store did not issue for this listing."""


class ForeignPageKeyError(InvalidPageKeyError):
    """A page key the store issued, but for another job's results."""


class JobStore(Protocol):
    """Job items and their result items. Every write is idempotent or conditional."""

    def create(self, job: JobItem) -> bool:
        """Store a new job; False when a job with its id exists (a duplicate delivery)."""
        ...

    def get(self, job_id: str) -> JobItem | None:
        """The job (strongly consistent), or None."""
        ...

    def update(
        self,
        job_id: str,
        changes: JobChanges,
        *,
        expected_statuses: Collection[JobStatus] | None = None,
        expected_checkpoint: int | None = None,
    ) -> bool:
        """Write the set attributes of ``changes`` (and ``updated_at``) if the job exists, is in one of
        ``expected_statuses`` and at ``expected_checkpoint`` (when given); False otherwise."""
        ...

    def list_by_status(
        self, status: JobStatus, limit: int, start: PageKey | None
    ) -> tuple[list[JobItem], PageKey | None]:
        """Up to ``limit`` jobs in ``status``, newest first, and where to continue (None at the end).

        Raises :class:`InvalidPageKeyError` for a ``start`` this listing did not issue.
        """
        ...

    def page_key_after(self, job: JobItem) -> PageKey:
        """The key from which the listing of ``job.status`` continues after ``job``, as a page ending
        with it would return (for a caller that shows only part of a page)."""
        ...

    def put_results(self, job_id: str, results: Sequence[JobResult], expires_at: int) -> None:
        """Write result items (keyed by input position: a replay overwrites the same items)."""
        ...

    def query_results(
        self, job_id: str, limit: int, start: PageKey | None
    ) -> tuple[list[JobResult], PageKey | None]:
        """Up to ``limit`` results of ``job_id`` in input order, and where to continue.

        Raises :class:`InvalidPageKeyError` for a ``start`` not issued for this job's results.
        """
        ...


class ObjectStore(Protocol):
    """Objects in the data bucket."""

    bucket: str

    def uri(self, key: str) -> str:
        """``s3://bucket/key``."""
        ...

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo | None:
        """Size, version and user metadata of ``version_id`` when given (an S3 event's
        ``versionId``), else of the latest; None when that object or version does not exist."""
        ...

    def open(self, key: str, version_id: str | None = None) -> BinaryReader:
        """The object's body as a stream (of ``version_id`` when given, else the latest); raises
        KeyError when missing."""
        ...

    def iter_lines(self, key: str) -> Iterator[bytes]:
        """The object's ``\\n``-terminated lines; raises KeyError (on first use) when missing."""
        ...

    def put(self, key: str, data: bytes, content_type: str = media_types.OCTET_STREAM) -> None:
        """Write one object."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under ``prefix``."""
        ...

    def presigned_put(self, key: str, expires_in: int) -> str:
        """A URL that lets its holder PUT ``key`` for ``expires_in`` seconds."""
        ...

    def concatenate(self, keys: Sequence[str], target: str, content_type: str) -> None:
        """Write the objects ``keys``, in order, as one object ``target``."""
        ...


@dataclass(frozen=True)
class TransformFinished:
    """A transform job of one of zstc's jobs reached a terminal state (neutral of the runner)."""

    job_id: str
    transform_job_name: str
    status: JobStatus
    """COMPLETED, FAILED or STOPPED."""
    reason: str | None = None
    """Why it failed or stopped, as the runner says."""
    ended_at: str | None = None
    """ISO 8601 UTC."""


class TransformRunner(Protocol):
    """Runs a job's staged shards through the model (output: one ``.out`` per shard)."""

    def start(self, name: str, job_id: str) -> bool:
        """Start transform job ``name`` over ``job_id``'s shards; False when it already exists."""
        ...

    def finished(self, event: Mapping[str, Any]) -> TransformFinished | None:
        """The runner's completion event as a neutral value; None when the event is not about a
        terminal state of one of zstc's transform jobs."""
        ...
