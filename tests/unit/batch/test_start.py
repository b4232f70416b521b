"""start_batch on in-memory fakes: an upload after the one a job processed is never silently ignored."""

from __future__ import annotations

import pytest

from tests.unit.test_batch_logic import LABELS, Batch, _jsonl
from zstc.batch.start import UploadedObject
from zstc.contract.jobs import CreateJobRequest, JobStatus, JobView


@pytest.mark.parametrize("end", ["InProgress", "Completed", "Failed"])
def test_a_later_upload_to_a_job_past_awaiting_upload_is_noted_on_the_job_once(end: str) -> None:
    # Given a job whose first upload was processed (InProgress, then Completed or Failed)
    batch = Batch()
    created = batch.jobs.create(CreateJobRequest(format="jsonl", candidate_labels=LABELS))
    key = created.upload.key if created.upload else ""
    assert batch.upload(key, _jsonl(2)) == "started"
    if end != "InProgress":
        batch.answer_every_shard()
        batch.finish(JobStatus(end), reason="ClientError: broken" if end == "Failed" else None)
    processed = batch.jobs.get(created.job_id)
    assert processed.status == end
    assert processed.input_version == "v1"

    # When a second file is PUT to the same presigned URL (a new object version)
    outcome = batch.upload(key, _jsonl(5))

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
