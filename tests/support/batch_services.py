"""The three batch services (jobs API, start_batch, process_results) over in-memory fakes of their
stores and transform runner, for the unit tests of tests/unit/batch/."""

from __future__ import annotations

import json
from typing import Any

from tests.support.fakes import FakeJobStore, FakeObjectStore, FakeTransformRunner
from zstc.batch import layout
from zstc.batch.interfaces import TransformFinished
from zstc.batch.jobs import JobsService
from zstc.batch.results import ProcessResults
from zstc.batch.start import StartBatch, UploadedObject
from zstc.contract.jobs import JobStatus
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


def jsonl_lines(count: int) -> bytes:
    lines = [
        json.dumps({"id": f"r{i}", "inputs": f"text {i}", "parameters": {"candidate_labels": LABELS}})
        for i in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()
