"""start_batch logic: validate an uploaded input file and start its transform job (or reject it).

Idempotent: the transform job's name derives from the object (bucket, key, version), the job moves
AwaitingUpload -> Validating -> InProgress | Rejected with conditional writes, and a duplicate S3
event finds the job already started. Invalid input is rejected as a whole: no transform starts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from zstc import layout, limits
from zstc.batch_input import InputSpec, Problem, read_records
from zstc.job_models import CreateJobRequest, JobStatus
from zstc.job_store import JobStore, now_iso
from zstc.observability import logger
from zstc.s3_store import S3Store
from zstc.schemas import ClassifyParameters
from zstc.settings import BatchSettings
from zstc.transform import TransformJobs

METADATA_FIELDS = {
    "candidate-labels": "candidate_labels",
    "multi-label": "multi_label",
    "hypothesis-template": "hypothesis_template",
    "text-column": "text_column",
    "id-column": "id_column",
}


@dataclass(frozen=True)
class UploadedObject:
    """The object an S3 ObjectCreated event names."""

    bucket: str
    key: str


class ShardWriter:
    """Buffers staged lines and writes a shard when it reaches the record or byte limit."""

    def __init__(self, s3: S3Store, job_id: str) -> None:
        self._s3 = s3
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
            self._s3.put(
                layout.shard_key(self._job_id, len(self.sizes)), bytes(self._buffer), "application/jsonlines"
            )
            self.sizes.append(self._count)
            self._buffer.clear()
            self._count = 0


class StartBatch:
    """Handles one uploaded object."""

    def __init__(
        self, settings: BatchSettings, jobs: JobStore, s3: S3Store, transforms: TransformJobs
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.s3 = s3
        self.transforms = transforms

    def handle(self, upload: UploadedObject) -> str:
        """Validate and start, or reject; returns what happened (for logs and tests)."""
        match = layout.INPUT_KEY_PATTERN.match(upload.key)
        if match is None:
            return self._reject_unassigned(upload, "uploads go to input/<job_id>/<file>.jsonl or .csv")
        info = self.s3.head(upload.key)
        if info is None:
            logger.warning("uploaded object is gone", extra={"key_length": len(upload.key)})
            return "ignored: object deleted"
        job_id, filename = match.group("job_id"), match.group("filename")
        job = self.jobs.get_job(job_id) if layout.JOB_ID_PATTERN.match(job_id) else None
        if job is None:
            job_id = layout.job_id_for_upload(upload.bucket, upload.key)
            job = self.jobs.get_job(job_id) or self._job_from_metadata(job_id, filename, info.metadata)
        extension = PurePosixPath(filename).suffix.lower()
        if extension not in layout.SUPPORTED_EXTENSIONS:
            return self._reject(
                job_id, [f"unsupported file type {extension or '(none)'}; use .jsonl or .csv"]
            )
        if info.size == 0:
            return self._reject(job_id, ["the file is empty (0 bytes)"])
        if info.size > limits.MAX_BATCH_FILE_BYTES:
            return self._reject(
                job_id, [f"the file is {info.size} bytes; the limit is {limits.MAX_BATCH_FILE_BYTES}"]
            )
        if job.get("problems"):  # metadata already made the job invalid
            return self._reject(job_id, list(job["problems"]))

        name = layout.transform_job_name(
            self.settings.job_name_prefix, job_id, upload.bucket, upload.key, info.version
        )
        claimed = self.jobs.transition(
            job_id,
            [JobStatus.AWAITING_UPLOAD],
            JobStatus.VALIDATING,
            {"transform_job_name": name, "input_location": self.s3.uri(upload.key), "input_key": upload.key},
        )
        if not claimed:
            current = self.jobs.get_job(job_id) or {}
            if current.get("transform_job_name") != name:
                logger.warning(
                    "upload for a job that is not awaiting one",
                    extra={"job_id": job_id, "status": current.get("status")},
                )
                return f"ignored: job is {current.get('status')} with another upload"
            if current.get("status") != JobStatus.VALIDATING:
                return "already started"
            # Validating with this very upload: an earlier attempt stopped halfway; redo it (idempotent).
        return self._validate_and_start(job_id, name, upload.key, self._spec(job))

    def _validate_and_start(self, job_id: str, name: str, key: str, spec: InputSpec) -> str:
        shards = ShardWriter(self.s3, job_id)
        problems: list[str] = []
        for item in read_records(self.s3.iter_lines(key), spec):
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
            self.s3.delete_prefix(layout.staging_prefix(job_id))
            return self._reject(job_id, problems, from_statuses=[JobStatus.VALIDATING])
        started = self.transforms.start(name, job_id)
        self.jobs.transition(
            job_id,
            [JobStatus.VALIDATING],
            JobStatus.IN_PROGRESS,
            {
                "records": sum(shards.sizes),
                "shard_sizes": shards.sizes,
                "checkpoint": 0,
                "results_written": 0,
                "transform_started_at": now_iso(),
            },
        )
        logger.info(
            "transform job started" if started else "transform job already existed",
            extra={"job_id": job_id, "records": sum(shards.sizes), "shards": len(shards.sizes)},
        )
        return "started" if started else "already started"

    def _spec(self, job: dict[str, Any]) -> InputSpec:
        parameters = job.get("parameters")
        return InputSpec(
            format=job["format"],
            parameters=ClassifyParameters.model_validate(parameters) if parameters else None,
            text_column=job.get("text_column") or "text",
            id_column=job.get("id_column"),
        )

    def _job_from_metadata(self, job_id: str, filename: str, metadata: dict[str, str]) -> dict[str, Any]:
        """A job for a file uploaded straight to S3: format from the extension, options from metadata."""
        extension = PurePosixPath(filename).suffix.lower().lstrip(".")
        fields: dict[str, Any] = {
            "format": extension if extension in {"csv", "jsonl"} else "jsonl",
            "filename": filename,
        }
        problems: list[str] = []
        for meta_key, field in METADATA_FIELDS.items():
            if meta_key in metadata:
                fields[field] = _metadata_value(field, metadata[meta_key])
        try:
            request = CreateJobRequest.model_validate(fields)
            parameters = request.parameters()
            attributes = {
                "format": request.format,
                "filename": request.upload_filename,
                "text_column": request.text_column,
                "id_column": request.id_column,
                "parameters": parameters.model_dump(mode="json") if parameters else None,
            }
        except ValidationError as error:
            first = error.errors(include_input=False)[0]
            problems.append(f"object metadata: {first['msg']}")
            attributes = {"format": fields["format"], "filename": filename}
        self.jobs.create_job(
            job_id,
            {
                **attributes,
                "status": JobStatus.AWAITING_UPLOAD.value,
                "source": "s3-upload",
                "problems": problems or None,
                "expires_at": self._expires_at(),
            },
        )
        return self.jobs.get_job(job_id) or {}

    def _expires_at(self) -> int:
        return int(time.time()) + self.settings.result_retention_days * 86400

    def _reject(self, job_id: str, problems: list[str], from_statuses: list[JobStatus] | None = None) -> str:
        report = {
            "job_id": job_id,
            "status": JobStatus.REJECTED.value,
            "problems": problems[: limits.MAX_REPORTED_PROBLEMS],
        }
        self.s3.put(layout.errors_key(job_id), json.dumps(report, indent=2).encode(), "application/json")
        self.jobs.transition(
            job_id,
            from_statuses or [JobStatus.AWAITING_UPLOAD, JobStatus.VALIDATING],
            JobStatus.REJECTED,
            {"problems": report["problems"], "errors_location": self.s3.uri(layout.errors_key(job_id))},
        )
        logger.info("input rejected", extra={"job_id": job_id, "problems": len(problems)})
        return "rejected"

    def _reject_unassigned(self, upload: UploadedObject, reason: str) -> str:
        digest = layout.job_id_for_upload(upload.bucket, upload.key)
        report = {"key": upload.key, "status": JobStatus.REJECTED.value, "problems": [reason]}
        self.s3.put(
            f"{layout.ERRORS_PREFIX}unassigned/{digest}.json", json.dumps(report).encode(), "application/json"
        )
        logger.warning("upload outside the expected layout", extra={"reason": reason})
        return "rejected: layout"


def _metadata_value(field: str, value: str) -> Any:
    if field == "multi_label":
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    if field == "candidate_labels" and value.strip().startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
