"""The batch path through the local stack over HTTP only: POST /jobs -> PUT -> poll -> results."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.moto import free_port
from zstc.contract.jobs import TERMINAL_JOB_STATUSES
from zstc_cli.client.api import HttpApiClient
from zstc_cli.client.target import AuthMode, Target
from zstc_local.stack import LocalStack, StackSettings
from zstc_local.template import REPO_ROOT

SAMPLE = REPO_ROOT / "examples" / "resolutions-sample.csv"


def _settings(**overrides: Any) -> StackSettings:
    return StackSettings(
        api_port=free_port(),
        aws_port=free_port(),
        model_port=free_port(),
        lambda_port=free_port(),
        **overrides,
    )


def _http(
    method: str,
    url: str,
    payload: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _submit(api: str, job: dict[str, Any], body: bytes) -> str:
    status, created = _http("POST", f"{api}/jobs", job)
    assert status == 201, created
    status, _ = _http("PUT", created["upload"]["url"], raw=body, content_type="application/octet-stream")
    assert status == 200
    return str(created["job_id"])


def _wait(api: str, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = _http("GET", f"{api}/jobs/{job_id}")
        assert status == 200, job
        if job["status"] in TERMINAL_JOB_STATUSES:
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def _results(api_url: str, job_id: str) -> list[dict[str, Any]]:
    """Every result of the job through the zstc command's client (pages of 200)."""
    return list(HttpApiClient(Target(api_url=api_url, auth=AuthMode.NONE)).results(job_id, 200))


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(_settings()) as running:
        yield running


def test_jsonl_job_over_http(stack: LocalStack) -> None:
    assert stack.api is not None
    lines = [
        {"id": f"t{i}", "inputs": text, "parameters": {"candidate_labels": ["Health", "Finance"]}}
        for i, text in enumerate(["go jogging every morning", "pay off my credit card debt"] * 30)
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    job_id = _submit(stack.api.url, {"format": "jsonl"}, body)
    job = _wait(stack.api.url, job_id)
    assert job["status"] == "Completed", job
    assert job["records"] == job["results_written"] == 60
    results = _results(stack.api.url, job_id)
    assert [r["record_id"] for r in results] == [f"t{i}" for i in range(60)]
    assert [r["top_label"] for r in results[:2]] == ["Health", "Finance"]


def test_csv_job_over_http(stack: LocalStack) -> None:
    assert stack.api is not None
    categories = ["Career", "Finance", "Health & Fitness", "Humor", "Personal Growth"]
    job_id = _submit(
        stack.api.url,
        {"format": "csv", "candidate_labels": categories, "id_column": "id"},
        SAMPLE.read_bytes(),
    )
    job = _wait(stack.api.url, job_id)
    assert job["status"] == "Completed", job
    assert job["records"] == 500
    assert sum(job["label_histogram"].values()) == 500
    results = _results(stack.api.url, job_id)
    assert results[0]["record_id"] == "nyr-0001"
    assert len(results) == 500


def test_rejected_file_over_http(stack: LocalStack) -> None:
    assert stack.api is not None
    body = b'{"inputs": "fine", "parameters": {"candidate_labels": ["a"]}}\n{oops\n'
    job_id = _submit(stack.api.url, {"format": "jsonl"}, body)
    job = _wait(stack.api.url, job_id)
    assert job["status"] == "Rejected"
    [problem] = job["problems"]
    assert problem.startswith("line 2: invalid JSON")
    status, error = _http("GET", f"{stack.api.url}/jobs/{job_id}/results")
    assert status == 409, error
