"""The error envelope: every non-2xx answer of the API is ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    """One problem: where (a path into the request) and what."""

    loc: list[str | int] = Field(default_factory=list)
    msg: str
    type: str


class ErrorInfo(BaseModel):
    """The body's ``error`` object."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """Every non-2xx answer of the API has this shape."""

    error: ErrorInfo
