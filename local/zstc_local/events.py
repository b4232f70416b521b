"""AWS event shapes the local stack and the tests deliver: S3 notifications, transform state changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from zstc_local.constants import ACCOUNT_ID, REGION


def s3_object_created_event(
    bucket: str,
    key: str,
    size: int,
    etag: str,
    *,
    version_id: str | None = None,
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """An S3 event notification with one record, as S3 sends it to Lambda (the key URL-encoded)."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag,
        "sequencer": uuid.uuid4().hex[:18].upper(),
    }
    if version_id:
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": now,
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:LOCAL"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "zstc-local",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "LOCAL"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }


def transform_state_change_event(
    name: str,
    status: str,
    *,
    failure_reason: str | None = None,
    epoch_millis: bool = True,
    detail_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A "SageMaker Transform Job State Change" EventBridge event (timestamps in epoch ms or ISO)."""
    now = datetime.now(UTC)
    stamp: Any = (
        int(now.timestamp() * 1000)
        if epoch_millis
        else now.isoformat(timespec="seconds").replace("+00:00", "Z")
    )
    detail: dict[str, Any] = {
        "TransformJobName": name,
        "TransformJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:transform-job/{name}",
        "TransformJobStatus": status,
        "CreationTime": stamp,
        "TransformStartTime": stamp,
        "TransformEndTime": stamp,
        **(detail_extra or {}),
    }
    if failure_reason:
        detail["FailureReason"] = failure_reason
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "SageMaker Transform Job State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT_ID,
        "time": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": REGION,
        "resources": [detail["TransformJobArn"]],
        "detail": detail,
    }
