"""process_results logic: turn a finished transform job's output into result items and a CSV.

Every output line is checked against its staged request (same count, same id, exactly the
requested labels, valid scores) before anything of its shard is written. Shards are processed in
order with a checkpoint in the job item, so a retry or a follow-up invocation resumes where the
last one stopped; keys are deterministic, so a replay rewrites the same items.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from zstc import layout
from zstc.classify import check_answer
from zstc.errors import InvalidModelResponseError
from zstc.job_models import JobStatus
from zstc.job_store import JobStore, now_iso
from zstc.observability import logger
from zstc.s3_store import S3Store
from zstc.schemas import ClassifyParameters, ClassifyRequest
from zstc.settings import BatchSettings

RESUME_MARGIN_MS = 60_000
"""Hand over to a follow-up invocation when less than this is left before the timeout."""

CSV_HEADER = ["id", "text", "top_label", "top_score", "labels", "scores"]


class OutputMismatch(Exception):
    """The transform output does not answer the staged requests."""


def event_time(value: Any) -> str | None:
    """An EventBridge/SageMaker timestamp (ISO 8601 or epoch milliseconds) as ISO 8601 UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        moment = datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ProcessResults:
    """Handles transform job state changes for zstc's jobs."""

    def __init__(
        self, settings: BatchSettings, jobs: JobStore, s3: S3Store, continue_later: Callable[[str], None]
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.s3 = s3
        self.continue_later = continue_later

    def handle_state_change(self, detail: dict[str, Any], remaining_ms: Callable[[], int]) -> str:
        """Completed -> ingest; Failed/Stopped -> record the reason. Returns what happened."""
        name = str(detail.get("TransformJobName", ""))
        job_id = layout.job_id_from_transform_name(self.settings.job_name_prefix, name)
        if job_id is None:
            return "ignored: not a zstc transform job"
        job = self.jobs.get_job(job_id)
        if job is None or job.get("transform_job_name") != name:
            logger.warning("state change for an unknown job", extra={"transform_job_name": name})
            return "ignored: unknown job"
        status = detail.get("TransformJobStatus")
        ended = event_time(detail.get("TransformEndTime"))
        if status in {"Failed", "Stopped"}:
            reason = detail.get("FailureReason") or ("stopped" if status == "Stopped" else "failed")
            moved = self.jobs.transition(
                job_id,
                [JobStatus.IN_PROGRESS],
                JobStatus(status),
                {
                    "failure_reason": f"transform job {name} {status.lower()}: {reason}",
                    "transform_ended_at": ended,
                },
            )
            return f"marked {status}" if moved else "duplicate"
        if status != "Completed":
            return f"ignored: status {status}"
        if job["status"] == JobStatus.COMPLETED:
            return "duplicate"
        if job["status"] != JobStatus.IN_PROGRESS:
            return f"ignored: job is {job['status']}"
        if ended:
            self.jobs.update_job(job_id, {"transform_ended_at": ended})
        return self.ingest(job_id, remaining_ms)

    def ingest(self, job_id: str, remaining_ms: Callable[[], int]) -> str:
        """Process shards from the checkpoint on; hand over when time runs short."""
        job = self.jobs.get_job(job_id)
        if job is None or job["status"] != JobStatus.IN_PROGRESS:
            return "ignored: job not in progress"
        sizes: list[int] = list(job["shard_sizes"])
        checkpoint = int(job.get("checkpoint", 0))
        histogram = Counter({k: int(v) for k, v in (job.get("label_histogram") or {}).items()})
        written = int(job.get("results_written", 0))
        for index in range(checkpoint, len(sizes)):
            if remaining_ms() < RESUME_MARGIN_MS:
                self.continue_later(job_id)
                return f"continued later from shard {index}"
            try:
                results, rows = self._read_shard(
                    job_id, index, offset=sum(sizes[:index]), expected=sizes[index]
                )
            except OutputMismatch as mismatch:
                self.jobs.transition(
                    job_id,
                    [JobStatus.IN_PROGRESS],
                    JobStatus.FAILED,
                    {"failure_reason": f"invalid transform output: {mismatch}"},
                )
                logger.error("invalid transform output", extra={"job_id": job_id, "shard": index})
                return "failed: invalid output"
            self.jobs.put_results(job_id, results, self._expires_at(job))
            self.s3.put(layout.results_part_key(job_id, index), rows, "text/csv")
            histogram.update(result["top_label"] for result in results)
            written += len(results)
            if not self.jobs.update_job(
                job_id,
                {"checkpoint": index + 1, "results_written": written, "label_histogram": dict(histogram)},
                expected={"checkpoint": index, "status": JobStatus.IN_PROGRESS.value},
            ):
                return "ignored: another invocation is ahead"
        parts = [layout.results_part_key(job_id, i) for i in range(len(sizes))]
        self.s3.concatenate([self._header_key(job_id), *parts], layout.results_key(job_id), "text/csv")
        moved = self.jobs.transition(
            job_id,
            [JobStatus.IN_PROGRESS],
            JobStatus.COMPLETED,
            {"results_location": self.s3.uri(layout.results_key(job_id)), "completed_at": now_iso()},
        )
        logger.info("job completed", extra={"job_id": job_id, "results": written})
        return "completed" if moved else "duplicate"

    def _header_key(self, job_id: str) -> str:
        key = f"{layout.RESULTS_PREFIX}{job_id}/parts/header.csv"
        self.s3.put(key, _csv_bytes([CSV_HEADER]), "text/csv")
        return key

    def _expires_at(self, job: dict[str, Any]) -> int:
        return int(job.get("expires_at") or time.time() + self.settings.result_retention_days * 86400)

    def _read_shard(
        self, job_id: str, index: int, offset: int, expected: int
    ) -> tuple[list[dict[str, Any]], bytes]:
        shard_name = f"part-{index:05d}"
        try:
            staged_lines = self.s3.iter_lines(layout.shard_key(job_id, index))
            # Batch transform may put an empty line between the answers of two mini-batches.
            output_lines = (
                raw for raw in self.s3.iter_lines(layout.output_key(job_id, index)) if raw.strip()
            )
            results: list[dict[str, Any]] = []
            rows: list[list[Any]] = []
            for line, (staged_raw, output_raw) in enumerate(zip_longest(staged_lines, output_lines), start=1):
                if staged_raw is None or output_raw is None:
                    rest = sum(1 for _ in (output_lines if staged_raw is None else staged_lines))
                    staged_count, output_count = (
                        (line - 1, line + rest) if staged_raw is None else (line + rest, line - 1)
                    )
                    raise OutputMismatch(
                        f"{shard_name}: {output_count} output lines for {staged_count} staged requests"
                    )
                result, row = self._check_line(shard_name, line, json.loads(staged_raw), output_raw)
                results.append({"position": offset + line - 1, **result})
                rows.append(row)
        except KeyError:
            raise OutputMismatch(
                f"{shard_name}: the output file {layout.output_key(job_id, index)} is missing"
            ) from None
        if len(results) != expected:
            raise OutputMismatch(f"{shard_name}: {len(results)} lines, but {expected} records were staged")
        return results, _csv_bytes(rows)

    @staticmethod
    def _staged_request(staged: dict[str, Any]) -> ClassifyRequest:
        """The request as start_batch validated and staged it (trusted: no second validation)."""
        return ClassifyRequest.model_construct(
            inputs=staged["inputs"], parameters=_parameters(json.dumps(staged["parameters"], sort_keys=True))
        )

    def _check_line(
        self, shard: str, line: int, staged: dict[str, Any], raw: bytes
    ) -> tuple[dict[str, Any], list[Any]]:
        where = f"{shard} line {line}"
        try:
            answer = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise OutputMismatch(f"{where}: not JSON") from None
        if not isinstance(answer, dict):
            raise OutputMismatch(f"{where}: not a JSON object")
        if "id" in answer and answer["id"] != staged["id"]:
            raise OutputMismatch(f"{where}: id {answer['id']!r} answers staged id {staged['id']!r}")
        request = self._staged_request(staged)
        try:
            [classification] = check_answer(request, answer)
        except InvalidModelResponseError as error:
            raise OutputMismatch(f"{where}: {error.message}") from None
        result = {
            "record_id": staged["id"],
            "top_label": classification.labels[0],
            "top_score": classification.scores[0],
            "labels": classification.labels,
            "scores": classification.scores,
        }
        row = [
            staged["id"],
            staged["inputs"],
            classification.labels[0],
            f"{classification.scores[0]:.6f}",
            json.dumps(classification.labels, ensure_ascii=False),
            json.dumps(classification.scores),
        ]
        return result, row


@lru_cache(maxsize=256)
def _parameters(serialized: str) -> ClassifyParameters:
    """Parameters are the same for most records of a job: build each distinct set once."""
    return ClassifyParameters.model_construct(**json.loads(serialized))


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
