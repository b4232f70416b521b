"""Jobs API logic: create a job with an upload URL, read jobs, page through results."""

from __future__ import annotations

import time
from typing import Any

from zstc import layout, limits
from zstc.errors import ConflictError, InvalidRequestError, NotFoundError
from zstc.job_models import (
    CreateJobRequest,
    JobList,
    JobStatus,
    JobView,
    ResultPage,
    ResultView,
    UploadTarget,
    job_view,
)
from zstc.job_store import JobStore, decode_token, encode_token
from zstc.s3_store import S3Store
from zstc.settings import BatchSettings

_RESULT_KEYS = {"pk", "sk"}
_JOB_INDEX_KEYS = {"pk", "sk", "status", "created_at"}


class JobsApi:
    """What the /jobs routes do."""

    def __init__(self, settings: BatchSettings, jobs: JobStore, s3: S3Store) -> None:
        self.settings = settings
        self.jobs = jobs
        self.s3 = s3

    def create(self, request: CreateJobRequest) -> JobView:
        """A new AwaitingUpload job and a presigned PUT URL under ``input/<job_id>/``."""
        job_id = layout.new_job_id()
        key = layout.input_key(job_id, request.upload_filename)
        parameters = request.parameters()
        self.jobs.create_job(
            job_id,
            {
                "status": JobStatus.AWAITING_UPLOAD.value,
                "source": "api",
                "format": request.format,
                "filename": request.upload_filename,
                "text_column": request.text_column,
                "id_column": request.id_column,
                "parameters": parameters.model_dump(mode="json") if parameters else None,
                "input_location": self.s3.uri(key),
                "expires_at": int(time.time()) + self.settings.result_retention_days * 86400,
            },
        )
        view = self.get(job_id)
        view.upload = UploadTarget(
            url=self.s3.presigned_put(key, limits.UPLOAD_URL_EXPIRY_SECONDS),
            key=key,
            expires_in_seconds=limits.UPLOAD_URL_EXPIRY_SECONDS,
            max_bytes=limits.MAX_BATCH_FILE_BYTES,
        )
        return view

    def get(self, job_id: str) -> JobView:
        """One job; 404 when unknown."""
        return job_view(self._job(job_id))

    def list(self, status: JobStatus | None, limit: int, next_token: str | None) -> JobList:
        """Recent jobs (optionally of one status), newest first."""
        if status is not None:
            items, last = self.jobs.list_jobs(status, limit, decode_token(next_token, _JOB_INDEX_KEYS))
            return JobList(jobs=[job_view(item) for item in items], next_token=encode_token(last))
        if next_token:
            raise InvalidRequestError("next_token needs the status it was issued for")
        items = []
        for each in JobStatus:
            found, _ = self.jobs.list_jobs(each, limit, None)
            items += found
        items.sort(key=lambda item: item["created_at"], reverse=True)
        return JobList(jobs=[job_view(item) for item in items[:limit]])

    def results(self, job_id: str, limit: int, next_token: str | None) -> ResultPage:
        """Results of a completed job in input order."""
        start = decode_token(next_token, _RESULT_KEYS)
        job = self._job(job_id)
        if job["status"] != JobStatus.COMPLETED:
            raise ConflictError(f"job {job_id} is {job['status']}; results are served once it is Completed")
        if start is not None and start.get("pk", {}).get("S") != layout.job_pk(job_id):
            raise InvalidRequestError("next_token belongs to another job")
        items, last = self.jobs.query_results(job_id, limit, start)
        return ResultPage(
            job_id=job_id, results=[_result_view(item) for item in items], next_token=encode_token(last)
        )

    def _job(self, job_id: str) -> dict[str, Any]:
        job = self.jobs.get_job(job_id) if layout.JOB_ID_PATTERN.match(job_id) else None
        if job is None:
            raise NotFoundError(f"no job {job_id}")
        return job


def _result_view(item: dict[str, Any]) -> ResultView:
    return ResultView.model_validate({key: item[key] for key in ResultView.model_fields if key in item})
