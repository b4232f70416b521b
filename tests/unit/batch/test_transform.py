"""The SageMaker batch transform adapter's reading of transform state-change events (zstc.batch.transform)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zstc.batch.transform import SageMakerTransform
from zstc.contract.jobs import JobStatus
from zstc.core.settings import BatchSettings

EVENTS = Path(__file__).resolve().parents[3] / "events" / "batch"


@pytest.mark.parametrize(
    ("event_file", "status", "reason"),
    [
        ("transform_completed.json", JobStatus.COMPLETED, None),
        (
            "transform_failed_iso_time.json",
            JobStatus.FAILED,
            "ClientError: See job logs for more information",
        ),
        ("transform_stopped.json", JobStatus.STOPPED, "stopped"),
    ],
)
def test_transform_state_change_events_become_neutral_values(
    event_file: str, status: JobStatus, reason: str | None
) -> None:
    event = json.loads((EVENTS / event_file).read_text())
    transforms = SageMakerTransform(BatchSettings.from_env({"JOBS_TABLE": "jobs"}))
    finished = transforms.finished(event)
    assert finished is not None
    assert finished.transform_job_name == event["detail"]["TransformJobName"]
    assert (finished.status, finished.reason) == (status, reason)
    assert finished.ended_at is not None
    assert finished.ended_at.startswith("2026-11-29T00:10:00")


def test_events_of_other_jobs_or_states_are_not_ours() -> None:
    transforms = SageMakerTransform(BatchSettings.from_env({"JOBS_TABLE": "jobs"}))
    event = json.loads((EVENTS / "transform_completed.json").read_text())
    assert (
        transforms.finished({**event, "detail": {**event["detail"], "TransformJobStatus": "InProgress"}})
        is None
    )
    assert (
        transforms.finished({**event, "detail": {**event["detail"], "TransformJobName": "other-job"}}) is None
    )
    assert transforms.finished({}) is None
