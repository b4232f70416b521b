"""Function settings read from environment variables and validated at cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class ApiSettings(BaseModel):
    """Settings of the api function (names are the environment variables template.yaml sets)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    endpoint_name: str = Field(alias="ENDPOINT_NAME", min_length=1, max_length=63)
    endpoint_read_timeout_seconds: float = Field(
        default=25.0,
        alias="ENDPOINT_READ_TIMEOUT_SECONDS",
        gt=0,
        le=28,
        description="Below API Gateway's 29 s integration timeout, so a slow model is a 504 we write.",
    )
    endpoint_max_attempts: int = Field(
        default=1,
        alias="ENDPOINT_MAX_ATTEMPTS",
        ge=1,
        le=3,
        description="1 = no retries: a retry after a read timeout would outlive API Gateway's timeout.",
    )
    label_sets_table: str = Field(
        default="", alias="LABEL_SETS_TABLE", description="The label sets table (heads and versions)."
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Build from ``environ`` (default ``os.environ``); raises ``ValidationError`` when invalid."""
        return cls.model_validate(dict(os.environ if environ is None else environ))


class BatchSettings(BaseModel):
    """Settings of the batch functions and the jobs API (environment variables set by template.yaml)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    data_bucket: str = Field(
        default="",
        alias="DATA_BUCKET",
        description="Empty for start_batch: each S3 event names the bucket (a reference would be circular).",
    )
    jobs_table: str = Field(alias="JOBS_TABLE", min_length=3)
    job_name_prefix: str = Field(default="zstc-", alias="JOB_NAME_PREFIX", pattern=r"^[a-zA-Z0-9-]{1,20}$")
    result_retention_days: int = Field(default=30, alias="RESULT_RETENTION_DAYS", ge=1, le=3650)
    transform_model_name: str = Field(default="", alias="TRANSFORM_MODEL_NAME")
    transform_instance_type: str = Field(default="ml.m5.xlarge", alias="TRANSFORM_INSTANCE_TYPE")
    transform_instance_count: int = Field(default=1, alias="TRANSFORM_INSTANCE_COUNT", ge=1, le=100)
    transform_max_payload_mb: int = Field(default=6, alias="TRANSFORM_MAX_PAYLOAD_MB", ge=1, le=100)
    transform_max_concurrent: int = Field(default=1, alias="TRANSFORM_MAX_CONCURRENT", ge=1, le=100)
    transform_invocation_timeout_seconds: int = Field(
        default=600, alias="TRANSFORM_INVOCATION_TIMEOUT_SECONDS", ge=1, le=3600
    )
    transform_invocation_max_retries: int = Field(
        default=1, alias="TRANSFORM_INVOCATION_MAX_RETRIES", ge=0, le=3
    )
    inference_code: str = Field(default="zstc", alias="INFERENCE_CODE", pattern="^(zstc|jumpstart)$")
    output_kms_key_id: str = Field(default="", alias="OUTPUT_KMS_KEY_ID")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BatchSettings:
        """Build from ``environ`` (default ``os.environ``); raises ``ValidationError`` when invalid."""
        return cls.model_validate(dict(os.environ if environ is None else environ))
