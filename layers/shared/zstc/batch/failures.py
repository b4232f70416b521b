"""Failing a job after an unexpected error, so no job is left in a non-terminal status.

The reason names the step and the error's type, never its message: a message may quote record text.
"""

from __future__ import annotations

from collections.abc import Collection

from zstc.batch.interfaces import JobStore
from zstc.batch.items import JobChanges
from zstc.contract.jobs import JobStatus
from zstc.core.observability import logger

FAILED_INTERNALLY = "failed: internal error"
ALREADY_MOVED_ON = "ignored: job already moved on"


def fail_after_error(
    jobs: JobStore,
    job_id: str,
    error: Exception,
    *,
    function: str,
    step: str,
    advice: str,
    expected_statuses: Collection[JobStatus],
) -> str:
    """Move the job to Failed (if it is still in ``expected_statuses``) with a reason a user can act on.

    Returns the outcome for the handler: ``failed: internal error``, or ``ignored: job already moved on``
    when another delivery got there first.
    """
    error_type = type(error).__name__
    logger.error(f"{function} failed; failing the job", extra={"job_id": job_id, "error_type": error_type})
    moved = jobs.update(
        job_id,
        JobChanges(
            status=JobStatus.FAILED, failure_reason=f"internal error while {step} ({error_type}); {advice}"
        ),
        expected_statuses=expected_statuses,
    )
    return FAILED_INTERNALLY if moved else ALREADY_MOVED_ON
