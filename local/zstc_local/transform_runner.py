"""Runs the emulator's transform jobs against the local endpoint with batch transform's semantics.

moto records CreateTransformJob but never runs it (and reports it Completed at once), so this
runner keeps each job's real state: every object under the input prefix is split into lines
(SplitType Line), sent as one record per request (SingleRecord) or packed up to MaxPayloadInMB
(MultiRecord) to the model container's ``POST /invocations``, and the answers are assembled line
by line into ``<input name>.out`` under the output path. A request the model refuses fails the job
with a FailureReason and leaves no ``.out`` for that file. Each finished job puts a "SageMaker
Transform Job State Change" event on the local bus (:func:`transform_state_change_event`, the one
builder of that event, which the tests use too).
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zstc.core.objects import binary_lines
from zstc_local.constants import ACCOUNT_ID, REGION

log = logging.getLogger("zstc.local.transform")
PutEvent = Callable[[dict[str, Any]], Any]


@dataclass
class TransformState:
    """What the runner knows about one job (moto's own status is always Completed)."""

    name: str
    status: str = "InProgress"
    records_total: int = 0
    records_done: int = 0
    failure_reason: str | None = None
    started_ms: int = 0
    ended_ms: int | None = None


class TransformFailed(Exception):
    """The job cannot finish; the message is its FailureReason."""


def _split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def pack_records(lines: list[bytes], strategy: str, max_payload_bytes: int) -> Iterator[tuple[int, bytes]]:
    """``(records, body)`` per request: one line each (SingleRecord) or as many as fit (MultiRecord)."""
    if strategy != "MultiRecord":
        for line in lines:
            yield 1, line
        return
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if len(line) > max_payload_bytes:
            raise TransformFailed(f"ClientError: a record of {len(line)} bytes exceeds MaxPayloadInMB")
        if batch and size + len(line) > max_payload_bytes:
            yield len(batch), b"".join(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield len(batch), b"".join(batch)


class LocalTransformExecutor:
    """Watches the emulator for new transform jobs and runs each one in a thread."""

    def __init__(
        self, sagemaker: Any, s3: Any, container_url: str, put_event: PutEvent, poll_seconds: float = 0.3
    ) -> None:
        self._sagemaker = sagemaker
        self._s3 = s3
        self._container_url = container_url
        self._put_event = put_event
        self._poll_seconds = poll_seconds
        self.jobs: dict[str, TransformState] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watcher = threading.Thread(target=self._watch, name="transform-watcher", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._watcher.start()

    def stop(self) -> None:
        """Stop watching; running jobs finish their current request."""
        self._stop.set()
        self._watcher.join(timeout=10)
        for thread in self._threads:
            thread.join(timeout=30)

    def _watch(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            try:
                names = self._job_names()
            except Exception:
                log.exception("listing transform jobs failed")
                continue
            for name in names:
                if name not in self.jobs:
                    self.jobs[name] = TransformState(name, started_ms=int(time.time() * 1000))
                    thread = threading.Thread(
                        target=self._run, args=(name,), name=f"transform-{name}", daemon=True
                    )
                    self._threads.append(thread)
                    thread.start()

    def _job_names(self) -> list[str]:
        """Every transform job the emulator holds: all pages of ListTransformJobs (100 per page)."""
        pages = self._sagemaker.get_paginator("list_transform_jobs").paginate(
            PaginationConfig={"PageSize": 100}
        )
        return [summary["TransformJobName"] for page in pages for summary in page["TransformJobSummaries"]]

    def _run(self, name: str) -> None:
        state = self.jobs[name]
        description = self._sagemaker.describe_transform_job(TransformJobName=name)
        try:
            self._transform(description, state)
            state.status = "Completed"
        except TransformFailed as failure:
            state.status, state.failure_reason = "Failed", str(failure)
        except Exception as error:
            log.exception("transform job %s crashed", name)
            state.status, state.failure_reason = "Failed", f"InternalServerError: {error!r}"
        state.ended_ms = int(time.time() * 1000)
        log.info("transform job %s %s", name, state.status)
        self._put_event(
            transform_state_change_event(
                name,
                state.status,
                failure_reason=state.failure_reason,
                description=description,
                started_ms=state.started_ms,
                ended_ms=state.ended_ms,
                event_id=f"local-{name}-{state.status}",
            )
        )

    def _transform(self, description: dict[str, Any], state: TransformState) -> None:
        source = description["TransformInput"]["DataSource"]["S3DataSource"]
        bucket, prefix = _split_s3_uri(source["S3Uri"])
        keys = sorted(
            item["Key"]
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        )
        if not keys:
            raise TransformFailed(f"ClientError: no input objects under {source['S3Uri']}")
        files = {
            key: self._lines(bucket, key, description["TransformInput"].get("SplitType", "None"))
            for key in keys
        }
        state.records_total = sum(len(lines) for lines in files.values())
        out_bucket, out_prefix = _split_s3_uri(description["TransformOutput"]["S3OutputPath"])
        for key, lines in files.items():
            answers = self._answers(description, key, lines, state)
            relative = (key[len(prefix) :] if key.startswith(prefix) else key.rsplit("/", 1)[-1]).lstrip("/")
            target = f"{out_prefix.rstrip('/')}/{relative}.out".lstrip("/")
            self._s3.put_object(Bucket=out_bucket, Key=target, Body=answers)

    def _lines(self, bucket: str, key: str, split_type: str) -> list[bytes]:
        body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if split_type != "Line":
            return [body]
        # SplitType Line: records end at "\n" only, as every JSON Lines reader of zstc agrees.
        return [
            line if line.endswith(b"\n") else line + b"\n"
            for line in binary_lines(io.BytesIO(body))
            if line.strip()
        ]

    def _answers(
        self, description: dict[str, Any], key: str, lines: list[bytes], state: TransformState
    ) -> bytes:
        content_type = description["TransformInput"].get("ContentType", "application/json")
        accept = description["TransformOutput"].get("Accept", content_type)
        assemble = description["TransformOutput"].get("AssembleWith", "None")
        retries = int(description.get("ModelClientConfig", {}).get("InvocationsMaxRetries", 0))
        max_payload = int(description.get("MaxPayloadInMB", 6)) * 1024 * 1024
        output = bytearray()
        first_record = 1
        for count, body in pack_records(lines, description.get("BatchStrategy", "MultiRecord"), max_payload):
            answer = self._invoke(
                body,
                content_type,
                accept,
                retries,
                f"{key} records {first_record}-{first_record + count - 1}",
            )
            output += answer
            if assemble == "Line" and not answer.endswith(b"\n"):
                output += b"\n"
            first_record += count
            state.records_done += count
        return bytes(output)

    def _invoke(self, body: bytes, content_type: str, accept: str, retries: int, where: str) -> bytes:
        for attempt in range(retries + 1):
            request = urllib.request.Request(
                f"{self._container_url}/invocations",
                data=body,
                method="POST",
                headers={"Content-Type": content_type, "Accept": accept},
            )
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    return bytes(response.read())
            except urllib.error.HTTPError as error:
                message = error.read().decode("utf-8", "replace")[:500]
                if error.code < 500 or attempt == retries:
                    raise TransformFailed(
                        f"ClientError: the model answered {error.code} for {where}: {message}"
                    ) from None
        raise AssertionError("unreachable")


def transform_state_change_event(
    name: str,
    status: str,
    *,
    failure_reason: str | None = None,
    description: Mapping[str, Any] | None = None,
    started_ms: int | None = None,
    ended_ms: int | None = None,
    epoch_millis: bool = True,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A "SageMaker Transform Job State Change" event as EventBridge delivers it.

    As in SageMaker's event, the detail is the job's DescribeTransformJob answer (``description``,
    when given) with the new status; times default to now and are epoch milliseconds, as SageMaker
    sends them, or ISO 8601 when ``epoch_millis`` is false. The runner puts these on the local bus;
    tests deliver them to process_results.
    """
    ended = int(time.time() * 1000) if ended_ms is None else ended_ms
    started = ended if started_ms is None else started_ms
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:transform-job/{name}"
    detail: dict[str, Any] = {
        "TransformJobName": name,
        "TransformJobArn": arn,
        "CreationTime": _stamp(ended, epoch_millis),
        **json.loads(json.dumps(description or {}, default=_epoch_ms)),
        "TransformJobStatus": status,
        "TransformStartTime": _stamp(started, epoch_millis),
        "TransformEndTime": _stamp(ended, epoch_millis),
    }
    detail.pop("ResponseMetadata", None)
    detail.pop("FailureReason", None)
    if failure_reason:
        detail["FailureReason"] = failure_reason
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "SageMaker Transform Job State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT_ID,
        "time": _iso_seconds(ended),
        "region": REGION,
        "resources": [detail["TransformJobArn"]],
        "detail": detail,
    }


def _stamp(epoch_ms: int, epoch_millis: bool) -> int | str:
    return epoch_ms if epoch_millis else _iso_seconds(epoch_ms)


def _iso_seconds(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    raise TypeError(f"cannot serialise {type(value).__name__}")
