"""``zstc local events``: a real job's S3 and transform state-change events, to replay with ``local invoke``.

Runs a three-record job through a running local stack over HTTP (POST /jobs, upload, wait), then
writes the S3 ObjectCreated event of its upload (in the shape of ``events/batch/s3_put_jsonl.json``)
and the EventBridge "Transform Job State Change" event of its transform job (built by the runner's
own builder). Replaying them shows the handlers' idempotency: ``already started``, ``duplicate``.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from urllib.parse import quote_plus

from zstc.contract import media_types
from zstc.contract.jobs import TERMINAL_JOB_STATUSES, JobStatus
from zstc_cli.client.api import HttpApiClient
from zstc_cli.client.target import AuthMode, Target
from zstc_cli.errors import CliError, ExitCode
from zstc_local.constants import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY, REGION
from zstc_local.template import REPO_ROOT
from zstc_local.transform_runner import transform_state_change_event

S3_EVENT_SHAPE = REPO_ROOT / "events" / "batch" / "s3_put_jsonl.json"
SAMPLE = (
    b"id,text\nr1,Run a marathon in May\nr2,Save 20% of every paycheck\n"
    b"r3,Call my grandparents every Sunday\n"
)


def generate(api_url: str, aws_url: str, out_dir: Path, timeout_seconds: float = 120.0) -> list[Path]:
    """Run the job and write ``s3_put.json`` and ``transform_completed.json`` into ``out_dir``.

    Raises ``CliError`` when the stack does not answer or the job does not complete in time.
    """
    import boto3  # noqa: PLC0415

    client = HttpApiClient(Target(api_url=api_url.rstrip("/"), auth=AuthMode.NONE))
    job = client.create_job(
        {"format": "csv", "candidate_labels": ["Health", "Finance", "Family"], "id_column": "id"}
    )
    upload_file = out_dir / "sample.csv"
    out_dir.mkdir(parents=True, exist_ok=True)
    upload_file.write_bytes(SAMPLE)
    client.upload(job["upload"]["url"], upload_file, media_types.CSV)
    deadline = time.monotonic() + timeout_seconds
    while job["status"] not in TERMINAL_JOB_STATUSES or job["status"] == JobStatus.AWAITING_UPLOAD:
        if time.monotonic() > deadline:
            raise CliError(
                f"job {job['job_id']} did not finish in {timeout_seconds:.0f} s", ExitCode.UNREACHABLE
            )
        time.sleep(0.25)
        job = client.get_job(job["job_id"])
    if job["status"] != JobStatus.COMPLETED:
        raise CliError(f"job {job['job_id']} ended {job['status']}", ExitCode.JOB_UNSUCCESSFUL)
    s3, sagemaker = (
        boto3.client(
            service,
            endpoint_url=aws_url,
            region_name=REGION,
            aws_access_key_id=LOCAL_ACCESS_KEY_ID,
            aws_secret_access_key=LOCAL_SECRET_ACCESS_KEY,
        )
        for service in ("s3", "sagemaker")
    )
    bucket, _, key = job["input_location"].removeprefix("s3://").partition("/")
    head = s3.head_object(Bucket=bucket, Key=key)
    s3_event = copy.deepcopy(json.loads(S3_EVENT_SHAPE.read_text(encoding="utf-8")))
    record = s3_event["Records"][0]
    record["eventTime"] = job["updated_at"]
    record["s3"]["bucket"].update({"name": bucket, "arn": f"arn:aws:s3:::{bucket}"})
    record["s3"]["object"].update(
        {
            "key": quote_plus(key, safe="/"),
            "size": head["ContentLength"],
            "eTag": head["ETag"].strip('"'),
            "versionId": head.get("VersionId"),
        }
    )
    name = job["transform_job_name"]
    description = sagemaker.describe_transform_job(TransformJobName=name)
    state_change = transform_state_change_event(name, "Completed", description=description)
    written = []
    for filename, event in (("s3_put.json", s3_event), ("transform_completed.json", state_change)):
        path = out_dir / filename
        path.write_text(json.dumps(event, indent=2, default=str) + "\n", encoding="utf-8")
        written.append(path)
    upload_file.unlink()
    return written
