"""The transform state-change event: the runner's (from a DescribeTransformJob answer) and the tests'."""

from __future__ import annotations

from datetime import UTC, datetime

from zstc_local.constants import ACCOUNT_ID, REGION
from zstc_local.transform_runner import transform_state_change_event

NAME = "zstc-0123456789abcdef-5f2a9c1e7b3d"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:transform-job/{NAME}"


def test_the_runners_event_is_the_description_with_the_real_status_and_times() -> None:
    # Given a DescribeTransformJob answer as boto3 returns it (datetimes, metadata, moto's status)
    created = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    description = {
        "TransformJobName": NAME,
        "TransformJobArn": ARN,
        "TransformJobStatus": "Completed",
        "CreationTime": created,
        "FailureReason": "moto's",
        "ModelName": "zstc-bart-large-mnli",
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
    # When the runner builds the event for a job that failed
    event = transform_state_change_event(
        NAME,
        "Failed",
        failure_reason="ClientError: refused",
        description=description,
        started_ms=1_795_910_460_000,
        ended_ms=1_795_911_000_000,
        event_id=f"local-{NAME}-Failed",
    )
    # Then the detail is the description, JSON-ready, with the runner's status, reason and times
    assert event["detail"] == {
        "TransformJobName": NAME,
        "TransformJobArn": ARN,
        "TransformJobStatus": "Failed",
        "CreationTime": int(created.timestamp() * 1000),
        "FailureReason": "ClientError: refused",
        "ModelName": "zstc-bart-large-mnli",
        "TransformStartTime": 1_795_910_460_000,
        "TransformEndTime": 1_795_911_000_000,
    }
    # And the envelope is EventBridge's, its time the job's end in UTC
    assert {key: value for key, value in event.items() if key != "detail"} == {
        "version": "0",
        "id": f"local-{NAME}-Failed",
        "detail-type": "SageMaker Transform Job State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT_ID,
        "time": "2026-11-29T00:10:00Z",
        "region": REGION,
        "resources": [ARN],
    }


def test_a_completed_job_carries_no_failure_reason() -> None:
    description = {"TransformJobName": NAME, "FailureReason": "stale"}
    event = transform_state_change_event(NAME, "Completed", description=description)
    assert "FailureReason" not in event["detail"]


def test_without_a_description_the_event_stands_alone_with_times_of_now() -> None:
    # Given no description, When a test builds an event with ISO times
    event = transform_state_change_event(NAME, "Stopped", epoch_millis=False)
    detail = event["detail"]
    # Then the detail names the job and every time is the same ISO 8601 instant as the envelope's
    assert detail["TransformJobName"] == NAME
    assert detail["TransformJobArn"] == ARN
    assert event["resources"] == [ARN]
    assert detail["TransformJobStatus"] == "Stopped"
    times = {detail["CreationTime"], detail["TransformStartTime"], detail["TransformEndTime"], event["time"]}
    assert len(times) == 1
    assert datetime.fromisoformat(times.pop().replace("Z", "+00:00")).tzinfo is not None
    # And two events get distinct ids
    assert transform_state_change_event(NAME, "Stopped")["id"] != event["id"]
