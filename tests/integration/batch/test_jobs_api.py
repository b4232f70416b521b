"""The /jobs listings through the api handler on a real moto DynamoDB: tokens and paging."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from tests.support.api import ApiHandlerClient
from tests.support.batch import BatchPath
from zstc.batch.items import JobChanges, new_job
from zstc.batch.store import DynamoJobStore
from zstc.contract.jobs import JobStatus
from zstc_local.api_gateway import proxy_event


def _jobs(statuses: list[JobStatus]) -> list[str]:
    store = DynamoJobStore(os.environ["JOBS_TABLE"])
    ids = []
    for index, status in enumerate(statuses):
        job = new_job(f"{index:016x}", JobChanges(status=status, source="api"), 7)
        job = job.model_copy(update={"created_at": f"2026-12-01T00:00:{index:02d}.000000+00:00"})
        store.create(job)
        ids.append(job.job_id)
    return ids


def _token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.fixture
def api(api: ApiHandlerClient, batch: BatchPath) -> ApiHandlerClient:
    return api


def test_listing_without_status_pages_through_every_job(api: ApiHandlerClient) -> None:
    # Given seven jobs in four statuses
    ids = _jobs(([JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.REJECTED, JobStatus.IN_PROGRESS] * 2)[:7])

    # When GET /jobs?limit=2 is followed page by page
    seen: list[str] = []
    token: str | None = None
    for _ in range(20):
        query = {"limit": ["2"], **({"next_token": [token]} if token else {})}
        response = api.invoke(proxy_event("GET", "/jobs", query=query))
        assert response.status == 200, response.body
        seen += [job["job_id"] for job in response.body["jobs"]]
        token = response.body["next_token"]
        if not token:
            break

    # Then every job came once, newest first
    assert seen == list(reversed(ids))


@pytest.mark.parametrize(
    "key",
    [
        {"pk": {"N": "1"}, "sk": {"S": "R#0000000001"}},
        {"pk": {"S": 1}, "sk": {"S": "R#0000000001"}},
        {"pk": {"BOOL": True}, "sk": {"S": "x"}},
        {"pk": {"S": "JOB#0000000000000000"}, "sk": {"L": []}},
        {"pk": {"S": "JOB#0000000000000000"}, "sk": {"S": ""}},
    ],
)
def test_a_results_token_with_wrong_dynamodb_types_is_a_400_naming_next_token(
    api: ApiHandlerClient, key: dict[str, Any]
) -> None:
    [job_id] = _jobs([JobStatus.COMPLETED])
    response = api.invoke(proxy_event("GET", f"/jobs/{job_id}/results", query={"next_token": [_token(key)]}))
    assert response.status == 400, response.body
    assert response.body["error"]["details"][0]["loc"] == ["query", "next_token"]


@pytest.mark.parametrize("sk", ["JOB", "zzzz", "r#0000000001"])
def test_a_results_token_outside_the_result_keys_is_a_400_naming_next_token(
    api: ApiHandlerClient, sk: str
) -> None:
    # Given a token of this job's partition whose sort key is not a result's (R#...)
    [job_id] = _jobs([JobStatus.COMPLETED])
    key = {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": sk}}
    response = api.invoke(proxy_event("GET", f"/jobs/{job_id}/results", query={"next_token": [_token(key)]}))
    # Then it is refused as DynamoDB would (outside the key condition), not served from the first result
    assert response.status == 400, response.body
    assert response.body["error"]["details"][0]["loc"] == ["query", "next_token"]


@pytest.mark.parametrize(
    "key",
    [
        {"pk": {"N": "1"}, "sk": {"S": "JOB"}, "status": {"S": "Completed"}, "created_at": {"S": "x"}},
        {"pk": {"S": "a"}, "sk": {"S": "JOB"}, "status": {"N": "1"}, "created_at": {"S": "x"}},
        {"pk": {"S": "a"}, "sk": {"S": "JOB"}, "status": {"S": "Failed"}, "created_at": {"S": "x"}},
        {"pk": {"S": "a"}, "sk": {"S": "JOB"}, "status": {"S": "Completed"}, "created_at": {"NULL": True}},
    ],
)
def test_a_jobs_token_with_wrong_types_or_status_is_a_400_naming_next_token(
    api: ApiHandlerClient, key: dict[str, Any]
) -> None:
    _jobs([JobStatus.COMPLETED] * 2)
    for query in (
        {"status": ["Completed"], "next_token": [_token(key)]},
        {"next_token": [_token({"all": {"Completed": key}})]},
    ):
        response = api.invoke(proxy_event("GET", "/jobs", query=query))
        assert response.status == 400, response.body
        assert response.body["error"]["details"][0]["loc"] == ["query", "next_token"]
