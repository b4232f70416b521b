"""start_batch logic: validate an uploaded input file and start its transform job (or reject it).

Idempotent: the transform job's name derives from the object (bucket, key, version), the job moves
AwaitingUpload -> Validating -> InProgress | Rejected with conditional writes, and a duplicate S3
event finds the job already started. Invalid input is rejected as a whole: no transform starts.
"""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from zstc.batch import layout
from zstc.batch.failures import fail_after_error
from zstc.batch.formats import Problem, read_records
from zstc.batch.interfaces import JobStore, ObjectStore, TransformRunner
from zstc.batch.items import JobChanges, JobItem, new_job
from zstc.batch.jobs import input_spec, job_changes_for
from zstc.contract import media_types
from zstc.contract.batch_input import format_for_filename, supported_extensions
from zstc.contract.jobs import CreateJobRequest, JobStatus
from zstc.core import limits
from zstc.core.clock import now_iso
from zstc.core.observability import logger
from zstc.core.settings import BatchSettings

METADATA_FIELDS = {
    "candidate-labels": "candidate_labels",
    "multi-label": "multi_label",
    "hypothesis-template": "hypothesis_template",
    "label-descriptions": "label_descriptions",
    "threshold": "threshold",
    "return-evidence": "return_evidence",
    "shortlist": "shortlist",
    "top-k": "top_k",
    "text-column": "text_column",
    "id-column": "id_column",
    "max-failed-share": "max_failed_share",
}
"""S3 object metadata (``x-amz-meta-<name>``) -> POST /jobs field, for files uploaded without POST /jobs."""
METADATA_KEYS = {field: key for key, field in METADATA_FIELDS.items()}
"""POST /jobs field -> the metadata key that sets it (problems name the key the uploader wrote)."""
UNSUPPORTED_METADATA = {
    "label-examples": (
        "label examples do not fit in S3 object metadata (at most 2 KB for all of an object's user "
        "metadata); create the job with POST /jobs and its label_examples, or put them in each JSON "
        "Lines line's parameters"
    ),
}
"""Metadata keys naming a POST /jobs field that metadata cannot carry -> why (the upload is rejected)."""


@dataclass
class _Attempt:
    """What one handling of an upload has learnt so far (the job, once it is known)."""

    job_id: str | None = None


def _capped(problem: str) -> str:
    """A problem message bounded to ``MAX_PROBLEM_CHARS`` (it is stored on the job item)."""
    if len(problem) <= limits.MAX_PROBLEM_CHARS:
        return problem
    return problem[: limits.MAX_PROBLEM_CHARS - 3] + "..."


@dataclass(frozen=True)
class UploadedObject:
    """The object an S3 ObjectCreated event names."""

    bucket: str
    key: str


