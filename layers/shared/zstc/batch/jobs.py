"""What the /jobs routes do: create a job with an upload URL, read jobs, page through results.

Pagination tokens (:mod:`zstc.core.pagination`) are checked here: a token this API did not issue (or
issued for another job or status) is a 400.
"""

from __future__ import annotations

from typing import Any

from zstc.batch import layout
from zstc.batch.formats import InputSpec
from zstc.batch.interfaces import ForeignPageKeyError, InvalidPageKeyError, JobStore, ObjectStore, PageKey
from zstc.batch.items import JobChanges, JobItem, JobSource, new_job
from zstc.contract.jobs import CreateJobRequest, JobList, JobStatus, JobView, UploadTarget
from zstc.contract.label_sets import LabelSetView
from zstc.contract.results import ResultPage
from zstc.core import limits
from zstc.core.errors import ConflictError, NotFoundError
from zstc.core.pagination import decode_token, encode_token, token_error
from zstc.core.settings import BatchSettings

_ALL_STATUSES = "all"
"""The key of a token of the listing over every status: ``{"all": {status: page key or null}}``."""


def job_changes_for(
    request: CreateJobRequest,
    *,
    source: JobSource,
    input_location: str | None = None,
    label_set: LabelSetView | None = None,
) -> JobChanges:
    """The attributes a job created from ``request`` (POST /jobs, or an upload's metadata) starts with;
    ``label_set`` is the resolved version the request names (its parameters are copied into the job, so
    deleting the set later leaves the job as it was)."""
    return JobChanges(
        status=JobStatus.AWAITING_UPLOAD,
        source=source,
        input_location=input_location,
        format=request.format,
        filename=request.upload_filename,
        text_column=request.text_column,
        id_column=request.id_column,
        parameters=request.parameters(label_set.parameters if label_set else None),
        label_set=label_set.label_set if label_set else None,
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

    def create(self, request: CreateJobRequest, label_set: LabelSetView | None = None) -> JobView:
        """A new AwaitingUpload job and a presigned PUT URL under ``input/<job_id>/``; ``label_set`` is
        the version ``request.label_set`` resolved to."""
        if request.label_set is not None and label_set is None:
            raise ValueError("the request names a label set: pass the version it resolved to")
        job_id = layout.new_job_id()
        key = layout.input_key(job_id, request.upload_filename)
        changes = job_changes_for(
            request, source="api", input_location=self.objects.uri(key), label_set=label_set
        )
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
        """Recent jobs (optionally of one status), newest first, ``limit`` a page.

        Without ``status`` the listing merges every status's newest-first listing, and its token holds
        where each status's listing stands, so every job is reachable page by page.
        """
        if status is not None:
            start = decode_token(next_token)
            if start is not None and _ALL_STATUSES in start:
                raise token_error("next_token was issued for the listing without status")
            try:
                jobs, last = self.jobs.list_by_status(status, limit, start)
            except InvalidPageKeyError:
                raise token_error() from None
            return JobList(jobs=[job_view(job) for job in jobs], next_token=encode_token(last))
        return self._list_all(limit, next_token)

    def _list_all(self, limit: int, next_token: str | None) -> JobList:
        starts = self._all_starts(next_token)
        fetched: dict[JobStatus, tuple[list[JobItem], PageKey | None]] = {}
        try:
            for each, start in starts.items():
                fetched[each] = self.jobs.list_by_status(each, limit, start)
        except InvalidPageKeyError:
            raise token_error() from None
        merged = sorted(
            ((job, each) for each, (jobs, _) in fetched.items() for job in jobs),
            key=lambda pair: pair[0].created_at,
            reverse=True,
        )[:limit]
        taken = {each: sum(1 for _, source in merged if source == each) for each in fetched}
        following: dict[str, Any] = {}
        for each, (jobs, last) in fetched.items():
            if taken[each] == len(jobs):  # all of this page shown: continue where the store stopped
                if last:
                    following[each.value] = dict(last)
                continue
            if taken[each] == 0:  # none shown: start from the same place next time
                following[each.value] = None if starts[each] is None else dict(starts[each] or {})
                continue
            # part shown: the store's key after exactly the jobs shown
            _, after = self.jobs.list_by_status(each, taken[each], starts[each])
            following[each.value] = dict(after) if after else None
        token = encode_token({_ALL_STATUSES: following}) if following else None
        return JobList(jobs=[job_view(job) for job, _ in merged], next_token=token)

    @staticmethod
    def _all_starts(next_token: str | None) -> dict[JobStatus, PageKey | None]:
        """Where each status's listing starts: from the top, or from the token's keys."""
        if not next_token:
            return dict.fromkeys(JobStatus)
        token = decode_token(next_token) or {}
        states = token.get(_ALL_STATUSES)
        if set(token) != {_ALL_STATUSES} or not isinstance(states, dict):
            raise token_error("next_token was issued for a listing with status")
        starts: dict[JobStatus, PageKey | None] = {}
        for name, key in states.items():
            if name not in {each.value for each in JobStatus} or not (key is None or isinstance(key, dict)):
                raise token_error()
            starts[JobStatus(name)] = key
        return starts

    def results(self, job_id: str, limit: int, next_token: str | None) -> ResultPage:
        """Results of a completed job in input order; 409 until it is Completed."""
        start = decode_token(next_token)
        if start is not None and _ALL_STATUSES in start:
            raise token_error()
        job = self._job(job_id)
        if job.status != JobStatus.COMPLETED:
            raise ConflictError(f"job {job_id} is {job.status}; results are served once it is Completed")
        try:
            results, last = self.jobs.query_results(job_id, limit, start)
        except ForeignPageKeyError:
            raise token_error("next_token belongs to another job") from None
        except InvalidPageKeyError:
            raise token_error() from None
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
