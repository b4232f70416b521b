"""No job is ever stuck; one bad record does not sink a batch; job items stay bounded.

Fault injection: a clean run of start_batch and of process_results is recorded as the sequence of
calls the logic makes at its edges (JobStore, ObjectStore, TransformRunner). Then, for every step k
of that sequence, a fresh run raises at step k (once, or at k and every later call of the same
operation), delivered as Lambda delivers it (up to 1 + MaximumRetryAttempts attempts). Every run
must leave the job terminal (or InProgress with its transform started), with no record text in
the job or the logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.batch_services import FOREVER, LABELS, SETTINGS
from tests.support.fakes import FakeJobStore, FakeObjectStore, FakeTransformRunner
from zstc.batch import layout
from zstc.batch.interfaces import TransformFinished
from zstc.batch.items import JobChanges, JobItem
from zstc.batch.jobs import JobsService
from zstc.batch.results import ProcessResults, bounded_histogram
from zstc.batch.start import StartBatch, UploadedObject
from zstc.contract.jobs import TERMINAL_JOB_STATUSES, CreateJobRequest, JobStatus
from zstc.core import limits

SECRET = "confidential-record-text"
LAMBDA_ATTEMPTS = 3  # template.yaml: MaximumRetryAttempts 2 on both functions


class InjectedFault(RuntimeError):
    """The fault a test injects (its message quotes record text, as a real error might)."""


class Faults:
    """Counts calls through :class:`Faulty` wrappers and raises at the chosen step."""

    def __init__(self, fail_at: int | None = None, persistent: bool = False) -> None:
        self.fail_at = fail_at
        self.persistent = persistent
        self.steps: list[str] = []
        self.failing: str | None = None

    def call(self, step: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.steps.append(step)
        if len(self.steps) == self.fail_at or (self.persistent and step == self.failing):
            self.failing = step
            raise InjectedFault(f"{step} failed on {SECRET}")
        return function(*args, **kwargs)


class Faulty:
    """Wraps one fake: every method call is a step of :class:`Faults`."""

    def __init__(self, target: Any, name: str, faults: Faults) -> None:
        self._target, self._name, self._faults = target, name, faults

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._target, attribute)
        if not callable(value):
            return value
        return lambda *args, **kwargs: self._faults.call(f"{self._name}.{attribute}", value, *args, **kwargs)


class Harness:
    """start_batch and process_results over fakes, with faults injected between logic and fakes."""

    def __init__(self) -> None:
        self.store = FakeJobStore()
        self.objects = FakeObjectStore()
        self.transforms = FakeTransformRunner()

    def wired(self, faults: Faults) -> tuple[StartBatch, ProcessResults]:
        store, objects = Faulty(self.store, "jobs", faults), Faulty(self.objects, "objects", faults)
        start = StartBatch(SETTINGS, store, objects, Faulty(self.transforms, "transforms", faults))
        results = ProcessResults(SETTINGS, store, objects, continue_later=lambda job_id: None)
        return start, results

    def create_and_upload(self, records: int) -> tuple[str, str]:
        view = JobsService(SETTINGS, self.store, self.objects).create(
            CreateJobRequest(format="jsonl", candidate_labels=LABELS)
        )
        assert view.upload is not None
        body = "".join(json.dumps({"id": i, "inputs": f"{SECRET} {i}"}) + "\n" for i in range(records))
        self.objects.put(view.upload.key, body.encode())
        return view.job_id, view.upload.key

    def answer(self, job_id: str, fail: Callable[[int], bool] = lambda position: False) -> TransformFinished:
        """The model's output for every shard; records where ``fail(position)`` get an error answer."""
        job = self.job(job_id)
        [name] = [n for n, j in self.transforms.started.items() if j == job_id]
        position = 0
        for index in range(len(job.shard_sizes or [])):
            lines = []
            for raw in self.objects.iter_lines(layout.shard_key(job_id, index)):
                staged = json.loads(raw)
                labels = staged["parameters"]["candidate_labels"]
                if fail(position):
                    answer = {
                        "id": staged["id"],
                        "error": {"code": "record_failed", "message": "IndexError: x"},
                    }
                else:
                    scores = [0.6] + [0.4 / (len(labels) - 1)] * (len(labels) - 1)
                    answer = {
                        "id": staged["id"],
                        "sequence": staged["inputs"],
                        "labels": labels,
                        "scores": scores,
                    }
                lines.append(json.dumps(answer))
                position += 1
            self.objects.put(layout.output_key(job_id, index), ("\n".join(lines) + "\n").encode())
        return TransformFinished(job_id, name, JobStatus.COMPLETED, None, "2026-11-29T00:00:00.000Z")

    def job(self, job_id: str) -> JobItem:
        job = self.store.get(job_id)
        assert job is not None
        return job


