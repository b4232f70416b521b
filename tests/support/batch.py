"""Batch-path fixtures: moto resources built from template.yaml, the handlers, and a stand-in SageMaker."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.support.events import s3_object_created_event
from tests.support.moto import REGION
from zstc.batch import layout
from zstc.batch.layout import shard_key
from zstc_engine.classifier import Classifier
from zstc_engine.serving import invoke
from zstc_local.context import LocalLambdaContext
from zstc_local.handlers import Handler
from zstc_local.provision import LOCAL_RESOURCE_NAMES, provision
from zstc_local.template import Template
from zstc_local.transform_runner import transform_state_change_event

RESOURCE_NAMES = LOCAL_RESOURCE_NAMES  # the names the local stack and events/ use
BUCKET = RESOURCE_NAMES["DataBucket"]
TABLE = RESOURCE_NAMES["JobsTable"]


def create_batch_resources(template: Template) -> None:
    """The data bucket and the jobs table as the template declares them, and the transform model."""
    clients = {name: boto3.client(name, region_name=REGION) for name in ("s3", "dynamodb")}
    provision(template, clients, RESOURCE_NAMES)
    boto3.client("sagemaker", region_name=REGION).create_model(
        ModelName=template.parameters["TransformModelName"],
        ExecutionRoleArn="arn:aws:iam::123456789012:role/zstc-transform",
        PrimaryContainer={
            "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1"
        },
    )


@dataclass
class BatchPath:
    """The two batch handlers, with helpers to deliver their events."""

    start_batch: Handler
    process_results: Handler
    resumed: list[str] = field(default_factory=list)

    def upload(self, key: str, body: bytes, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """PUT an object and deliver its S3 event to start_batch; returns the handler's answer."""
        s3 = boto3.client("s3", region_name=REGION)
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata=metadata or {})
        return self.deliver_upload(key, len(body), put["ETag"].strip('"'), put.get("VersionId"))

    def deliver_upload(self, key: str, size: int, etag: str, version: str | None) -> dict[str, Any]:
        """Deliver an S3 ObjectCreated event for an existing object."""
        event = s3_object_created_event(BUCKET, key, size, etag, version_id=version)
        result: dict[str, Any] = self.start_batch(
            event, LocalLambdaContext("StartBatchFunction", timeout_seconds=900)
        )
        return result

    def state_change(self, name: str, status: str, remaining_ms: int | None = None, **kwargs: Any) -> str:
        """Deliver a transform job state change to process_results; returns its outcome."""
        context = LocalLambdaContext("ProcessResultsFunction", timeout_seconds=900)
        if remaining_ms is not None:
            context.timeout_seconds = remaining_ms / 1000
        result = self.process_results(transform_state_change_event(name, status, **kwargs), context)
        return str(result["outcome"])


def play_sagemaker(job_id: str, answer: Callable[[bytes], bytes]) -> list[str]:
    """Do what batch transform does for a job: each staged shard in, ``<shard>.out`` out."""
    s3 = boto3.client("s3", region_name=REGION)
    keys = sorted(
        item["Key"]
        for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=layout.staging_prefix(job_id)).get(
            "Contents", []
        )
    )
    for index, key in enumerate(keys):
        assert key == shard_key(job_id, index)
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        s3.put_object(Bucket=BUCKET, Key=layout.output_key(job_id, index), Body=answer(body))
    return keys


def engine_answers(classifier: Classifier) -> Callable[[bytes], bytes]:
    """The real engine answering a shard as one JSON Lines request (MultiRecord, AssembleWith Line)."""

    def answer(body: bytes) -> bytes:
        output, _ = invoke(classifier, body, "application/jsonlines", "application/jsonlines")
        return output

    return answer


def read_json_lines(body: bytes) -> list[dict[str, Any]]:
    """Decode JSON Lines."""
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]
