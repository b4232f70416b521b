"""process_results logic: turn a finished transform job's output into result items and a CSV.

Every output line is checked against its staged request (same count, same id, exactly the
requested labels, valid scores) before anything of its shard is written. Shards are processed in
order with a checkpoint in the job item, so a retry or a follow-up invocation resumes where the
last one stopped; keys are deterministic, so a replay rewrites the same items.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from zstc.batch import layout
from zstc.batch.failures import fail_after_error
from zstc.batch.interfaces import JobStore, ObjectStore, TransformFinished
from zstc.batch.items import ABSTAINED, JobChanges, expiry_epoch
from zstc.contract import media_types
from zstc.contract.answer import check_answer
from zstc.contract.jobs import JobStatus
from zstc.contract.request import ClassifyParameters, ClassifyRequest
from zstc.contract.results import JobResult, write_results_csv
from zstc.core import limits
from zstc.core.clock import now_iso
from zstc.core.errors import InvalidModelResponseError
from zstc.core.observability import logger
from zstc.core.settings import BatchSettings

RESUME_MARGIN_MS = 60_000
"""Hand over to a follow-up invocation when less than this is left before the timeout."""


class OutputMismatch(Exception):
    """The transform output does not answer the staged requests."""


class ProcessResults:
    """Handles the end of zstc's transform jobs: ingest results, or record why they failed."""

    def __init__(
        self,
        settings: BatchSettings,
        jobs: JobStore,
        objects: ObjectStore,
        continue_later: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.objects = objects
        self.continue_later = continue_later

    def handle_finished(self, finished: TransformFinished | None, remaining_ms: Callable[[], int]) -> str:
        """Completed -> ingest; Failed/Stopped -> record the reason. Returns what happened.

        No job is left InProgress: an unexpected error marks it Failed (see :meth:`ingest`).
        """
        if finished is None:
            return "ignored: not the end of a zstc transform job"
        try:
            return self._handle_finished(finished, remaining_ms)
        except Exception as error:
            return self._fail(finished.job_id, "handling the end of its transform job", error)

    def ingest(self, job_id: str, remaining_ms: Callable[[], int]) -> str:
        """Process shards from the checkpoint on; hand over when time runs short.

        An unexpected error (a bug, a write the store refuses, an exhausted retry) marks the job
        Failed with the error's type (never its message, which may quote a record); only when that
        write fails too does the error propagate (Lambda retries, then the DLQ).
        """
        try:
            return self._ingest(job_id, remaining_ms)
        except Exception as error:
            return self._fail(job_id, "storing its results", error)

    def _fail(self, job_id: str, step: str, error: Exception) -> str:
        return fail_after_error(
            self.jobs,
            job_id,
            error,
            function="process_results",
            step=step,
            advice="submit the file again as a new job",
            expected_statuses=[JobStatus.IN_PROGRESS],
        )

    def _handle_finished(self, finished: TransformFinished, remaining_ms: Callable[[], int]) -> str:
        job_id, name = finished.job_id, finished.transform_job_name
        job = self.jobs.get(job_id)
        if job is None or job.transform_job_name != name:
            logger.warning("state change for an unknown job", extra={"transform_job_name": name})
            return "ignored: unknown job"
        if finished.status != JobStatus.COMPLETED:
            moved = self.jobs.update(
                job_id,
                JobChanges(
                    status=finished.status,
                    failure_reason=f"transform job {name} {finished.status.value.lower()}: {finished.reason}",
                    transform_ended_at=finished.ended_at,
                ),
                expected_statuses=[JobStatus.IN_PROGRESS],
            )
            return f"marked {finished.status.value}" if moved else "duplicate"
        if job.status == JobStatus.COMPLETED:
            return "duplicate"
        if job.status != JobStatus.IN_PROGRESS:
            return f"ignored: job is {job.status.value}"
        if finished.ended_at:
            self.jobs.update(job_id, JobChanges(transform_ended_at=finished.ended_at))
        return self.ingest(job_id, remaining_ms)

    def _ingest(self, job_id: str, remaining_ms: Callable[[], int]) -> str:
        job = self.jobs.get(job_id)
        if job is None or job.status != JobStatus.IN_PROGRESS:
            return "ignored: job not in progress"
        sizes, checkpoint = job.staged_shards()
        histogram = Counter(job.label_histogram)
        written = job.results_written or 0
        failed = job.records_failed or 0
        share = limits.DEFAULT_MAX_FAILED_SHARE if job.max_failed_share is None else job.max_failed_share
        allowed_failures = int(share * (job.records or sum(sizes)))
        expires_at = job.expires_at or expiry_epoch(self.settings.result_retention_days)
        for index in range(checkpoint, len(sizes)):
            if remaining_ms() < RESUME_MARGIN_MS:
                self.continue_later(job_id)
                return f"continued later from shard {index}"
            try:
                results = self._read_shard(job_id, index, offset=sum(sizes[:index]), expected=sizes[index])
            except OutputMismatch as mismatch:
                self.jobs.update(
                    job_id,
                    JobChanges(
                        status=JobStatus.FAILED, failure_reason=f"invalid transform output: {mismatch}"
                    ),
                    expected_statuses=[JobStatus.IN_PROGRESS],
                )
                logger.error("invalid transform output", extra={"job_id": job_id, "shard": index})
                return "failed: invalid output"
            failed += sum(1 for result in results if result.error is not None)
            if failed > allowed_failures:
                return self._too_many_failures(job_id, failed, job.records or sum(sizes), share)
            self.jobs.put_results(job_id, results, expires_at)
            self.objects.put(layout.results_part_key(job_id, index), _csv_bytes(results), media_types.CSV)
            histogram.update(_histogram_key(result) for result in results if result.top_label is not None)
            written += len(results)
            if not self.jobs.update(
                job_id,
                JobChanges(
                    checkpoint=index + 1,
                    results_written=written,
                    records_failed=failed,
                    label_histogram=bounded_histogram(histogram),
                ),
                expected_statuses=[JobStatus.IN_PROGRESS],
                expected_checkpoint=index,
            ):
                return "ignored: another invocation is ahead"
        parts = [layout.results_part_key(job_id, i) for i in range(len(sizes))]
        header = layout.results_header_key(job_id)
        self.objects.put(header, _csv_bytes([], header=True), media_types.CSV)
        self.objects.concatenate([header, *parts], layout.results_key(job_id), media_types.CSV)
        moved = self.jobs.update(
            job_id,
            JobChanges(
                status=JobStatus.COMPLETED,
                results_location=self.objects.uri(layout.results_key(job_id)),
                completed_at=now_iso(),
            ),
            expected_statuses=[JobStatus.IN_PROGRESS],
        )
        logger.info("job completed", extra={"job_id": job_id, "results": written})
        return "completed" if moved else "duplicate"

    def _too_many_failures(self, job_id: str, failed: int, records: int, share: float) -> str:
        self.jobs.update(
            job_id,
            JobChanges(
                status=JobStatus.FAILED,
                records_failed=failed,
                failure_reason=f"{failed} of {records} records failed at the model so far, more than the "
                f"job's max_failed_share of {share:g}; see the endpoint's logs, or raise max_failed_share",
            ),
            expected_statuses=[JobStatus.IN_PROGRESS],
        )
        logger.warning("too many failed records", extra={"job_id": job_id, "failed": failed})
        return "failed: too many failed records"

    def _read_shard(self, job_id: str, index: int, offset: int, expected: int) -> list[JobResult]:
        shard_name = f"part-{index:05d}"
        try:
            staged_lines = self.objects.iter_lines(layout.shard_key(job_id, index))
            # Batch transform may put an empty line between the answers of two mini-batches.
            output_lines = (
                raw for raw in self.objects.iter_lines(layout.output_key(job_id, index)) if raw.strip()
            )
            results: list[JobResult] = []
            for line, (staged_raw, output_raw) in enumerate(zip_longest(staged_lines, output_lines), start=1):
                if staged_raw is None or output_raw is None:
                    rest = sum(1 for _ in (output_lines if staged_raw is None else staged_lines))
                    staged_count, output_count = (
                        (line - 1, line + rest) if staged_raw is None else (line + rest, line - 1)
                    )
                    raise OutputMismatch(
                        f"{shard_name}: {output_count} output lines for {staged_count} staged requests"
                    )
                result = self._check_line(
                    shard_name, offset + line - 1, line, json.loads(staged_raw), output_raw
                )
                results.append(result)
        except KeyError:
            raise OutputMismatch(
                f"{shard_name}: the output file {layout.output_key(job_id, index)} is missing"
            ) from None
        if len(results) != expected:
            raise OutputMismatch(f"{shard_name}: {len(results)} lines, but {expected} records were staged")
        return results

    @staticmethod
    def _staged_request(staged: dict[str, Any]) -> ClassifyRequest:
        """The request as start_batch validated and staged it (trusted: no second validation)."""
        return ClassifyRequest.model_construct(
            inputs=staged["inputs"], parameters=_parameters(json.dumps(staged["parameters"], sort_keys=True))
        )

    def _check_line(
        self, shard: str, position: int, line: int, staged: dict[str, Any], raw: bytes
    ) -> JobResult:
        where = f"{shard} line {line}"
        try:
            answer = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise OutputMismatch(f"{where}: not JSON") from None
        if not isinstance(answer, dict):
            raise OutputMismatch(f"{where}: not a JSON object")
        if "id" in answer and answer["id"] != staged["id"]:
            raise OutputMismatch(f"{where}: id {answer['id']!r} answers staged id {staged['id']!r}")
        failure = _record_failure(answer)
        if failure is not None:
            return JobResult(position=position, record_id=staged["id"], text=staged["inputs"], error=failure)
        request = self._staged_request(staged)
        try:
            [classification] = check_answer(request, answer)
        except InvalidModelResponseError as error:
            raise OutputMismatch(f"{where}: {error.message}") from None
        return JobResult(
            position=position,
            record_id=staged["id"],
            text=staged["inputs"],
            top_label=classification.labels[0],
            top_score=classification.scores[0],
            labels=classification.labels,
            scores=classification.scores,
            predicted_labels=classification.predicted_labels,
            windows=classification.windows,
            evidence=classification.evidence,
            shortlist=classification.shortlist,
        )


def _histogram_key(result: JobResult) -> str:
    """The label a record counts under: its top label, or ``(none)`` when a threshold abstained."""
    if result.predicted_labels is not None and not result.predicted_labels:
        return ABSTAINED
    return result.top_label or ""


def _record_failure(answer: dict[str, Any]) -> str | None:
    """The reason of a per-record error answer (``{"id", "error": {"code", "message"}}``), else None."""
    error = answer.get("error")
    if "sequence" in answer or not isinstance(error, dict):
        return None
    message = error.get("message")
    reason = message if isinstance(message, str) and message else "the model could not score this record"
    return reason[: limits.MAX_PROBLEM_CHARS]


def bounded_histogram(histogram: Counter[str]) -> dict[str, int]:
    """``histogram`` with at most ``MAX_HISTOGRAM_LABELS`` labels by name, the rest summed under
    ``HISTOGRAM_OTHER_KEY``: the job item stays far below DynamoDB's 400 KB and the counts still
    sum to the results written (a label folded into the rest stays there)."""
    named = Counter(
        {label: count for label, count in histogram.items() if label != limits.HISTOGRAM_OTHER_KEY}
    )
    other = histogram.get(limits.HISTOGRAM_OTHER_KEY, 0)
    if len(named) <= limits.MAX_HISTOGRAM_LABELS:
        return {**named, **({limits.HISTOGRAM_OTHER_KEY: other} if other else {})}
    kept = dict(named.most_common(limits.MAX_HISTOGRAM_LABELS))
    other += sum(count for label, count in named.items() if label not in kept)
    return {**kept, limits.HISTOGRAM_OTHER_KEY: other}


@lru_cache(maxsize=256)
def _parameters(serialized: str) -> ClassifyParameters:
    """Parameters are the same for most records of a job: build each distinct set once."""
    return ClassifyParameters.model_construct(**json.loads(serialized))


def _csv_bytes(results: list[JobResult], *, header: bool = False) -> bytes:
    """Results as rows of the results CSV (the contract's one layout), UTF-8."""
    buffer = io.StringIO()
    write_results_csv(buffer, results, header=header)
    return buffer.getvalue().encode("utf-8")
