"""The stored job item (typed), and the rules that compute its time fields.

A job is one item, a result one item per input record (:class:`zstc.contract.results.JobResult`; see
:mod:`zstc.batch.store`). Every reader and writer goes through these models: no code reads or writes
a job attribute by string key.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zstc.contract.batch_input import InputFormatName
from zstc.contract.jobs import JobStatus
from zstc.contract.request import ClassifyParameters
from zstc.core.clock import now_iso

SECONDS_PER_DAY = 86_400

ABSTAINED = "(none)"
"""The label histogram's key for records a threshold left without a predicted label."""


JobSource = Literal["api", "s3-upload"]
"""``api``: created by POST /jobs; ``s3-upload``: a file put straight under input/ (options from metadata)."""


class JobChanges(BaseModel):
    """The attributes of a job that change over its life; a store update writes the ones that are set."""

    model_config = ConfigDict(extra="forbid")

    status: JobStatus | None = None
    source: JobSource | None = None
    format: InputFormatName | None = None
    filename: str | None = None
    text_column: str | None = None
    id_column: str | None = None
    parameters: ClassifyParameters | None = Field(
        default=None, description="Job-wide parameters (csv needs them; jsonl lines may bring their own)."
    )
    label_set: str | None = Field(
        default=None, description='The label set version "name@N" the parameters were resolved from.'
    )
    input_location: str | None = None
    input_key: str | None = None
    input_version: str | None = Field(
        default=None, description="The version of input_location processed (S3 VersionId, else its ETag)."
    )
    notes: list[str] | None = Field(
        default=None,
        description="Uploads to the job's key after the one processed, which were not processed.",
    )
    expires_at: int | None = Field(
        default=None, description="Epoch seconds: DynamoDB TTL of the job and results."
    )
    problems: list[str] | None = Field(default=None, description="Why the input was rejected (line: reason).")
    errors_location: str | None = None
    transform_job_name: str | None = None
    records: int | None = None
    shard_sizes: list[int] | None = Field(default=None, description="Records per staged shard, in order.")
    checkpoint: int | None = Field(default=None, description="Shards whose results are written.")
    results_written: int | None = None
    records_failed: int | None = Field(
        default=None, description="Records the model could not score (stored with their reason)."
    )
    max_failed_share: float | None = Field(
        default=None, description="Failed records beyond this share (0-1) fail the job; None: the default."
    )
    label_histogram: dict[str, int] | None = None
    transform_started_at: str | None = None
    transform_ended_at: str | None = None
    completed_at: str | None = None
    failure_reason: str | None = None
    results_location: str | None = None


class JobItem(JobChanges):
    """A job as stored: its identity and timestamps, plus every :class:`JobChanges` attribute."""

    model_config = ConfigDict(extra="ignore")  # an attribute a newer version wrote does not break reads

    job_id: str
    status: JobStatus  # required on a stored job
    created_at: str
    updated_at: str
    label_histogram: dict[str, int] = Field(default_factory=dict)

    def staged_shards(self) -> tuple[list[int], int]:
        """``(records per shard, shards already ingested)`` of a job whose transform started."""
        return list(self.shard_sizes or []), self.checkpoint or 0


def expiry_epoch(retention_days: int, now: float | None = None) -> int:
    """When a job created ``now`` (epoch seconds, default the current time) expires, in epoch seconds.

    The one place the job's expiry is computed: the job item, its result items (DynamoDB TTL) and
    the S3 lifecycle rules (``ResultRetentionDays``) share the retention.
    """
    return int(time.time() if now is None else now) + retention_days * SECONDS_PER_DAY


def new_job(job_id: str, changes: JobChanges, retention_days: int) -> JobItem:
    """A new job item with timestamps and expiry, from its initial attributes."""
    timestamp = now_iso()
    return JobItem.model_validate(
        {
            **changes.model_dump(exclude_none=True),
            "job_id": job_id,
            "created_at": timestamp,
            "updated_at": timestamp,
            "expires_at": expiry_epoch(retention_days),
        }
    )
