"""The local stack's S3 notifications (zstc_local.s3_notifications) against a real moto server: the
events start_batch gets are the ones S3 sends, ``versionId`` included."""

from __future__ import annotations

import time
from typing import Any, cast

import boto3

from tests.support.moto import REGION, MotoHarness
from zstc.batch import layout
from zstc_local.async_invoke import AsyncInvoker
from zstc_local.provision import LOCAL_RESOURCE_NAMES, local_template, provision
from zstc_local.s3_notifications import S3NotificationBridge, subscriptions

BUCKET = LOCAL_RESOURCE_NAMES["DataBucket"]


class _Recorder:
    """Stands in for the async invoker: keeps what the bridge submits."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def submit(self, function: str, event: dict[str, Any], source: str) -> None:
        self.events.append((function, event))


def test_each_upload_to_the_versioned_data_bucket_notifies_with_its_own_version_id(moto: MotoHarness) -> None:
    # Given the template's data bucket (versioned) and its notifications, as the local stack sets them
    template = local_template()
    clients = {name: boto3.client(name, region_name=REGION) for name in ("s3", "dynamodb", "sqs")}
    provision(template, clients, LOCAL_RESOURCE_NAMES)
    recorder = _Recorder()
    bridge = S3NotificationBridge(
        subscriptions(template), clients["sqs"], clients["s3"], cast(AsyncInvoker, recorder)
    )
    bridge.start()
    try:
        # When two files are PUT to one input key before either event is handled
        key = f"{layout.INPUT_PREFIX}twoputs/a.jsonl"
        puts = [clients["s3"].put_object(Bucket=BUCKET, Key=key, Body=body) for body in (b"1\n", b"22\n")]
        for _ in range(200):  # the bridge polls every 0.2 s; drain at once too
            bridge.drain()
            if len(recorder.events) >= len(puts):
                break
            time.sleep(0.05)
    finally:
        bridge.stop()
    # Then start_batch gets one event per upload, each naming the version that upload created
    assert [function for function, _ in recorder.events] == ["StartBatchFunction"] * 2
    objects = [event["Records"][0]["s3"]["object"] for _, event in recorder.events]
    assert [obj.get("versionId") for obj in objects] == [put["VersionId"] for put in puts]
    assert [obj["size"] for obj in objects] == [2, 3]
