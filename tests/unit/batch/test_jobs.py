"""The jobs logic's listings on the in-memory job store: every job reachable, tokens checked."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.fakes import FakeJobStore, FakeObjectStore
from zstc.batch.items import JobChanges, JobItem
from zstc.batch.jobs import JobsService
from zstc.contract.jobs import JobStatus
from zstc.core.errors import InvalidRequestError
from zstc.core.settings import BatchSettings

SETTINGS = BatchSettings.from_env(
    {"JOBS_TABLE": "jobs", "DATA_BUCKET": "fake-bucket", "TRANSFORM_MODEL_NAME": "m"}
)


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
