"""start_batch on in-memory fakes: an upload after the one a job processed is never silently ignored."""

from __future__ import annotations

import json

import pytest

from tests.support.batch_services import LABELS, Batch, jsonl_lines
from zstc.batch import layout
from zstc.batch.start import LATER_UPLOADS_UNLISTED, UploadedObject
from zstc.contract.jobs import CreateJobRequest, JobStatus, JobView
from zstc.core import limits
from zstc.core.objects import ObjectInfo


@pytest.mark.parametrize("end", ["InProgress", "Completed", "Failed"])
def test_a_later_upload_to_a_job_past_awaiting_upload_is_noted_on_the_job_once(end: str) -> None:
    # Given a job whose first upload was processed (InProgress, then Completed or Failed)
    batch = Batch()
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = created.upload.key if created.upload else ""
    assert batch.upload(key, jsonl_lines(2)) == "started"
    if end != "InProgress":
        batch.answer_every_shard()
        batch.finish(JobStatus(end), reason="ClientError: broken" if end == "Failed" else None)
    processed = batch.jobs.get(created.job_id)
    assert processed.status == end
    assert processed.input_version == "v1"

    # When a second file is PUT to the same presigned URL (a new object version)
    outcome = batch.upload(key, jsonl_lines(5))

    # Then nothing new starts, the job still names the version it processed, and says the upload was ignored
    assert outcome == f"ignored: job is {end} with another upload"
    assert len(batch.transforms.started) == 1
    job: JobView = batch.jobs.get(created.job_id)
    assert job.status == end
    assert job.input_version == "v1"
    assert job.notes is not None
    [note] = job.notes
    assert "version v2" in note
    assert "was not processed" in note
    # And a duplicate delivery of that event adds no second note
    batch.start.handle(UploadedObject("fake-bucket", key))
    assert batch.jobs.get(created.job_id).notes == job.notes


def test_invalid_lines_reject_the_whole_file_and_start_nothing(batch: Batch) -> None:
    body = jsonl_lines(2) + b"not json\n" + b'{"inputs": "x"}\n'
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
    assert batch.upload("input/loose.jsonl", jsonl_lines(1)) == "rejected: layout"
    assert batch.objects.keys(layout.ERRORS_PREFIX + "unassigned/") != []


def test_a_duplicate_upload_event_starts_one_transform(batch: Batch) -> None:
    batch.objects.put("input/dupe/a.jsonl", jsonl_lines(3))
    upload = UploadedObject("fake-bucket", "input/dupe/a.jsonl")
    assert batch.start.handle(upload) == "started"
    assert batch.start.handle(upload) == "already started"
    assert len(batch.transforms.started) == 1


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
    outcome = batch.upload(key, jsonl_lines(2))
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


def test_the_upload_validated_is_the_version_the_job_records_even_if_the_key_is_written_again(
    batch: Batch,
) -> None:
    # Given a job's upload, and a second PUT to the same presigned URL landing right after start_batch
    # looked the first one up (S3 events arrive after the write, so the two can interleave)
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = f"input/{created.job_id}/input.jsonl"
    batch.objects.put(key, jsonl_lines(2))
    head = batch.objects.head

    def head_then_overwrite(name: str, version_id: str | None = None) -> ObjectInfo | None:
        found = head(name, version_id)
        batch.objects.put(key, jsonl_lines(5))
        return found

    batch.objects.head = head_then_overwrite  # type: ignore[method-assign,assignment]
    # When start_batch handles the first upload's event
    assert batch.start.handle(UploadedObject(batch.objects.bucket, key)) == "started"
    # Then it validated and staged the version it recorded (2 records), not the later one (5)
    job = batch.jobs.get(created.job_id)
    assert job.input_version == "v1"
    assert job.records == 2


def test_object_metadata_carries_the_shortlist_and_top_k_and_refuses_bad_ones(batch: Batch) -> None:
    # Given direct uploads whose metadata sets shortlist and top-k, as POST /jobs' fields would
    labels = ", ".join(f"intent {index}" for index in range(40))
    metadata = {"candidate-labels": labels, "shortlist": "8", "top-k": "3"}
    assert batch.upload("input/direct/many.csv", b"text\nmy card is lost\n", metadata) == "started"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/direct/many.csv"))
    assert job is not None
    assert job.parameters is not None
    # Then the job and every staged line carry them
    assert (job.parameters.shortlist, job.parameters.top_k) == (8, 3)
    [staged] = batch.objects.iter_lines(layout.shard_key(job.job_id, 0))
    assert json.loads(staged)["parameters"]["shortlist"] == 8
    # And "false" switches the shortlist off, while a value that is no size rejects the upload naming the key
    off = {"candidate-labels": labels, "shortlist": "false"}
    assert batch.upload("input/direct/off.csv", b"text\nx\n", off) == "started"
    for name, bad in (("shortlist", "many"), ("top-k", "0")):
        key = f"input/direct/bad-{name}.csv"
        assert batch.upload(key, b"text\nx\n", {"candidate-labels": labels, name: bad}).startswith("rejected")
        rejected = batch.store.get(layout.job_id_for_upload("fake-bucket", key))
        assert rejected is not None
        assert rejected.problems is not None
        assert any(f"object metadata {name}" in problem for problem in rejected.problems)


