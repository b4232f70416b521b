"""What ``GET /health`` answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EndpointHealth(BaseModel):
    """What ``GET /health`` reports about the configured endpoint."""

    endpoint_name: str
    status: str = Field(description="SageMaker EndpointStatus, or Missing/Unreachable.")
    ready: bool
