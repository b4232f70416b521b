"""The jobs logic's listings on the in-memory job store: every job reachable, tokens checked."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.batch_services import LABELS, SETTINGS, Batch, jsonl_lines
from tests.support.fakes import FakeJobStore, FakeObjectStore
from zstc.batch import layout
from zstc.batch.items import JobChanges, JobItem
from zstc.batch.jobs import JobsService
from zstc.contract.jobs import CreateJobRequest, JobStatus
from zstc.core import limits
from zstc.core.errors import ConflictError, InvalidRequestError, NotFoundError
from zstc.core.pagination import encode_token


def _service(statuses: list[JobStatus]) -> JobsService:
    store = FakeJobStore()
    for index, status in enumerate(statuses):
        stamp = f"2026-12-01T00:00:{index:02d}.000000+00:00"
        store.jobs[f"{index:016x}"] = JobItem.model_validate(
            {
                **JobChanges(status=status, source="api").model_dump(exclude_none=True),
                "job_id": f"{index:016x}",
                "created_at": stamp,
                "updated_at": stamp,
                "expires_at": 10**10,
            }
        )
    return JobsService(SETTINGS, store, FakeObjectStore())


def _all_pages(service: JobsService, limit: int, status: JobStatus | None = None) -> list[str]:
    seen: list[str] = []
    token = None
    for _ in range(100):
        page = service.list(status, limit, token)
        assert len(page.jobs) <= limit
        seen += [job.job_id for job in page.jobs]
        token = page.next_token
        if token is None:
            return seen
    raise AssertionError("the listing never ended")


def test_the_listing_without_status_pages_past_the_first_page() -> None:
    # Given five jobs in three statuses
    service = _service([JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.COMPLETED, JobStatus.REJECTED] * 2)

    # When listed two at a time without a status
    first = service.list(None, 2, None)

    # Then the first page says there is more, and paging reaches every job once, newest first
    assert first.next_token is not None
    assert _all_pages(service, 2) == [f"{index:016x}" for index in reversed(range(8))]


@settings(max_examples=60, deadline=None)
@given(
    statuses=st.lists(st.sampled_from(list(JobStatus)), max_size=25),
    limit=st.integers(min_value=1, max_value=7),
)
def test_every_job_is_listed_once_newest_first_whatever_the_statuses_and_page_size(
    statuses: list[JobStatus], limit: int
) -> None:
    service = _service(statuses)
    assert _all_pages(service, limit) == [f"{index:016x}" for index in reversed(range(len(statuses)))]


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        _token({"all": {"Completed": {"pk": {"N": 1}}}}),
        _token({"all": {"NoSuchStatus": None}}),
        _token({"all": ["Completed"]}),
        _token({"all": {}, "extra": 1}),
        _token({"listing": "status:Completed", "offset": 0}),  # issued for the status listing
        _token([]),
        _token({}),
        "not base64!",
        "w4g=",  # base64 of bytes that are not UTF-8
        _token("NaN"),
        base64.urlsafe_b64encode(b'{"all": NaN}').decode(),
    ],
)
def test_a_tampered_token_of_the_listing_without_status_is_a_400_naming_next_token(token: str) -> None:
    service = _service([JobStatus.COMPLETED] * 3)
    with pytest.raises(InvalidRequestError) as raised:
        service.list(None, 2, token)
    assert raised.value.details[0]["loc"] == ["query", "next_token"]


def test_a_token_of_the_listing_without_status_is_refused_with_a_status_and_the_reverse() -> None:
    service = _service([JobStatus.COMPLETED] * 3)
    merged = service.list(None, 1, None).next_token
    by_status = service.list(JobStatus.COMPLETED, 1, None).next_token
    for status, token in ((JobStatus.COMPLETED, merged), (None, by_status)):
        with pytest.raises(InvalidRequestError) as raised:
            service.list(status, 1, token)
        assert raised.value.details[0]["loc"] == ["query", "next_token"]


def test_created_job_awaits_its_upload_with_a_presigned_url(batch: Batch) -> None:
    view = batch.jobs.create(CreateJobRequest(format="csv", candidate_labels=LABELS, id_column="id"))
    assert view.status == JobStatus.AWAITING_UPLOAD
    assert view.upload is not None
    assert view.upload.key == layout.input_key(view.job_id, "input.csv")
    assert view.upload.expires_in_seconds == limits.UPLOAD_URL_EXPIRY_SECONDS
    job = batch.store.get(view.job_id)
    assert job is not None
    assert job.parameters is not None
    assert job.parameters.candidate_labels == LABELS
    assert job.expires_at is not None


def test_results_are_served_only_for_completed_jobs_and_tokens_are_checked(batch: Batch) -> None:
    with pytest.raises(NotFoundError):
        batch.jobs.get("nosuchjob1")
    with pytest.raises(NotFoundError):
        batch.jobs.get("../etc")
    view = batch.jobs.create(CreateJobRequest(format="jsonl"))
    with pytest.raises(ConflictError):
        batch.jobs.results(view.job_id, limit=10, next_token=None)
    with pytest.raises(InvalidRequestError, match="not a token this API issued"):
        batch.jobs.results(view.job_id, limit=10, next_token="%%%")
    with pytest.raises(InvalidRequestError, match="issued for a listing with status"):
        batch.jobs.list(None, limit=10, next_token=encode_token({"listing": "x", "offset": 1}))


def test_a_results_token_of_another_job_is_refused(batch: Batch) -> None:
    for key in ("input/a/a.jsonl", "input/b/b.jsonl"):
        batch.transforms.started.clear()
        assert batch.upload(key, jsonl_lines(3)) == "started"
        batch.answer_every_shard()
        assert batch.finish() == "completed"
    job_a = layout.job_id_for_upload("fake-bucket", "input/a/a.jsonl")
    job_b = layout.job_id_for_upload("fake-bucket", "input/b/b.jsonl")
    page = batch.jobs.results(job_a, limit=1, next_token=None)
    with pytest.raises(InvalidRequestError, match="belongs to another job"):
        batch.jobs.results(job_b, limit=1, next_token=page.next_token)


def test_jobs_are_listed_newest_first_by_status(batch: Batch) -> None:
    created = [batch.jobs.create(CreateJobRequest(format="jsonl")).job_id for _ in range(3)]
    page = batch.jobs.list(JobStatus.AWAITING_UPLOAD, limit=2, next_token=None)
    assert len(page.jobs) == 2
    rest = batch.jobs.list(JobStatus.AWAITING_UPLOAD, limit=2, next_token=page.next_token)
    assert sorted(job.job_id for job in page.jobs + rest.jobs) == sorted(created)
    assert [job.job_id for job in batch.jobs.list(None, limit=5, next_token=None).jobs] != []
