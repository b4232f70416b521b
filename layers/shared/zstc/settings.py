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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Build from ``environ`` (default ``os.environ``); raises ``ValidationError`` when invalid."""
        return cls.model_validate(dict(os.environ if environ is None else environ))