def as_lambda(deliver: Callable[[], str]) -> str:
    """Deliver an event as asynchronous Lambda does: retried while the handler raises."""
    for attempt in range(LAMBDA_ATTEMPTS):
        try:
            return deliver()
        except InjectedFault:
            if attempt == LAMBDA_ATTEMPTS - 1:
                return "dead-letter queue"
    raise AssertionError("unreachable")


@pytest.fixture(autouse=True)
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "SHARD_MAX_RECORDS", 3)  # 7 records: three shards


def _clean_steps(stage: str) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "SHARD_MAX_RECORDS", 3)
        return _record_steps(stage)


def _record_steps(stage: str) -> list[str]:
    harness = Harness()
    job_id, key = harness.create_and_upload(7)
    faults = Faults()
    start, results = harness.wired(faults)
    assert start.handle(UploadedObject(harness.objects.bucket, key)) == "started"
    if stage == "start":
        return faults.steps
    faults.steps.clear()
    assert results.handle_finished(harness.answer(job_id), lambda: FOREVER) == "completed"
    return faults.steps


START_STEPS = _clean_steps("start")
RESULTS_STEPS = _clean_steps("results")


def _assert_not_stuck(harness: Harness, job_id: str, logs: str) -> JobItem:
    job = harness.job(job_id)
    if job.status == JobStatus.IN_PROGRESS:
        assert job_id in harness.transforms.started.values(), "InProgress without a transform job"
    else:
        assert job.status in TERMINAL_JOB_STATUSES, job.status
    assert SECRET not in job.model_dump_json()
    assert SECRET not in logs
    return job


