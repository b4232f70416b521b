"""The batch jobs API's public types: a job's statuses, the POST /jobs body and the job views.

The results of a job (GET /jobs/{id}/results and the results CSV) are in :mod:`zstc.contract.results`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from zstc.contract.batch_input import INPUT_FILE_FORMATS, InputFormatName, format_for_filename
from zstc.contract.request import (
    CandidateLabels,
    ClassifyParameters,
    LabelSetReference,
    Shortlist,
    Threshold,
    refuse_label_fields_beside_label_set,
    with_request_options,
)
from zstc.core import limits


class JobStatus(StrEnum):
    """Where a job is in its life: AwaitingUpload -> Validating -> InProgress -> a terminal status."""

    AWAITING_UPLOAD = "AwaitingUpload"
    VALIDATING = "Validating"
    REJECTED = "Rejected"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"


TERMINAL_JOB_STATUSES = frozenset(
    {JobStatus.COMPLETED, JobStatus.REJECTED, JobStatus.FAILED, JobStatus.STOPPED}
)
"""The statuses a job never leaves (a client polling a job stops at one of these)."""


_JOB_WIDE_OPTIONS = tuple(name for name in ClassifyParameters.model_fields if name != "candidate_labels")
"""POST /jobs fields that are classification parameters of every record (with candidate_labels)."""

_CSV_OPTIONS = ("text_column", "id_column")
"""POST /jobs fields that say how to read a CSV file: a JSON Lines job has no columns."""


class CreateJobRequest(BaseModel):
    """POST /jobs: how to read the file the client will upload, and how to classify it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: InputFormatName = Field(description="csv (a text column) or jsonl (one request per line).")
    label_set: LabelSetReference | None = Field(
        default=None,
        description=(
            'A label set ("name" for its latest version, or "name@N") instead of candidate_labels and the '
            "other label parameters; the job records the exact version."
        ),
        examples=["intents", "intents@3"],
    )
    candidate_labels: CandidateLabels | None = Field(
        default=None,
        description="Labels for every record (required for csv; jsonl lines may bring their own).",
    )
    multi_label: bool = False
    hypothesis_template: str | list[str] | None = Field(
        default=None,
        description="As in POST /classify (one template or an ensemble); omitted: the model's default.",
    )
    label_descriptions: dict[str, str] | None = Field(default=None, description="As in POST /classify.")
    label_examples: dict[str, list[str]] | None = Field(
        default=None, description="As in POST /classify: example texts per label (not in S3 metadata)."
    )
    threshold: Threshold | None = Field(
        default=None, description="As in POST /classify: results carry predicted_labels."
    )
    return_evidence: bool = Field(default=False, description="As in POST /classify: results carry evidence.")
    shortlist: Shortlist | None = Field(
        default=None, description="As in POST /classify: how many labels the NLI model scores per text."
    )
    top_k: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="As in POST /classify: results list only the top_k labels."
    )
    text_column: str = Field(default="text", min_length=1, max_length=100)
    id_column: str | None = Field(default=None, min_length=1, max_length=100)
    filename: str | None = Field(
        default=None, description="Name of the uploaded file (default input.<format>)."
    )
    max_failed_share: float = Field(
        default=limits.DEFAULT_MAX_FAILED_SHARE,
        ge=0,
        le=1,
        description=(
            "The job ends Failed when more than this share (0-1) of its records fail at the model; "
            "up to it, the job completes and the failed records are listed with their reason."
        ),
    )

    @field_validator("filename")
    @classmethod
    def _check_filename(cls, filename: str | None) -> str | None:
        if filename is not None and (not filename or "/" in filename or len(filename) > 200):
            raise PydanticCustomError("filename", "filename must be 1-200 characters without '/'")
        return filename

    _conflicts = model_validator(mode="before")(refuse_label_fields_beside_label_set)

    @model_validator(mode="after")
    def _check_consistency(self) -> CreateJobRequest:
        if self.format == "csv" and self.candidate_labels is None and self.label_set is None:
            raise PydanticCustomError(
                "labels_required", "candidate_labels is required for csv input (or a label_set)"
            )
        fields = type(self).model_fields
        if self.format != "csv":
            unread = [name for name in _CSV_OPTIONS if getattr(self, name) != fields[name].default]
            if unread:
                raise PydanticCustomError(
                    "options_for_csv",
                    "{options} name columns of a csv file; a {format} job has none: leave them out",
                    {"options": ", ".join(unread), "format": self.format},
                )
        if self.candidate_labels is None and self.label_set is None:
            # job-wide options apply with the job's labels; a jsonl line with its own parameters uses
            # only those, so options without labels would reach no record: refused, never dropped
            orphans = [name for name in _JOB_WIDE_OPTIONS if getattr(self, name) != fields[name].default]
            if orphans:
                raise PydanticCustomError(
                    "options_without_labels",
                    "{options} apply with the job's candidate_labels; set them too, or put the options in "
                    "each JSON Lines line's parameters",
                    {"options": ", ".join(orphans)},
                )
        found = format_for_filename(self.upload_filename)
        if found is None or found.name != self.format:
            raise PydanticCustomError(
                "filename_extension",
                "filename must end with {extensions}",
                {"extensions": " or ".join(INPUT_FILE_FORMATS[self.format].extensions)},
            )
        self.parameters()  # the same label and template rules as POST /classify
        return self

    @property
    def upload_filename(self) -> str:
        """The file name the upload URL is for."""
        return self.filename or f"input{INPUT_FILE_FORMATS[self.format].extensions[0]}"

    def parameters(self, label_set: ClassifyParameters | None = None) -> ClassifyParameters | None:
        """The job-wide classification parameters, validated as POST /classify validates them: the
        job's own, or ``label_set``'s (the resolved set the job names) with the job's other options."""
        if label_set is not None:
            return with_request_options(label_set, self)
        if self.candidate_labels is None:
            return None
        # the job's fields that are classification parameters, by the parameters' own field names
        shared = {name: getattr(self, name) for name in ClassifyParameters.model_fields}
        return ClassifyParameters(**shared)


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
    format: InputFormatName | None = None
    label_set: str | None = Field(
        default=None, description='The exact label set version the job runs with, "name@N".'
    )
    created_at: str
    updated_at: str
    input_location: str | None = None
    input_version: str | None = None
    records: int | None = None
    results_written: int | None = None
    records_failed: int | None = None
    max_failed_share: float | None = None
    label_histogram: dict[str, int] | None = None
    problems: list[str] | None = None
    notes: list[str] | None = None
    failure_reason: str | None = None
    results_location: str | None = None
    transform_job_name: str | None = None
    upload: UploadTarget | None = None


class JobList(BaseModel):
    """A page of jobs, most recent first."""

    jobs: list[JobView]
    next_token: str | None = None
