"""SageMaker batch transform adapter: start a transform job for a job's staged shards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from zstc import aws, layout
from zstc.settings import BatchSettings

JSON_LINES = "application/jsonlines"
JSON = "application/json"


def transform_request(settings: BatchSettings, name: str, job_id: str) -> dict[str, Any]:
    """The CreateTransformJob request for ``job_id``.

    zstc's inference code reads JSON Lines with many records per request (MultiRecord); the stock
    JumpStart handler (INFERENCE_CODE=jumpstart) reads one JSON request per call (SingleRecord).
    """
    zstc_code = settings.inference_code == "zstc"
    content_type = JSON_LINES if zstc_code else JSON
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


class TransformJobs:
    """Starts transform jobs; a name that already exists means "already started"."""

    def __init__(self, settings: BatchSettings, client_factory: Callable[..., Any] = aws.client) -> None:
        self.settings = settings
        self._client_factory = client_factory

    def start(self, name: str, job_id: str) -> bool:
        """True when this call started the job, False when a job with this name already existed."""
        sagemaker = self._client_factory("sagemaker")
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
