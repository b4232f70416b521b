"""SageMaker adapter of :class:`zstc.batch.interfaces.TransformRunner`: batch transform + EventBridge.

Starts a transform job over a job's staged shards, and turns the "SageMaker Transform Job State
Change" event (EventBridge) into a neutral :class:`zstc.batch.interfaces.TransformFinished`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from zstc.batch import layout
from zstc.batch.interfaces import TransformFinished
from zstc.contract import media_types
from zstc.contract.jobs import JobStatus
from zstc.core import aws
from zstc.core.settings import BatchSettings


def transform_request(settings: BatchSettings, name: str, job_id: str) -> dict[str, Any]:
    """The CreateTransformJob request for ``job_id``.

    zstc's inference code reads JSON Lines with many records per request (MultiRecord); the stock
    JumpStart handler (INFERENCE_CODE=jumpstart) reads one JSON request per call (SingleRecord).
    """
    zstc_code = settings.inference_code == "zstc"
    content_type = media_types.JSON_LINES if zstc_code else media_types.JSON
    bucket = settings.data_bucket
    output: dict[str, Any] = {
        "S3OutputPath": f"s3://{bucket}/{layout.output_prefix(job_id)}",
        "Accept": content_type,
        "AssembleWith": "Line",
    }
    if settings.output_kms_key_id:
        output["KmsKeyId"] = settings.output_kms_key_id
    return {
        "TransformJobName": name,
        "ModelName": settings.transform_model_name,
        "BatchStrategy": "MultiRecord" if zstc_code else "SingleRecord",
        "MaxPayloadInMB": settings.transform_max_payload_mb,
        "MaxConcurrentTransforms": settings.transform_max_concurrent,
        "ModelClientConfig": {
            "InvocationsTimeoutInSeconds": settings.transform_invocation_timeout_seconds,
            "InvocationsMaxRetries": settings.transform_invocation_max_retries,
        },
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{bucket}/{layout.staging_prefix(job_id)}",
                }
            },
            "ContentType": content_type,
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": output,
        "TransformResources": {
            "InstanceType": settings.transform_instance_type,
            "InstanceCount": settings.transform_instance_count,
        },
        "Tags": [{"Key": "zstc:job-id", "Value": job_id}],
    }


def event_time(value: Any) -> str | None:
    """An EventBridge/SageMaker timestamp (ISO 8601 or epoch milliseconds) as ISO 8601 UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        moment = datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_TERMINAL_STATES = {
    "Completed": JobStatus.COMPLETED,
    "Failed": JobStatus.FAILED,
    "Stopped": JobStatus.STOPPED,
}


class SageMakerTransform:
    """Starts transform jobs (a name that already exists means "already started") and reads their end."""

    def __init__(self, settings: BatchSettings) -> None:
        self.settings = settings

    def start(self, name: str, job_id: str) -> bool:
        """True when this call started the job, False when a job with this name already existed."""
        sagemaker = aws.client("sagemaker")
        if self._exists(sagemaker, name):
            return False
        try:
            sagemaker.create_transform_job(**transform_request(self.settings, name, job_id))
        except ClientError as error:
            code = error.response["Error"]["Code"]
            message = error.response["Error"].get("Message", "")
            if code == "ResourceInUse" or "already exist" in message.lower():
                return False
            raise
        return True

    def finished(self, event: Mapping[str, Any]) -> TransformFinished | None:
        """The ``detail`` of a "SageMaker Transform Job State Change" event, for one of our jobs.

        Event shape: https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html
        (the DescribeTransformJob fields). None for another name prefix or a non-terminal status.
        """
        detail = event.get("detail") or {}
        name = str(detail.get("TransformJobName", ""))
        job_id = layout.job_id_from_transform_name(self.settings.job_name_prefix, name)
        status = _TERMINAL_STATES.get(str(detail.get("TransformJobStatus")))
        if job_id is None or status is None:
            return None
        reason = detail.get("FailureReason") or None
        if status != JobStatus.COMPLETED and reason is None:
            reason = status.value.lower()
        return TransformFinished(
            job_id=job_id,
            transform_job_name=name,
            status=status,
            reason=reason,
            ended_at=event_time(detail.get("TransformEndTime")),
        )

    @staticmethod
    def _exists(sagemaker: Any, name: str) -> bool:
        try:
            sagemaker.describe_transform_job(TransformJobName=name)
        except ClientError as error:
            if error.response["Error"]["Code"] in {
                "ValidationException",
                "ValidationError",
                "ResourceNotFound",
            }:
                return False
            raise
        return True
