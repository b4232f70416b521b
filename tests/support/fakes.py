"""Small in-memory fakes of zstc's own interfaces at the AWS edges, for fast unit tests of the logic.

They implement :mod:`zstc.batch.interfaces`, :mod:`zstc.labelsets.interfaces` and
:class:`zstc.realtime.interfaces.ModelEndpoint`
with the adapters' observable semantics (conditional updates, page keys, KeyError for a missing
object). The adapters themselves are tested against a real moto server in tests/integration.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zstc.batch.interfaces import ForeignPageKeyError, InvalidPageKeyError, PageKey, TransformFinished
from zstc.batch.items import JobChanges, JobItem
from zstc.contract.health import EndpointHealth
from zstc.contract.jobs import JobStatus
from zstc.contract.results import JobResult
from zstc.core.clock import now_iso
from zstc.core.objects import BinaryReader, ObjectInfo, binary_lines
from zstc.labelsets.interfaces import InvalidPageKeyError as LabelSetPageKeyError
from zstc.labelsets.interfaces import LabelSetHead, StoredVersion


class FakeJobStore:
    """Jobs and results in dicts; page keys are ``{"listing": ..., "offset": n}``."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobItem] = {}
        self.results: dict[str, dict[int, JobResult]] = {}
        self.expiry: dict[str, int] = {}

    def create(self, job: JobItem) -> bool:
        if job.job_id in self.jobs:
            return False
        self.jobs[job.job_id] = job
        return True

    def get(self, job_id: str) -> JobItem | None:
        return self.jobs.get(job_id)

    def update(
        self,
        job_id: str,
        changes: JobChanges,
        *,
        expected_statuses: Collection[JobStatus] | None = None,
        expected_checkpoint: int | None = None,
    ) -> bool:
        job = self.jobs.get(job_id)
        if job is None:
            return False
        if expected_statuses is not None and job.status not in expected_statuses:
            return False
        if expected_checkpoint is not None and job.checkpoint != expected_checkpoint:
            return False
        updated = {**job.model_dump(), **changes.model_dump(exclude_unset=True), "updated_at": now_iso()}
        self.jobs[job_id] = JobItem.model_validate(updated)
        return True

    def _page(
        self, listing: str, items: list[Any], limit: int, start: PageKey | None
    ) -> tuple[list[Any], Any]:
        offset = 0
        if start is not None:
            if set(start) != {"listing", "offset"} or not isinstance(start["offset"], int):
                raise InvalidPageKeyError("not a key of this listing")
            if start["listing"] != listing:
                raise ForeignPageKeyError("a key of another listing")
            offset = start["offset"]
        page = items[offset : offset + limit]
        more = offset + limit < len(items)
        return page, ({"listing": listing, "offset": offset + limit} if more else None)

    def list_by_status(
        self, status: JobStatus, limit: int, start: PageKey | None
    ) -> tuple[list[JobItem], PageKey | None]:
        jobs = sorted(
            (job for job in self.jobs.values() if job.status == status),
            key=lambda j: j.created_at,
            reverse=True,
        )
        return self._page(f"status:{status.value}", jobs, limit, start)

    def put_results(self, job_id: str, results: Sequence[JobResult], expires_at: int) -> None:
        stored = self.results.setdefault(job_id, {})
        for result in results:
            stored[result.position] = result
        self.expiry[job_id] = expires_at

    def query_results(
        self, job_id: str, limit: int, start: PageKey | None
    ) -> tuple[list[JobResult], PageKey | None]:
        ordered = [result for _, result in sorted(self.results.get(job_id, {}).items())]
        return self._page(f"results:{job_id}", ordered, limit, start)


@dataclass
class StoredObject:
    """One object of :class:`FakeObjectStore`."""

    data: bytes
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    version: int = 1


