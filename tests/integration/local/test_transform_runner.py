"""The local transform runner against a real moto server: it runs every job the emulator holds."""

from __future__ import annotations

import threading
from typing import Any

import boto3

from tests.support.moto import REGION, MotoHarness
from zstc_local.transform_runner import LocalTransformExecutor

JOBS = 105
"""More than one ListTransformJobs page (100)."""


def _create_jobs(sagemaker: Any, count: int) -> list[str]:
    names = [f"runner-paging-{index:04d}" for index in range(count)]
    for name in names:
        sagemaker.create_transform_job(
            TransformJobName=name,
            ModelName="runner-paging-model",
            TransformInput={
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://no-bucket/{name}/"}
                },
                "ContentType": "application/jsonlines",
                "SplitType": "Line",
            },
            TransformOutput={"S3OutputPath": f"s3://no-bucket/out/{name}/"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
    return names


def test_the_runner_runs_every_job_past_the_first_list_page(moto: MotoHarness) -> None:
    # Given more transform jobs than one ListTransformJobs page holds
    sagemaker = boto3.client("sagemaker", endpoint_url=moto.url, region_name=REGION)
    s3 = boto3.client("s3", endpoint_url=moto.url, region_name=REGION)
    names = _create_jobs(sagemaker, JOBS)
    events: list[dict[str, Any]] = []
    finished = threading.Event()

    def put_event(event: dict[str, Any]) -> None:
        events.append(event)
        if len(events) == JOBS:
            finished.set()

    # When the runner watches the emulator
    runner = LocalTransformExecutor(sagemaker, s3, "http://127.0.0.1:9", put_event, poll_seconds=0.05)
    runner.start()
    try:
        finished.wait(timeout=120)
    finally:
        runner.stop()

    # Then every job ran to a terminal state and put its state-change event, the 101st and later too
    assert sorted(runner.jobs) == names
    assert sorted(event["detail"]["TransformJobName"] for event in events) == names
    assert {state.status for state in runner.jobs.values()} == {"Failed"}  # no input objects
