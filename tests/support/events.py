"""S3 event notifications as S3 sends them to Lambda, for tests that call start_batch directly.

The local stack itself never builds these: the emulator's own bucket notifications do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from zstc_local.constants import REGION


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
