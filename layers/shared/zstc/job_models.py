"""Batch job schemas: the POST /jobs body, the job and result views, batch input records."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from zstc import limits
from zstc.schemas import CandidateLabels, ClassifyParameters, ClassifyRequest


class JobStatus(StrEnum):
    """Where a job is in its life."""

    AWAITING_UPLOAD = "AwaitingUpload"
    VALIDATING = "Validating"
    REJECTED = "Rejected"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"


TERMINAL_STATUSES = frozenset({JobStatus.REJECTED, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED})

InputFormat = Literal["csv", "jsonl"]


class CreateJobRequest(BaseModel):
    """POST /jobs: how to read the file the client will upload, and how to classify it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: InputFormat = Field(description="csv (a text column) or jsonl (one request per line).")
    candidate_labels: CandidateLabels | None = Field(
        default=None,
        description="Labels for every record (required for csv; jsonl lines may bring their own).",
    )
    multi_label: bool = False
    hypothesis_template: str = limits.DEFAULT_HYPOTHESIS_TEMPLATE
    text_column: str = Field(default="text", min_length=1, max_length=100)
    id_column: str | None = Field(default=None, min_length=1, max_length=100)
    filename: str | None = Field(
        default=None, description="Name of the uploaded file (default input.<format>)."
    )

    @field_validator("filename")
    @classmethod
    def _check_filename(cls, filename: str | None) -> str | None:
        if filename is not None and (not filename or "/" in filename or len(filename) > 200):
            raise PydanticCustomError("filename", "filename must be 1-200 characters without '/'")
        return filename

    @model_validator(mode="after")
    def _check_consistency(self) -> CreateJobRequest:
        if self.format == "csv" and self.candidate_labels is None:
            raise PydanticCustomError("labels_required", "candidate_labels is required for csv input")
        if not self.upload_filename.endswith(f".{self.format}"):
            raise PydanticCustomError(
                "filename_extension", "filename must end with .{format}", {"format": self.format}
            )
        self.parameters()  # the same label and template rules as POST /classify
        return self

    @property
    def upload_filename(self) -> str:
        """The file name the upload URL is for."""
        return self.filename or f"input.{self.format}"

    def parameters(self) -> ClassifyParameters | None:
        """The job-wide classification parameters, validated as POST /classify validates them."""
        if self.candidate_labels is None:
            return None
        return ClassifyParameters(
            candidate_labels=self.candidate_labels,
            multi_label=self.multi_label,
            hypothesis_template=self.hypothesis_template,
        )


class BatchRecord(ClassifyRequest):
    """One line of a JSON Lines input: a real-time request with one text and an optional id."""

    id: str | int | None = None

    @field_validator("inputs")
    @classmethod
    def _one_text(cls, inputs: str | list[str]) -> str | list[str]:
        if not isinstance(inputs, str):
            raise PydanticCustomError("batch_inputs", "inputs must be one text per line in batch input")
        return inputs


class UploadTarget(BaseModel):
    """Where and how to upload the input file."""

    url: str
    method: Literal["PUT"] = "PUT"
    key: str
    expires_in_seconds: int
    max_bytes: int


class JobView(BaseModel):
    """A job as the API shows it."""

    job_id: str
    status: JobStatus
    format: InputFormat | None = None
    created_at: str
    updated_at: str
    input_location: str | None = None
    records: int | None = None
    results_written: int | None = None
    label_histogram: dict[str, int] | None = None
    problems: list[str] | None = None
    failure_reason: str | None = None
    results_location: str | None = None
    transform_job_name: str | None = None
    upload: UploadTarget | None = None


class JobList(BaseModel):
    """A page of jobs, most recent first."""

    jobs: list[JobView]
    next_token: str | None = None


class ResultView(BaseModel):
    """One record's classification."""

    position: int = Field(description="0-based position of the record in the input file.")
    record_id: str | int
    top_label: str
    top_score: float
    labels: list[str]
    scores: list[float]


class ResultPage(BaseModel):
    """A page of results in input order."""

    job_id: str
    results: list[ResultView]
    next_token: str | None = None


def job_view(item: dict[str, Any]) -> JobView:
    """The API view of a stored job item (internal attributes left out)."""
    return JobView.model_validate({key: item[key] for key in JobView.model_fields if key in item})
