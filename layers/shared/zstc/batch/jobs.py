"""What the /jobs routes do: create a job with an upload URL, read jobs, page through results.

Pagination tokens are made and checked here: a token is the store's page key, base64url-encoded
JSON. A token this API did not issue (or issued for another job or status) is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json

from zstc.batch import layout
from zstc.batch.formats import InputSpec
from zstc.batch.interfaces import ForeignPageKeyError, InvalidPageKeyError, JobStore, ObjectStore, PageKey
from zstc.batch.items import JobChanges, JobItem, JobSource, new_job
from zstc.contract.jobs import CreateJobRequest, JobList, JobStatus, JobView, UploadTarget
from zstc.contract.results import ResultPage
from zstc.core import limits
from zstc.core.errors import ConflictError, InvalidRequestError, NotFoundError
from zstc.core.settings import BatchSettings

_FOREIGN_TOKEN = "next_token is not a token this API issued"  # noqa: S105 - a message, not a secret


def encode_token(key: PageKey | None) -> str | None:
    """An opaque pagination token for a store page key (None at the end of a listing)."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(dict(key), separators=(",", ":")).encode()).decode()


def decode_token(token: str | None) -> PageKey | None:
    """The page key inside ``token``; raises ``InvalidRequestError`` (400) for one we did not make."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequestError(_FOREIGN_TOKEN) from None
    if not isinstance(key, dict):
        raise InvalidRequestError(_FOREIGN_TOKEN)
    return key


def job_changes_for(
    request: CreateJobRequest, *, source: JobSource, input_location: str | None = None
) -> JobChanges:
    """The attributes a job created from ``request`` (POST /jobs, or an upload's metadata) starts with."""
    return JobChanges(
        status=JobStatus.AWAITING_UPLOAD,
        source=source,
        input_location=input_location,
        format=request.format,
        filename=request.upload_filename,
        text_column=request.text_column,
        id_column=request.id_column,
        parameters=request.parameters(),
        max_failed_share=request.max_failed_share,
    )


def job_view(job: JobItem, upload: UploadTarget | None = None) -> JobView:
    """The API view of a stored job (internal attributes left out)."""
    return JobView.model_validate(
        {**job.model_dump(include=set(JobView.model_fields), mode="json"), "upload": upload}
    )


def input_spec(job: JobItem) -> InputSpec:
    """How to read the job's uploaded file."""
    return InputSpec(
        format=job.format or "jsonl",
        parameters=job.parameters,
        text_column=job.text_column or "text",
        id_column=job.id_column,
    )


class JobsService:
    """The jobs API's logic over a job store and the data bucket."""

    def __init__(self, settings: BatchSettings, jobs: JobStore, objects: ObjectStore) -> None:
        self.settings = settings
        self.jobs = jobs
        self.objects = objects

    def create(self, request: CreateJobRequest) -> JobView:
        """A new AwaitingUpload job and a presigned PUT URL under ``input/<job_id>/``."""
        job_id = layout.new_job_id()
        key = layout.input_key(job_id, request.upload_filename)
        changes = job_changes_for(request, source="api", input_location=self.objects.uri(key))
        job = new_job(job_id, changes, self.settings.result_retention_days)
        self.jobs.create(job)
        upload = UploadTarget(
            url=self.objects.presigned_put(key, limits.UPLOAD_URL_EXPIRY_SECONDS),
            key=key,
            expires_in_seconds=limits.UPLOAD_URL_EXPIRY_SECONDS,
            max_bytes=limits.MAX_BATCH_FILE_BYTES,
        )
        return job_view(job, upload)

    def get(self, job_id: str) -> JobView:
        """One job; ``NotFoundError`` (404) when unknown."""
        return job_view(self._job(job_id))

    def list(self, status: JobStatus | None, limit: int, next_token: str | None) -> JobList:
        """Recent jobs (optionally of one status), newest first."""
        if status is not None:
            try:
                jobs, last = self.jobs.list_by_status(status, limit, decode_token(next_token))
            except InvalidPageKeyError:
                raise InvalidRequestError(_FOREIGN_TOKEN) from None
            return JobList(jobs=[job_view(job) for job in jobs], next_token=encode_token(last))
        if next_token:
            raise InvalidRequestError("next_token needs the status it was issued for")
        found: list[JobItem] = []
        for each in JobStatus:
            found += self.jobs.list_by_status(each, limit, None)[0]
        found.sort(key=lambda job: job.created_at, reverse=True)
        return JobList(jobs=[job_view(job) for job in found[:limit]])

    def results(self, job_id: str, limit: int, next_token: str | None) -> ResultPage:
        """Results of a completed job in input order; 409 until it is Completed."""
        start = decode_token(next_token)
        job = self._job(job_id)
        if job.status != JobStatus.COMPLETED:
            raise ConflictError(f"job {job_id} is {job.status}; results are served once it is Completed")
        try:
            results, last = self.jobs.query_results(job_id, limit, start)
        except ForeignPageKeyError:
            raise InvalidRequestError("next_token belongs to another job") from None
        except InvalidPageKeyError:
            raise InvalidRequestError(_FOREIGN_TOKEN) from None
        return ResultPage(
            job_id=job_id,
            results=results,
            next_token=encode_token(last),
        )

    def _job(self, job_id: str) -> JobItem:
        job = self.jobs.get(job_id) if layout.JOB_ID_PATTERN.match(job_id) else None
        if job is None:
            raise NotFoundError(f"no job {job_id}")
        return job