class FakeObjectStore:
    """A versioned bucket in a dict: ``objects`` holds each key's latest version, ``versions`` every one."""

    def __init__(self, bucket: str = "fake-bucket") -> None:
        self.bucket = bucket
        self.objects: dict[str, StoredObject] = {}
        self.versions: dict[tuple[str, str], bytes] = {}

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def head(self, key: str) -> ObjectInfo | None:
        found = self.objects.get(key)
        if found is None:
            return None
        version = f"v{found.version}"
        return ObjectInfo(len(found.data), version, dict(found.metadata), version)

    def open(self, key: str, version_id: str | None = None) -> BinaryReader:
        if key not in self.objects or (version_id and (key, version_id) not in self.versions):
            raise KeyError(key)
        return io.BytesIO(self.versions[key, version_id] if version_id else self.objects[key].data)

    def iter_lines(self, key: str) -> Iterator[bytes]:
        yield from binary_lines(self.open(key))

    def put(
        self,
        key: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        version = self.objects[key].version + 1 if key in self.objects else 1
        self.objects[key] = StoredObject(data, content_type, dict(metadata or {}), version)
        self.versions[key, f"v{version}"] = data

    def delete_prefix(self, prefix: str) -> None:
        for key in [key for key in self.objects if key.startswith(prefix)]:
            del self.objects[key]

    def presigned_put(self, key: str, expires_in: int) -> str:
        return f"https://{self.bucket}.example/{key}?expires={expires_in}"

    def concatenate(self, keys: Sequence[str], target: str, content_type: str) -> None:
        self.put(target, b"".join(self.objects[key].data for key in keys), content_type)

    def keys(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted (for assertions)."""
        return sorted(key for key in self.objects if key.startswith(prefix))


class FakeTransformRunner:
    """Remembers the transform jobs it was asked to start; ``finished`` reads a neutral test event."""

    def __init__(self) -> None:
        self.started: dict[str, str] = {}

    def start(self, name: str, job_id: str) -> bool:
        if name in self.started:
            return False
        self.started[name] = job_id
        return True

    def finished(self, event: Mapping[str, Any]) -> TransformFinished | None:
        return event.get("finished")


class FakeEndpoint:
    """A model endpoint that answers with ``answer(payload)`` and reports ``status``."""

    endpoint_name = "fake-endpoint"

    def __init__(self, answer: Any = None, status: str = "InService") -> None:
        self.answer = answer
        self.status = status
        self.payloads: list[dict[str, Any]] = []

    def invoke_json(self, payload: dict[str, Any]) -> Any:
        self.payloads.append(payload)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer(payload) if callable(self.answer) else self.answer

    def health(self) -> EndpointHealth:
        return EndpointHealth(
            endpoint_name=self.endpoint_name, status=self.status, ready=self.status == "InService"
        )


class FakeLabelSetStore:
    """Label set heads and versions in dicts, with the adapter's conditions; page keys are
    ``{"after": name}``. ``lose_races`` makes that many next ``add_version`` calls find the head moved."""

    def __init__(self) -> None:
        self.heads: dict[str, LabelSetHead] = {}
        self.versions: dict[tuple[str, int], StoredVersion] = {}
        self.lose_races = 0
        self.reads = 0

    def head(self, name: str) -> LabelSetHead | None:
        return self.heads.get(name)

    def version(self, name: str, version: int) -> StoredVersion | None:
        self.reads += 1
        return self.versions.get((name, version))

    def add_version(self, stored: StoredVersion, previous: LabelSetHead | None) -> bool:
        if self.lose_races:
            self.lose_races -= 1
            return False
        if self.heads.get(stored.name) != previous:
            return False
        self.versions[stored.name, stored.version] = stored
        self.heads[stored.name] = LabelSetHead(
            name=stored.name,
            latest_version=stored.version,
            labels=stored.labels,
            note=stored.note,
            created_at=stored.created_at,
        )
        return True

    def mark_deleted(self, name: str) -> LabelSetHead | None:
        head = self.heads.get(name)
        if head is None or head.deleted:
            return None
        self.heads[name] = head.model_copy(update={"deleted": True})
        return head

    def delete_versions(self, name: str, up_to: int) -> None:
        for version in range(1, up_to + 1):
            self.versions.pop((name, version), None)

    def list_heads(self, limit: int, start: PageKey | None) -> tuple[list[LabelSetHead], PageKey | None]:
        if start is not None and (set(start) != {"after"} or not isinstance(start["after"], str)):
            raise LabelSetPageKeyError("not a key of this listing")
        after = start["after"] if start else ""
        live = sorted((head for head in self.heads.values() if not head.deleted), key=lambda h: h.name)
        page = [head for head in live if head.name > after][:limit]
        more = len(page) == limit and page[-1].name != live[-1].name
        return page, ({"after": page[-1].name} if more else None)
