"""Real-time logic on a fake endpoint, the transform event adapter, and line splitting of streams."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.support.fakes import FakeEndpoint
from zstc.batch.transform import SageMakerTransform
from zstc.contract.jobs import JobStatus
from zstc.contract.request import ClassifyRequest
from zstc.core.errors import InvalidModelResponseError, ThrottledError
from zstc.core.objects import binary_lines
from zstc.core.settings import BatchSettings
from zstc.realtime.classify import classify

EVENTS = Path(__file__).resolve().parents[2] / "events" / "batch"
REQUEST = ClassifyRequest.model_validate({"inputs": ["a", "b"], "parameters": {"candidate_labels": "x, y"}})


def _answer(payload: dict[str, object]) -> list[dict[str, object]]:
    texts = payload["inputs"]
    assert isinstance(texts, list)
    return [{"sequence": text, "labels": ["x", "y"], "scores": [0.25, 0.75]} for text in texts]


def test_classify_sends_the_normalised_request_and_sorts_the_checked_answer() -> None:
    endpoint = FakeEndpoint(answer=_answer)
    results = classify(REQUEST, endpoint)
    assert endpoint.payloads == [
        {"inputs": ["a", "b"], "parameters": {"candidate_labels": ["x", "y"], "multi_label": False}}
    ]
    assert [(r.sequence, r.labels) for r in results] == [("a", ["y", "x"]), ("b", ["y", "x"])]


def test_classify_refuses_an_answer_for_other_texts_and_passes_endpoint_errors_on() -> None:
    with pytest.raises(InvalidModelResponseError):
        classify(
            REQUEST, FakeEndpoint(answer=[{"sequence": "a", "labels": ["x", "y"], "scores": [0.5, 0.5]}])
        )
    with pytest.raises(ThrottledError):
        classify(REQUEST, FakeEndpoint(answer=ThrottledError("slow down")))


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


def test_lines_end_at_newline_only() -> None:
    data = '{"a": "x\u2028y\u0085z\rw"}\r\n{"b": 1}\nlast'.encode()
    lines = list(binary_lines(io.BytesIO(data), chunk_bytes=3))
    assert lines == ['{"a": "x\u2028y\u0085z\rw"}\r\n'.encode(), b'{"b": 1}\n', b"last"]