@pytest.mark.parametrize("persistent", [False, True], ids=["once", "persistent"])
@pytest.mark.parametrize("step", range(1, len(START_STEPS) + 1), ids=lambda k: f"{k}:{START_STEPS[k - 1]}")
def test_a_fault_at_any_step_of_start_batch_leaves_no_job_stuck(
    step: int, persistent: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = Harness()
    job_id, key = harness.create_and_upload(7)
    faults = Faults(fail_at=step, persistent=persistent)
    start, _ = harness.wired(faults)
    outcome = as_lambda(lambda: start.handle(UploadedObject(harness.objects.bucket, key)))
    if persistent and str(faults.failing).startswith("jobs.") and outcome == "dead-letter queue":
        # The job store refuses every call: nothing can record the failure (see README, Guarantees).
        assert harness.job(job_id).status in {JobStatus.AWAITING_UPLOAD, JobStatus.VALIDATING}
        return
    job = _assert_not_stuck(harness, job_id, capsys.readouterr().out)
    if job.status == JobStatus.FAILED:
        assert job.failure_reason is not None
        assert "internal error while validating the upload (InjectedFault)" in job.failure_reason


@pytest.mark.parametrize("persistent", [False, True], ids=["once", "persistent"])
@pytest.mark.parametrize(
    "step", range(1, len(RESULTS_STEPS) + 1), ids=lambda k: f"{k}:{RESULTS_STEPS[k - 1]}"
)
def test_a_fault_at_any_step_of_process_results_leaves_no_job_stuck(
    step: int, persistent: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = Harness()
    job_id, key = harness.create_and_upload(7)
    start, _ = harness.wired(Faults())
    assert start.handle(UploadedObject(harness.objects.bucket, key)) == "started"
    finished = harness.answer(job_id)
    faults = Faults(fail_at=step, persistent=persistent)
    _, results = harness.wired(faults)
    outcome = as_lambda(lambda: results.handle_finished(finished, lambda: FOREVER))
    if persistent and str(faults.failing).startswith("jobs.") and outcome == "dead-letter queue":
        assert harness.job(job_id).status == JobStatus.IN_PROGRESS  # the job store refuses every call
        return
    job = _assert_not_stuck(harness, job_id, capsys.readouterr().out)
    assert job.status in {JobStatus.COMPLETED, JobStatus.FAILED}
    if job.status == JobStatus.COMPLETED:  # never silently short of results
        assert job.results_written == 7
        assert len(harness.store.results[job_id]) == 7
        assert sum(job.label_histogram.values()) == 7
    else:
        assert job.failure_reason is not None
        assert "(InjectedFault)" in job.failure_reason


def test_the_injection_points_cover_every_edge_operation() -> None:
    # start_batch: head, get, update (claim), open, put (shards), transforms.start, update (InProgress)
    assert {
        "objects.head",
        "jobs.get",
        "jobs.update",
        "objects.open",
        "objects.put",
        "transforms.start",
    } <= set(START_STEPS)
    # process_results: get, update, iter_lines (staged, output), put_results, put (parts), concatenate
    assert {"jobs.get", "jobs.update", "objects.iter_lines", "jobs.put_results", "objects.put"} <= set(
        RESULTS_STEPS
    )
    assert "objects.concatenate" in RESULTS_STEPS
    assert len(START_STEPS) + len(RESULTS_STEPS) >= 30


# --- one bad record does not sink a batch --------------------------------------------------------


def test_records_the_model_could_not_score_are_stored_with_their_reason() -> None:
    harness = Harness()
    job_id, key = harness.create_and_upload(7)
    start, results = harness.wired(Faults())
    start.handle(UploadedObject(harness.objects.bucket, key))
    harness.store.update(job_id, JobChanges(max_failed_share=0.5))
    outcome = results.handle_finished(harness.answer(job_id, fail=lambda p: p in {1, 5}), lambda: FOREVER)
    assert outcome == "completed"
    job = harness.job(job_id)
    assert (job.status, job.results_written, job.records_failed) == (JobStatus.COMPLETED, 7, 2)
    assert sum(job.label_histogram.values()) == 5
    page = JobsService(SETTINGS, harness.store, harness.objects).results(job_id, 10, None)
    failed = [result for result in page.results if result.error is not None]
    assert [(r.position, r.error, r.top_label, r.labels) for r in failed] == [
        (1, "IndexError: x", None, []),
        (5, "IndexError: x", None, []),
    ]
    csv_rows = harness.objects.objects[layout.results_key(job_id)].data.decode().splitlines()
    assert csv_rows[0].endswith(",error")
    assert csv_rows[2].endswith(",IndexError: x")


def test_a_job_whose_failed_share_exceeds_its_limit_ends_failed_and_serves_nothing() -> None:
    harness = Harness()
    job_id, key = harness.create_and_upload(7)
    start, results = harness.wired(Faults())
    start.handle(UploadedObject(harness.objects.bucket, key))
    assert harness.job(job_id).max_failed_share == limits.DEFAULT_MAX_FAILED_SHARE
    # 1 of 7 is 14%, above the default 10%
    outcome = results.handle_finished(harness.answer(job_id, fail=lambda p: p == 0), lambda: FOREVER)
    assert outcome == "failed: too many failed records"
    job = harness.job(job_id)
    assert job.status == JobStatus.FAILED
    assert job.failure_reason is not None
    assert "1 of 7 records failed at the model" in job.failure_reason
    assert "max_failed_share of 0.1" in job.failure_reason
    assert harness.store.results.get(job_id) is None


# --- job items stay bounded ------------------------------------------------------------------------


def test_the_label_histogram_keeps_the_top_labels_and_sums_the_rest() -> None:
    from collections import Counter  # noqa: PLC0415

    counts = Counter({f"label {i:04d} " + "x" * 90: 1 + (i % 7) for i in range(4_200)})
    bounded = bounded_histogram(counts)
    assert len(bounded) == limits.MAX_HISTOGRAM_LABELS + 1
    assert sum(bounded.values()) == sum(counts.values())
    assert min(v for k, v in bounded.items() if k != limits.HISTOGRAM_OTHER_KEY) == 7
    # Folding again (the next shard) keeps the sum
    again = bounded_histogram(Counter(bounded) + Counter({"new label": 3}))
    assert sum(again.values()) == sum(counts.values()) + 3
    assert len(again) <= limits.MAX_HISTOGRAM_LABELS + 1
    assert bounded_histogram(Counter({"a": 2})) == {"a": 2}