class ShardWriter:
    """Buffers staged lines and writes a shard when it reaches the record or byte limit."""

    def __init__(self, objects: ObjectStore, job_id: str) -> None:
        self._objects = objects
        self._job_id = job_id
        self._buffer = bytearray()
        self._count = 0
        self.sizes: list[int] = []

    def add(self, line: bytes) -> None:
        """Append one staged line."""
        self._buffer += line
        self._count += 1
        if self._count >= limits.SHARD_MAX_RECORDS or len(self._buffer) >= limits.SHARD_MAX_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the buffered lines as the next shard."""
        if self._count:
            self._objects.put(
                layout.shard_key(self._job_id, len(self.sizes)), bytes(self._buffer), media_types.JSON_LINES
            )
            self.sizes.append(self._count)
            self._buffer.clear()
            self._count = 0


class StartBatch:
    """Handles one uploaded object."""

    def __init__(
        self, settings: BatchSettings, jobs: JobStore, objects: ObjectStore, transforms: TransformRunner
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.objects = objects
        self.transforms = transforms

    def handle(self, upload: UploadedObject) -> str:
        """Validate and start, or reject; returns what happened (for logs and tests).

        No job is left Validating: an unexpected error once the job is known marks it Failed with a
        reason naming the error's type (never its message, which may quote a record) and returns.
        Only when that write fails too does the error propagate (Lambda retries, then the DLQ).
        """
        attempt = _Attempt()
        try:
            return self._handle(upload, attempt)
        except Exception as error:
            if attempt.job_id is None:
                raise
            return self._fail(attempt.job_id, error)

    def _fail(self, job_id: str, error: Exception) -> str:
        outcome = fail_after_error(
            self.jobs,
            job_id,
            error,
            function="start_batch",
            step="validating the upload",
            advice="nothing was classified: upload the file again to a new job",
            expected_statuses=[JobStatus.AWAITING_UPLOAD, JobStatus.VALIDATING],
        )
        try:
            self.objects.delete_prefix(layout.staging_prefix(job_id))
        except Exception as cleanup_error:  # best effort: staging expires with the bucket's rules
            logger.warning("staging cleanup failed", extra={"error_type": type(cleanup_error).__name__})
        return outcome

    def _handle(self, upload: UploadedObject, attempt: _Attempt) -> str:
        match = layout.INPUT_KEY_PATTERN.match(upload.key)
        if match is None:
            return self._reject_unassigned(
                upload, f"uploads go to input/<job_id>/<file> ending with {supported_extensions()}"
            )
        job_id, filename = match.group("job_id"), match.group("filename")
        job = self.jobs.get(job_id) if layout.JOB_ID_PATTERN.match(job_id) else None
        if job is not None:
            attempt.job_id = job_id
        info = self.objects.head(upload.key)
        if info is None:
            logger.warning("uploaded object is gone", extra={"key_length": len(upload.key)})
            return "ignored: object deleted"
        if job is None:
            job_id = layout.job_id_for_upload(upload.bucket, upload.key)
            job = self.jobs.get(job_id) or self._job_from_metadata(job_id, filename, info.metadata)
        attempt.job_id = job_id
        if job.status == JobStatus.REJECTED:
            return self._refuse_upload_to_rejected(job, upload, info.version)
        if format_for_filename(filename) is None:
            extension = PurePosixPath(filename).suffix.lower() or "(none)"
            return self._reject(job_id, [f"unsupported file type {extension}; use {supported_extensions()}"])
        if info.size == 0:
            return self._reject(job_id, ["the file is empty (0 bytes)"])
        if info.size > limits.MAX_BATCH_FILE_BYTES:
            return self._reject(
                job_id, [f"the file is {info.size} bytes; the limit is {limits.MAX_BATCH_FILE_BYTES}"]
            )
        if job.problems:  # metadata already made the job invalid
            return self._reject(job_id, list(job.problems))

        name = layout.transform_job_name(
            self.settings.job_name_prefix, job_id, upload.bucket, upload.key, info.version
        )
        claimed = self.jobs.update(
            job_id,
            JobChanges(
                status=JobStatus.VALIDATING,
                transform_job_name=name,
                input_location=self.objects.uri(upload.key),
                input_key=upload.key,
                input_version=info.version,
            ),
            expected_statuses=[JobStatus.AWAITING_UPLOAD],
        )
        if not claimed:
            outcome = self._not_claimed(job_id, name, upload, info.version)
            if outcome is not None:
                return outcome
            # Validating with this very upload: an earlier attempt stopped halfway; redo it (idempotent).
        return self._validate_and_start(job, name, upload.key, info.version_id)

    def _not_claimed(self, job_id: str, name: str, upload: UploadedObject, version: str) -> str | None:
        """What to do with an upload for a job no longer AwaitingUpload; None: validate it again."""
        current = self.jobs.get(job_id)
        if current is None or current.transform_job_name != name:
            status = current.status if current else None
            logger.warning(
                "upload for a job that is not awaiting one", extra={"job_id": job_id, "status": status}
            )
            if current is not None:
                self._note_ignored_upload(current, upload, version)
            return f"ignored: job is {status} with another upload"
        if current.status != JobStatus.VALIDATING:
            return "already started"
        return None

    def _validate_and_start(self, job: JobItem, name: str, key: str, version_id: str | None) -> str:
        job_id = job.job_id
        shards = ShardWriter(self.objects, job_id)
        problems: list[str] = []
        # the version the job recorded, not the latest: a second PUT to the presigned URL between the
        # event and this read would otherwise be validated and run under the first one's name
        with closing(self.objects.open(key, version_id)) as stream:
            for item in read_records(stream, input_spec(job)):
                if isinstance(item, Problem):
                    problems.append(str(item))
                    if len(problems) >= limits.MAX_REPORTED_PROBLEMS:
                        break
                elif not problems:
                    shards.add(item.to_json_line())
        if not problems:
            shards.flush()
            if not shards.sizes:
                problems.append("the file has no records")
        if problems:
            self.objects.delete_prefix(layout.staging_prefix(job_id))
            return self._reject(job_id, problems, from_statuses=[JobStatus.VALIDATING])
        started = self.transforms.start(name, job_id)
        self.jobs.update(
            job_id,
            JobChanges(
                status=JobStatus.IN_PROGRESS,
                records=sum(shards.sizes),
                shard_sizes=shards.sizes,
                checkpoint=0,
                results_written=0,
                transform_started_at=now_iso(),
            ),
            expected_statuses=[JobStatus.VALIDATING],
        )
        logger.info(
            "transform job started" if started else "transform job already existed",
            extra={"job_id": job_id, "records": sum(shards.sizes), "shards": len(shards.sizes)},
        )
        return "started" if started else "already started"

    def _job_from_metadata(self, job_id: str, filename: str, metadata: dict[str, str]) -> JobItem:
        """A job for a file uploaded straight to S3: format from the extension, options from metadata."""
        found = format_for_filename(filename)
        fields: dict[str, Any] = {"format": found.name if found else "jsonl", "filename": filename}
        for meta_key, field in METADATA_FIELDS.items():
            if meta_key in metadata:
                fields[field] = _metadata_value(field, metadata[meta_key])
        problem = next(
            (f"object metadata {key}: {why}" for key, why in UNSUPPORTED_METADATA.items() if key in metadata),
            None,
        )
        if problem is None:
            try:
                changes = job_changes_for(CreateJobRequest.model_validate(fields), source="s3-upload")
            except ValidationError as error:
                first = error.errors(include_input=False)[0]
                field = str(first["loc"][0]) if first["loc"] else ""
                where = f"object metadata {METADATA_KEYS.get(field, field)}" if field else "object metadata"
                problem = f"{where}: {first['msg']}"
        if problem is not None:
            changes = JobChanges(
                status=JobStatus.AWAITING_UPLOAD,
                source="s3-upload",
                format=fields["format"],
                filename=filename,
                problems=[_capped(problem)],
            )
        self.jobs.create(new_job(job_id, changes, self.settings.result_retention_days))
        job = self.jobs.get(job_id)
        if job is None:  # pragma: no cover - the store just confirmed it
            raise RuntimeError(f"job {job_id} vanished right after it was created")
        return job

    def _reject(self, job_id: str, problems: list[str], from_statuses: list[JobStatus] | None = None) -> str:
        reported = [_capped(problem) for problem in problems[: limits.MAX_REPORTED_PROBLEMS]]
        report = {"job_id": job_id, "status": JobStatus.REJECTED.value, "problems": reported}
        self.objects.put(layout.errors_key(job_id), json.dumps(report, indent=2).encode(), media_types.JSON)
        self.jobs.update(
            job_id,
            JobChanges(
                status=JobStatus.REJECTED,
                problems=reported,
                errors_location=self.objects.uri(layout.errors_key(job_id)),
            ),
            expected_statuses=from_statuses or [JobStatus.AWAITING_UPLOAD, JobStatus.VALIDATING],
        )
        logger.info("input rejected", extra={"job_id": job_id, "problems": len(problems)})
        return "rejected"

    def _refuse_upload_to_rejected(self, job: JobItem, upload: UploadedObject, version: str) -> str:
        """A Rejected job is final: a later upload is not validated, and the job's problems say so.

        A duplicate event for the upload that was rejected changes nothing (same transform job name).
        """
        name = layout.transform_job_name(
            self.settings.job_name_prefix, job.job_id, upload.bucket, upload.key, version
        )
        note = (
            f"a later upload ({PurePosixPath(upload.key).name}, version {version}) was not "
            "processed: a Rejected job is final; create a new job (POST /jobs) for the corrected file"
        )
        if job.transform_job_name == name or note in (job.problems or []):
            return "already rejected"
        problems = _with_later_upload(job.problems, note)
        if problems is None:
            return "already rejected"
        report = {"job_id": job.job_id, "status": JobStatus.REJECTED.value, "problems": problems}
        self.objects.put(
            layout.errors_key(job.job_id), json.dumps(report, indent=2).encode(), media_types.JSON
        )
        self.jobs.update(job.job_id, JobChanges(problems=problems), expected_statuses=[JobStatus.REJECTED])
        logger.warning("upload to a rejected job refused", extra={"job_id": job.job_id})
        return "refused: job is Rejected"

    def _note_ignored_upload(self, job: JobItem, upload: UploadedObject, version: str) -> None:
        """Say on the job that a later upload to its key was not processed (its results, if any, are
        of ``input_version``), once per version: the presigned PUT cannot be refused by S3."""
        note = (
            f"a later upload ({PurePosixPath(upload.key).name}, version {version}) was not processed: "
            f"the job was {job.status} with version {job.input_version}; create a new job for another file"
        )
        if any(f"version {version})" in existing for existing in job.notes or []):
            return
        notes = _with_later_upload(job.notes, _capped(note))
        if notes is None:
            return
        self.jobs.update(job.job_id, JobChanges(notes=notes), expected_statuses=[job.status])

    def _reject_unassigned(self, upload: UploadedObject, reason: str) -> str:
        report = {"key": upload.key, "status": JobStatus.REJECTED.value, "problems": [reason]}
        self.objects.put(
            layout.unassigned_errors_key(upload.bucket, upload.key),
            json.dumps(report).encode(),
            media_types.JSON,
        )
        logger.warning("upload outside the expected layout", extra={"reason": reason})
        return "rejected: layout"


LATER_UPLOADS_UNLISTED = "further later uploads to this job's key are not listed"
"""The last line a job's problems or notes get for later uploads, once they reach the limit."""