@pytest.mark.parametrize("end", ["Rejected", "Completed"])
def test_later_uploads_beyond_the_limit_leave_the_job_item_bounded(batch: Batch, end: str) -> None:
    # Given a job past its upload: Rejected (an empty text), or Completed
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = f"input/{created.job_id}/input.jsonl"
    if end == "Rejected":
        bad = b'{"inputs": "", "parameters": {"candidate_labels": ["a", "b"]}}\n'
        assert batch.upload(key, bad).startswith("rejected")
    else:
        assert batch.upload(key, jsonl_lines(2)) == "started"
        batch.answer_every_shard()
        batch.finish()
    # When the presigned URL is used for many more uploads than a job lists
    for _ in range(limits.MAX_REPORTED_PROBLEMS + 30):
        batch.upload(key, jsonl_lines(1))
    # Then the job lists at most the limit, the last line saying the rest are not listed
    job = batch.jobs.get(created.job_id)
    lines = (job.problems if end == "Rejected" else job.notes) or []
    assert len(lines) == limits.MAX_REPORTED_PROBLEMS
    assert lines[-1] == LATER_UPLOADS_UNLISTED
    assert job.status == end


def test_label_examples_in_object_metadata_reject_the_upload_saying_they_do_not_fit(batch: Batch) -> None:
    metadata = {"candidate-labels": "Finance, Health", "label-examples": '{"Finance": ["save more"]}'}
    assert batch.upload("input/direct/examples.csv", b"text\nsave more\n", metadata) == "rejected"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/direct/examples.csv"))
    assert job is not None
    assert job.problems is not None
    assert job.problems[0].startswith("object metadata label-examples: label examples do not fit")
    assert "POST /jobs" in job.problems[0]


@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_two_puts_before_their_events_run_the_version_each_event_names_and_note_the_other(
    batch: Batch, order: str
) -> None:
    # Given two files PUT to one presigned URL before S3 delivered either event (two versions)
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = f"input/{created.job_id}/input.jsonl"
    batch.objects.put(key, jsonl_lines(2))
    batch.objects.put(key, jsonl_lines(5))
    first, second = ("v1", "v2") if order == "in order" else ("v2", "v1")
    # When each event arrives, naming its own version
    assert batch.start.handle(UploadedObject(batch.objects.bucket, key, first)) == "started"
    outcome = batch.start.handle(UploadedObject(batch.objects.bucket, key, second))
    # Then the job ran the version of the first event, and the other one is a later upload noted on it
    assert outcome == "ignored: job is InProgress with another upload"
    job = batch.jobs.get(created.job_id)
    assert job.input_version == first
    assert job.records == (2 if first == "v1" else 5)
    assert job.notes is not None
    [note] = job.notes
    assert f"version {second})" in note
    assert f"with version {first}" in note
    assert len(batch.transforms.started) == 1
    # And duplicate deliveries of either event change nothing
    assert batch.start.handle(UploadedObject(batch.objects.bucket, key, first)) == "already started"
    batch.start.handle(UploadedObject(batch.objects.bucket, key, second))
    assert batch.jobs.get(created.job_id).notes == job.notes


def test_a_first_put_that_is_rejected_still_lists_a_second_put_within_the_event_delay(batch: Batch) -> None:
    # Given a bad file and then a good one PUT to one URL before either event arrived
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = f"input/{created.job_id}/input.jsonl"
    batch.objects.put(key, b"not json\n")
    batch.objects.put(key, jsonl_lines(2))
    # When the events arrive in order
    assert batch.start.handle(UploadedObject(batch.objects.bucket, key, "v1")) == "rejected"
    assert batch.start.handle(UploadedObject(batch.objects.bucket, key, "v2")) == "refused: job is Rejected"
    # Then the job is Rejected for the first file, and its problems say the second was not processed
    job = batch.jobs.get(created.job_id)
    assert job.status == JobStatus.REJECTED
    assert job.problems is not None
    assert job.problems[0].startswith("line 1: invalid JSON")
    assert "version v2" in job.problems[-1]


def test_an_event_for_a_version_deleted_since_is_ignored(batch: Batch) -> None:
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = f"input/{created.job_id}/input.jsonl"
    batch.objects.put(key, jsonl_lines(2))
    assert batch.start.handle(UploadedObject(batch.objects.bucket, key, "v9")) == "ignored: object deleted"
    assert batch.jobs.get(created.job_id).status == JobStatus.AWAITING_UPLOAD


def test_a_csv_job_with_label_examples_stages_them_with_every_record(batch: Batch) -> None:
    examples = {LABELS[0]: ["an example", "another example"]}
    created = batch.jobs.create(
        CreateJobRequest(format="csv", candidate_labels=LABELS, label_examples=examples)
    )
    key = created.upload.key if created.upload else ""
    assert batch.upload(key, b"text\nfirst\nsecond\n") == "started"
    staged = [json.loads(line) for line in batch.objects.iter_lines(layout.shard_key(created.job_id, 0))]
    assert [line["parameters"]["label_examples"] for line in staged] == [examples, examples]


def test_a_json_lines_record_with_examples_for_an_unknown_label_rejects_the_file_naming_the_line(
    batch: Batch,
) -> None:
    good = {"inputs": "x", "parameters": {"candidate_labels": ["a", "b"], "label_examples": {"a": ["ex"]}}}
    bad = {"inputs": "y", "parameters": {"candidate_labels": ["a", "b"], "label_examples": {"c": ["ex"]}}}
    body = (json.dumps(good) + "\n" + json.dumps(bad) + "\n").encode()
    assert batch.upload("input/examples/a.jsonl", body) == "rejected"
    job = batch.store.get(layout.job_id_for_upload("fake-bucket", "input/examples/a.jsonl"))
    assert job is not None
    assert job.problems == [
        'line 2: parameters.label_examples: label_examples has "c", which is not one of candidate_labels'
    ]
