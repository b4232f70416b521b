"""The batch logic (jobs API, start_batch, process_results) on in-memory fakes of its interfaces.

Fast and network-free; the same paths run against a real moto server in tests/integration/test_batch.py.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, get_args

import pytest

from tests.support.fakes import FakeJobStore, FakeObjectStore, FakeTransformRunner
from zstc.batch import layout
from zstc.batch.formats import READERS
from zstc.batch.interfaces import TransformFinished
from zstc.batch.items import ABSTAINED
from zstc.batch.jobs import JobsService, encode_token
from zstc.batch.results import ProcessResults
from zstc.batch.start import StartBatch, UploadedObject
from zstc.contract.batch_input import INPUT_FILE_FORMATS, InputFormatName, format_for_filename
from zstc.contract.jobs import CreateJobRequest, JobStatus
from zstc.contract.results import RESULTS_CSV_COLUMNS
from zstc.core import limits
from zstc.core.errors import ConflictError, InvalidRequestError, NotFoundError
from zstc.core.settings import BatchSettings

SETTINGS = BatchSettings.from_env(
    {"JOBS_TABLE": "jobs", "DATA_BUCKET": "fake-bucket", "TRANSFORM_MODEL_NAME": "m"}
)
LABELS = ["Health", "Finance", "Career"]
FOREVER = 10**9


class Batch:
    """The three pieces of batch logic wired to one set of fakes."""

    def __init__(self) -> None:
        self.store = FakeJobStore()
        self.objects = FakeObjectStore()
        self.transforms = FakeTransformRunner()
        self.resumed: list[str] = []
        self.jobs = JobsService(SETTINGS, self.store, self.objects)
        self.start = StartBatch(SETTINGS, self.store, self.objects, self.transforms)
        self.results = ProcessResults(SETTINGS, self.store, self.objects, continue_later=self.resumed.append)

    def upload(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> str:
        self.objects.put(key, data, metadata=metadata)
        return self.start.handle(UploadedObject(self.objects.bucket, key))

    def answer_every_shard(self, transform: Any = None) -> str:
        """Write the transform output a model would (the first label wins), return the transform name."""
        [(name, job_id)] = self.transforms.started.items()
        job = self.store.get(job_id)
        assert job is not None
        assert job.shard_sizes is not None
        for index in range(len(job.shard_sizes)):
            lines = []
            for raw in self.objects.iter_lines(layout.shard_key(job_id, index)):
                staged = json.loads(raw)
                labels = staged["parameters"]["candidate_labels"]
                scores = [0.5 + 0.5 / len(labels)] + [0.5 / len(labels)] * (len(labels) - 1)
                answer = {
                    "id": staged["id"],
                    "sequence": staged["inputs"],
                    "labels": labels,
                    "scores": scores,
                }
                lines.append(json.dumps(transform(answer) if transform else answer))
            self.objects.put(layout.output_key(job_id, index), ("\n".join(lines) + "\n").encode())
        return name

    def finish(self, status: JobStatus = JobStatus.COMPLETED, reason: str | None = None) -> str:
        [(name, job_id)] = self.transforms.started.items()
        finished = TransformFinished(job_id, name, status, reason, "2026-11-29T00:00:00.000Z")
        return self.results.handle_finished(finished, lambda: FOREVER)


def _jsonl(count: int) -> bytes:
    lines = [
        json.dumps({"id": f"r{i}", "inputs": f"text {i}", "parameters": {"candidate_labels": LABELS}})
        for i in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def batch() -> Batch:
    return Batch()


def test_the_format_table_and_its_names_agree() -> None:
    assert set(get_args(InputFormatName)) == set(INPUT_FILE_FORMATS) == set(READERS)
    assert format_for_filename("Tweets.CSV") is INPUT_FILE_FORMATS["csv"]
    assert format_for_filename("a.jsonl") is INPUT_FILE_FORMATS["jsonl"]
    assert format_for_filename("a.txt") is None


def test_created_job_awaits_its_upload_with_a_presigned_url(batch: Batch) -> None:
    view = batch.jobs.create(CreateJobRequest(format="csv", candidate_labels=LABELS, id_column="id"))
    assert view.status == JobStatus.AWAITING_UPLOAD
    assert view.upload is not None
    assert view.upload.key == layout.input_key(view.job_id, "input.csv")
    assert view.upload.expires_in_seconds == limits.UPLOAD_URL_EXPIRY_SECONDS
    job = batch.store.get(view.job_id)
    assert job is not None
    assert job.parameters is not None
    assert job.parameters.candidate_labels == LABELS
    assert job.expires_at is not None


def test_a_csv_job_runs_from_upload_to_paged_results(batch: Batch) -> None:
    # Given a job created through the API and its CSV uploaded to the presigned key
    view = batch.jobs.create(CreateJobRequest(format="csv", candidate_labels=LABELS, id_column="id"))
    assert view.upload is not None
    csv_body = "id,text\n" + "".join(f"t{i},resolution {i}\n" for i in range(5))
    # When start_batch handles it and the transform job completes
    assert batch.upload(view.upload.key, csv_body.encode()) == "started"
    batch.answer_every_shard()
    assert batch.finish() == "completed"
    # Then every record has a result, in input order, served page by page
    first = batch.jobs.results(view.job_id, limit=2, next_token=None)
    assert [r.record_id for r in first.results] == ["t0", "t1"]
    assert first.next_token is not None
    rest = batch.jobs.results(view.job_id, limit=10, next_token=first.next_token)
    assert [r.record_id for r in rest.results] == ["t2", "t3", "t4"]
    job = batch.jobs.get(view.job_id)
    assert (job.status, job.records, job.results_written, job.label_histogram) == (
        JobStatus.COMPLETED,
        5,
        5,
        {"Health": 5},
    )
    rows = list(csv.reader(io.StringIO(batch.objects.objects[layout.results_key(view.job_id)].data.decode())))
    assert tuple(rows[0]) == RESULTS_CSV_COLUMNS
    assert [row[:3] for row in rows[1:3]] == [["0", "t0", "resolution 0"], ["1", "t1", "resolution 1"]]


def test_invalid_lines_reject_the_whole_file_and_start_nothing(batch: Batch) -> None:
    body = _jsonl(2) + b"not json\n" + b'{"inputs": "x"}\n'
    assert batch.upload("input/bad/a.jsonl", body) == "rejected"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/bad/a.jsonl"))
    assert job is not None
    assert job.problems is not None
    assert job.status == JobStatus.REJECTED
    assert job.problems[0].startswith("line 3: invalid JSON")
    assert job.problems[1] == "line 4: parameters missing and the job has no candidate_labels"
    assert batch.transforms.started == {}
    assert batch.objects.keys(layout.STAGING_PREFIX) == []
    assert batch.objects.keys(layout.errors_key(job.job_id)) == [layout.errors_key(job.job_id)]


@pytest.mark.parametrize(
    ("key", "data", "problem"),
    [
        ("input/x/a.txt", b"hello", "unsupported file type .txt; use .jsonl or .csv"),
        ("input/x/a.jsonl", b"", "the file is empty (0 bytes)"),
        ("input/x/a.jsonl", b"\n\n", "the file has no records"),
    ],
)
def test_unusable_uploads_are_rejected_with_a_reason(
    batch: Batch, key: str, data: bytes, problem: str
) -> None:
    assert batch.upload(key, data) == "rejected"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", key))
    assert job is not None
    assert job.problems == [problem]


def test_object_metadata_gives_the_options_of_a_direct_upload(batch: Batch) -> None:
    csv_body = b"text\nsave more\n"
    outcome = batch.upload("input/direct/a.csv", csv_body, {"candidate-labels": '["Finance", "Health"]'})
    assert outcome == "started"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/direct/a.csv"))
    assert job is not None
    assert job.parameters is not None
    assert (job.source, job.parameters.candidate_labels) == ("s3-upload", ["Finance", "Health"])


def test_bad_object_metadata_rejects_the_upload(batch: Batch) -> None:
    assert batch.upload("input/direct/a.csv", b"text\nx\n", {"multi-label": "maybe"}) == "rejected"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/direct/a.csv"))
    assert job is not None
    assert job.problems is not None
    assert job.problems[0] == "object metadata multi-label: Input should be a valid boolean"  # names the key


def test_upload_outside_the_layout_leaves_a_report(batch: Batch) -> None:
    assert batch.upload("input/loose.jsonl", _jsonl(1)) == "rejected: layout"
    assert batch.objects.keys(layout.ERRORS_PREFIX + "unassigned/") != []


def test_a_duplicate_upload_event_starts_one_transform(batch: Batch) -> None:
    batch.objects.put("input/dupe/a.jsonl", _jsonl(3))
    upload = UploadedObject("fake-bucket", "input/dupe/a.jsonl")
    assert batch.start.handle(upload) == "started"
    assert batch.start.handle(upload) == "already started"
    assert len(batch.transforms.started) == 1


def test_a_record_that_misses_its_output_fails_the_job(batch: Batch) -> None:
    assert batch.upload("input/j/a.jsonl", _jsonl(3)) == "started"
    batch.answer_every_shard(transform=lambda answer: {**answer, "labels": ["Other"] * 3})
    assert batch.finish() == "failed: invalid output"
    [(_, job_id)] = batch.transforms.started.items()
    job = batch.store.get(job_id)
    assert job is not None
    assert job.failure_reason is not None
    assert job.status == JobStatus.FAILED
    assert "does not score exactly the candidate labels" in job.failure_reason
    assert batch.store.results == {}


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.STOPPED])
def test_a_failed_or_stopped_transform_ends_the_job_with_its_reason(batch: Batch, status: JobStatus) -> None:
    assert batch.upload("input/j/a.jsonl", _jsonl(1)) == "started"
    assert batch.finish(status, "ClientError: boom") == f"marked {status.value}"
    assert batch.finish(status, "ClientError: boom") == "duplicate"
    [(name, job_id)] = batch.transforms.started.items()
    job = batch.store.get(job_id)
    assert job is not None
    assert (job.status, job.failure_reason) == (
        status,
        f"transform job {name} {status.value.lower()}: ClientError: boom",
    )


def test_a_duplicate_completion_writes_nothing_twice(batch: Batch) -> None:
    assert batch.upload("input/j/a.jsonl", _jsonl(3)) == "started"
    batch.answer_every_shard()
    assert batch.finish() == "completed"
    assert batch.finish() == "duplicate"
    [(_, job_id)] = batch.transforms.started.items()
    assert len(batch.store.results[job_id]) == 3


def test_a_large_job_hands_over_before_the_timeout_and_resumes(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "SHARD_MAX_RECORDS", 2)
    assert batch.upload("input/j/a.jsonl", _jsonl(5)) == "started"
    batch.answer_every_shard()
    [(name, job_id)] = batch.transforms.started.items()
    clock = iter([FOREVER, 0])
    finished = TransformFinished(job_id, name, JobStatus.COMPLETED)
    assert batch.results.handle_finished(finished, lambda: next(clock)) == "continued later from shard 1"
    assert batch.resumed == [job_id]
    assert batch.results.ingest(job_id, lambda: FOREVER) == "completed"
    assert sorted(batch.store.results[job_id]) == [0, 1, 2, 3, 4]


def test_events_for_unknown_jobs_or_other_states_are_ignored(batch: Batch) -> None:
    assert (
        batch.results.handle_finished(None, lambda: FOREVER) == "ignored: not the end of a zstc transform job"
    )
    unknown = TransformFinished("abcdef123456", "zstc-abcdef123456-000000000000", JobStatus.COMPLETED)
    assert batch.results.handle_finished(unknown, lambda: FOREVER) == "ignored: unknown job"


def test_results_are_served_only_for_completed_jobs_and_tokens_are_checked(batch: Batch) -> None:
    with pytest.raises(NotFoundError):
        batch.jobs.get("nosuchjob1")
    with pytest.raises(NotFoundError):
        batch.jobs.get("../etc")
    view = batch.jobs.create(CreateJobRequest(format="jsonl"))
    with pytest.raises(ConflictError):
        batch.jobs.results(view.job_id, limit=10, next_token=None)
    with pytest.raises(InvalidRequestError, match="not a token this API issued"):
        batch.jobs.results(view.job_id, limit=10, next_token="%%%")
    with pytest.raises(InvalidRequestError, match="issued for a listing with status"):
        batch.jobs.list(None, limit=10, next_token=encode_token({"listing": "x", "offset": 1}))


def test_a_results_token_of_another_job_is_refused(batch: Batch) -> None:
    for key in ("input/a/a.jsonl", "input/b/b.jsonl"):
        batch.transforms.started.clear()
        assert batch.upload(key, _jsonl(3)) == "started"
        batch.answer_every_shard()
        assert batch.finish() == "completed"
    job_a = layout.job_id_for_upload("fake-bucket", "input/a/a.jsonl")
    job_b = layout.job_id_for_upload("fake-bucket", "input/b/b.jsonl")
    page = batch.jobs.results(job_a, limit=1, next_token=None)
    with pytest.raises(InvalidRequestError, match="belongs to another job"):
        batch.jobs.results(job_b, limit=1, next_token=page.next_token)


def test_jobs_are_listed_newest_first_by_status(batch: Batch) -> None:
    created = [batch.jobs.create(CreateJobRequest(format="jsonl")).job_id for _ in range(3)]
    page = batch.jobs.list(JobStatus.AWAITING_UPLOAD, limit=2, next_token=None)
    assert len(page.jobs) == 2
    rest = batch.jobs.list(JobStatus.AWAITING_UPLOAD, limit=2, next_token=page.next_token)
    assert sorted(job.job_id for job in page.jobs + rest.jobs) == sorted(created)
    assert [job.job_id for job in batch.jobs.list(None, limit=5, next_token=None).jobs] != []


def test_a_new_upload_to_a_rejected_job_is_refused_and_the_job_says_so(batch: Batch) -> None:
    # Given a job whose first upload was rejected
    key = "input/fixme/a.jsonl"
    assert batch.upload(key, b"not json\n") == "rejected"
    job_id = layout.job_id_for_upload("fake-bucket", key)
    first = batch.store.get(job_id)
    assert first is not None
    assert first.problems is not None
    original = list(first.problems)
    # When a corrected file is uploaded to the same place (a new object version)
    outcome = batch.upload(key, _jsonl(2))
    # Then nothing is validated or started, and the job and its report keep the original problems
    # and add one that says the upload was not processed and what to do instead
    assert outcome == "refused: job is Rejected"
    assert batch.transforms.started == {}
    job = batch.store.get(job_id)
    assert job is not None
    assert job.status == JobStatus.REJECTED
    assert job.problems is not None
    assert job.problems[: len(original)] == original
    assert "was not processed: a Rejected job is final; create a new job" in job.problems[-1]
    report = json.loads(batch.objects.objects[layout.errors_key(job_id)].data)
    assert report["problems"] == job.problems
    # and a duplicate delivery of that event adds nothing more
    assert batch.start.handle(UploadedObject("fake-bucket", key)) == "already rejected"
    again = batch.store.get(job_id)
    assert again is not None
    assert again.problems == job.problems


def test_a_duplicate_event_for_the_rejected_upload_changes_nothing(batch: Batch) -> None:
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = created.upload.key if created.upload else ""
    assert batch.upload(key, b'{"inputs": ""}\n') == "rejected"
    job = batch.store.get(created.job_id)
    assert job is not None
    assert batch.start.handle(UploadedObject("fake-bucket", key)) == "already rejected"
    assert batch.store.get(created.job_id) == job


def test_steering_options_reach_the_results_and_abstentions_are_counted(batch: Batch) -> None:
    # Given a job whose records ask for a threshold and evidence
    options = {"candidate_labels": LABELS, "threshold": 0.6, "return_evidence": True}
    lines = [json.dumps({"id": f"r{i}", "inputs": f"text {i}", "parameters": options}) for i in range(3)]
    assert batch.upload("input/steer/a.jsonl", ("\n".join(lines) + "\n").encode()) == "started"

    def with_extras(answer: dict[str, Any]) -> dict[str, Any]:
        # the first record reaches the threshold, the others abstain
        top = 0.7 if answer["id"] == "r0" else 0.5
        scores = [top, (1 - top) / 2, (1 - top) / 2]
        evidence = [
            {"label": label, "start": 0, "end": len(answer["sequence"]), "score": s}
            for label, s in zip(answer["labels"], scores, strict=True)
        ]
        predicted = [answer["labels"][0]] if top >= 0.6 else []
        return {**answer, "scores": scores, "predicted_labels": predicted, "windows": 1, "evidence": evidence}

    batch.answer_every_shard(transform=with_extras)
    # When the transform completes
    assert batch.finish() == "completed"
    [(_, job_id)] = batch.transforms.started.items()
    # Then results carry predicted labels and evidence, and the histogram counts the abstentions
    page = batch.jobs.results(job_id, limit=10, next_token=None)
    assert [r.predicted_labels for r in page.results] == [["Health"], [], []]
    assert all(r.evidence is not None and len(r.evidence) == len(LABELS) for r in page.results)
    job = batch.store.get(job_id)
    assert job is not None
    assert job.label_histogram == {"Health": 1, ABSTAINED: 2}
    rows = list(csv.DictReader(io.StringIO(batch.objects.objects[layout.results_key(job_id)].data.decode())))
    assert [json.loads(row["predicted_labels"]) for row in rows] == [["Health"], [], []]
    assert [len(json.loads(row["evidence"])) for row in rows] == [len(LABELS)] * 3
    assert [row["windows"] for row in rows] == ["1"] * 3


def test_an_answer_breaking_the_threshold_rule_fails_the_job(batch: Batch) -> None:
    options = {"candidate_labels": LABELS, "threshold": 0.6}
    line = json.dumps({"id": "r0", "inputs": "text", "parameters": options})
    assert batch.upload("input/steer/b.jsonl", (line + "\n").encode()) == "started"
    batch.answer_every_shard(transform=lambda answer: {**answer, "predicted_labels": ["Career"]})
    assert batch.finish() == "failed: invalid output"


def test_object_metadata_carries_the_steering_options(batch: Batch) -> None:
    metadata = {
        "candidate-labels": "Finance, Health",
        "label-descriptions": '{"Finance": "money and debt"}',
        "hypothesis-template": '["This text is about {}.", "The topic is {}."]',
        "threshold": "0.4",
        "return-evidence": "true",
    }
    assert batch.upload("input/direct/steer.csv", b"text\nsave more\n", metadata) == "started"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/direct/steer.csv"))
    assert job is not None
    assert job.parameters is not None
    assert job.parameters.label_descriptions == {"Finance": "money and debt"}
    assert job.parameters.templates == ["This text is about {}.", "The topic is {}."]
    assert (job.parameters.threshold, job.parameters.return_evidence) == (0.4, True)
    [staged] = batch.objects.iter_lines(layout.shard_key(job.job_id, 0))
    assert json.loads(staged)["parameters"]["threshold"] == 0.4


def test_object_metadata_sets_the_failed_share_and_refuses_a_bad_one(batch: Batch) -> None:
    metadata = {"candidate-labels": "Finance, Health", "max-failed-share": "0.25"}
    assert batch.upload("input/direct/share.csv", b"text\nsave more\n", metadata) == "started"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/direct/share.csv"))
    assert job is not None
    assert job.max_failed_share == 0.25
    # a share outside 0-1 rejects the file with a problem naming the metadata
    bad = {"candidate-labels": "Finance, Health", "max-failed-share": "2"}
    assert batch.upload("input/direct/bad-share.csv", b"text\nsave more\n", bad) == "rejected"
    rejected = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/direct/bad-share.csv"))
    assert rejected is not None
    assert rejected.status == "Rejected"
    assert rejected.problems is not None
    assert rejected.problems[0] == "object metadata max-failed-share: Input should be less than or equal to 1"
