"""process_results (zstc.batch.results): outputs checked against their requests, stored, summarised."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.support.batch_services import FOREVER, LABELS, Batch, jsonl_lines
from zstc.batch import layout
from zstc.batch.interfaces import TransformFinished
from zstc.batch.items import ABSTAINED
from zstc.contract.jobs import CreateJobRequest, JobStatus
from zstc.contract.results import RESULTS_CSV_COLUMNS
from zstc.core import limits


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


def test_a_record_that_misses_its_output_fails_the_job(batch: Batch) -> None:
    assert batch.upload("input/j/a.jsonl", jsonl_lines(3)) == "started"
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
    assert batch.upload("input/j/a.jsonl", jsonl_lines(1)) == "started"
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
    assert batch.upload("input/j/a.jsonl", jsonl_lines(3)) == "started"
    batch.answer_every_shard()
    assert batch.finish() == "completed"
    assert batch.finish() == "duplicate"
    [(_, job_id)] = batch.transforms.started.items()
    assert len(batch.store.results[job_id]) == 3


def test_a_large_job_hands_over_before_the_timeout_and_resumes(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "SHARD_MAX_RECORDS", 2)
    assert batch.upload("input/j/a.jsonl", jsonl_lines(5)) == "started"
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


def test_records_with_shortlists_of_different_sizes_keep_each_their_own(batch: Batch) -> None:
    # Given a JSON Lines job of 40 labels, past the default shortlist's threshold, and a model that
    # scored a different number of them for each record (its default shortlist is sized per text)
    labels = [f"intent {index}" for index in range(40)]
    sizes = {"r0": 12, "r1": 20, "r2": limits.DEFAULT_SHORTLIST_MAX_K}
    lines = [
        json.dumps({"id": rid, "inputs": f"text {rid}", "parameters": {"candidate_labels": labels}})
        for rid in sizes
    ]
    assert batch.upload("input/many/a.jsonl", ("\n".join(lines) + "\n").encode()) == "started"

    def shortlisted(answer: dict[str, Any]) -> dict[str, Any]:
        k = sizes[answer["id"]]
        return {**answer, "scores": [1.0 / k] * k + [0.0] * (len(labels) - k), "shortlist": labels[:k]}

    batch.answer_every_shard(transform=shortlisted)
    # When the transform completes
    assert batch.finish() == "completed"
    [(_, job_id)] = batch.transforms.started.items()
    # Then each result, and each row of results.csv, names the labels the model scored for that record
    page = batch.jobs.results(job_id, limit=10, next_token=None)
    assert [r.shortlist for r in page.results] == [labels[:k] for k in sizes.values()]
    rows = list(csv.DictReader(io.StringIO(batch.objects.objects[layout.results_key(job_id)].data.decode())))
    assert [json.loads(row["shortlist"]) for row in rows] == [labels[:k] for k in sizes.values()]
