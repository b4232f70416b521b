"""Every event under events/batch runs through its handler (S3 put, transform state changes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.batch import BUCKET, TABLE, BatchPath
from tests.support.moto import REGION
from zstc.batch import layout
from zstc.batch.items import JobChanges, new_job
from zstc.batch.store import DynamoJobStore
from zstc.contract.jobs import JobStatus
from zstc_local.context import LocalLambdaContext

EVENTS = Path(__file__).resolve().parents[3] / "events" / "batch"
EXPECTED = {
    "s3_put_jsonl.json": "started",
    "transform_completed.json": "completed",
    "transform_failed_iso_time.json": "marked Failed",
    "transform_stopped.json": "marked Stopped",
}


def test_every_batch_event_has_an_expectation() -> None:
    assert sorted(p.name for p in EVENTS.glob("*.json")) == sorted(EXPECTED)


def _prepare_transform_job(event: dict[str, Any]) -> None:
    """The job this state change is about: in progress, one staged record and its output line."""
    name = event["detail"]["TransformJobName"]
    job_id = layout.job_id_from_transform_name("zstc-", name)
    assert job_id is not None
    job = JobChanges(
        status=JobStatus.IN_PROGRESS,
        transform_job_name=name,
        shard_sizes=[1],
        checkpoint=0,
        results_written=0,
        format="jsonl",
    )
    DynamoJobStore(TABLE).create(new_job(job_id, job, retention_days=30))
    staged = {
        "id": 1,
        "inputs": "run a marathon",
        "parameters": {
            "candidate_labels": ["Health", "Finance"],
            "multi_label": False,
            "hypothesis_template": "This example is {}.",
        },
    }
    answer = {"id": 1, "sequence": "run a marathon", "labels": ["Health", "Finance"], "scores": [0.9, 0.1]}
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=BUCKET, Key=layout.shard_key(job_id, 0), Body=json.dumps(staged).encode() + b"\n")
    s3.put_object(Bucket=BUCKET, Key=layout.output_key(job_id, 0), Body=json.dumps(answer).encode() + b"\n")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_file_runs_through_its_handler(batch: BatchPath, name: str) -> None:
    event = json.loads((EVENTS / name).read_text())
    if name.startswith("s3_"):
        key = event["Records"][0]["s3"]["object"]["key"]
        line = {"id": "a", "inputs": "save more", "parameters": {"candidate_labels": ["Finance", "Health"]}}
        put = boto3.client("s3", region_name=REGION).put_object(
            Bucket=BUCKET, Key=key, Body=json.dumps(line).encode()
        )
        event["Records"][0]["s3"]["object"]["versionId"] = put["VersionId"]  # S3 names the version it wrote
        result = batch.start_batch(event, LocalLambdaContext("StartBatchFunction"))
        assert result == {"outcomes": [EXPECTED[name]]}
        return
    _prepare_transform_job(event)
    result = batch.process_results(event, LocalLambdaContext("ProcessResultsFunction", timeout_seconds=900))
    assert result == {"outcome": EXPECTED[name]}
    job = DynamoJobStore(TABLE).get(
        layout.job_id_from_transform_name("zstc-", event["detail"]["TransformJobName"]) or ""
    )
    assert job is not None
    assert job.transform_ended_at is not None
    assert job.transform_ended_at.startswith("2026-11-29T00:10:00")