def _with_later_upload(lines: list[str] | None, note: str) -> list[str] | None:
    """``lines`` with ``note`` about a later upload appended, bounded: a job item must stay far below
    DynamoDB's 400 KB, or no later write (not even the one marking it Failed) fits. At
    ``limits.MAX_REPORTED_PROBLEMS`` lines the last one says the rest are not listed; past it, None
    (nothing to write)."""
    lines = list(lines or [])
    if len(lines) >= limits.MAX_REPORTED_PROBLEMS:
        return None
    lines.append(LATER_UPLOADS_UNLISTED if len(lines) == limits.MAX_REPORTED_PROBLEMS - 1 else note)
    return lines


def _metadata_value(field: str, value: str) -> Any:
    """Metadata values are strings: booleans, numbers and JSON lists/objects are read as such."""
    if field in {"multi_label", "return_evidence"}:
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    if field in {"shortlist", "top_k"}:
        word = value.strip().lower()
        if field == "shortlist" and word in {"true", "false"}:
            return word == "true"  # true is refused by the schema, naming the key
        return int(word) if word.isdecimal() else value
    if field in {"threshold", "max_failed_share"}:
        try:
            return float(value)
        except ValueError:
            return value
    if field in {"candidate_labels", "hypothesis_template", "label_descriptions"} and value.strip()[:1] in {
        "[",
        "{",
    }:
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
