"""Batch path throughput and memory against a moto server, measured side by side in one run.

For each size: records/s of start_batch (stream, validate, shard) and of process_results (parse,
check, write result items), beside a plain boto3 ``batch_writer`` loop writing the same items into
the same kind of table; and each step's peak RSS (every step runs in a fresh child process).
Targets: process_results >= 0.9x the plain loop; peak RSS flat (<= 10% growth from 10k to 100k).
``--big-mb 200`` also runs both handlers on a ~200 MB input (target: peak RSS < 256 MB).

Usage: .venv/bin/python bench/batch.py [--sizes 10000 100000] [--big-mb 0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "layers" / "shared"), str(REPO / "local"), str(REPO / "inference")]

from common import peak_rss_mb  # noqa: E402

LABELS = ["Health", "Finance", "Career", "Humor"]


def _env(moto_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "local",  # the local stack's S3 checks presigned URLs against these
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PYTHONPATH": os.pathsep.join(sys.path[:4]),
    }


# --- child steps -----------------------------------------------------------------------------------


def step_start_batch(args: dict[str, Any]) -> dict[str, Any]:
    """start_batch's logic on one uploaded file."""
    from zstc.batch.s3 import S3Store  # noqa: PLC0415
    from zstc.batch.start import StartBatch, UploadedObject  # noqa: PLC0415
    from zstc.batch.store import DynamoJobStore  # noqa: PLC0415
    from zstc.batch.transform import SageMakerTransform  # noqa: PLC0415
    from zstc.core.settings import BatchSettings  # noqa: PLC0415

    settings = BatchSettings(
        DATA_BUCKET=args["bucket"], JOBS_TABLE=args["table"], TRANSFORM_MODEL_NAME="bench"
    )
    start = time.perf_counter()
    outcome = StartBatch(
        settings, DynamoJobStore(args["table"]), S3Store(args["bucket"]), SageMakerTransform(settings)
    ).handle(UploadedObject(args["bucket"], args["key"]))
    return {"outcome": outcome, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def step_process_results(args: dict[str, Any]) -> dict[str, Any]:
    """process_results' logic for one completed transform job."""
    from zstc.batch.results import ProcessResults  # noqa: PLC0415
    from zstc.batch.s3 import S3Store  # noqa: PLC0415
    from zstc.batch.store import DynamoJobStore  # noqa: PLC0415
    from zstc.core.settings import BatchSettings  # noqa: PLC0415

    settings = BatchSettings(DATA_BUCKET=args["bucket"], JOBS_TABLE=args["table"])
    start = time.perf_counter()
    outcome = ProcessResults(
        settings, DynamoJobStore(args["table"]), S3Store(args["bucket"]), continue_later=lambda job: None
    ).ingest(args["job_id"], lambda: 10**9)
    return {"outcome": outcome, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def step_plain_writer(args: dict[str, Any]) -> dict[str, Any]:
    """The baseline: boto3's batch_writer writing the same result items, nothing else."""
    import boto3  # noqa: PLC0415

    from zstc.batch import layout  # noqa: PLC0415

    table = boto3.resource("dynamodb").Table(args["table"])
    pk = layout.job_pk(args["job_id"])
    start = time.perf_counter()
    with table.batch_writer() as writer:
        for position in range(args["records"]):
            writer.put_item(
                Item={
                    "pk": pk,
                    "sk": layout.result_sk(position),
                    "position": position,
                    "record_id": f"r{position}",
                    "top_label": "Health",
                    "top_score": json.loads("0.4", parse_float=__import__("decimal").Decimal),
                    "labels": LABELS,
                    "scores": [
                        json.loads(s, parse_float=__import__("decimal").Decimal)
                        for s in ("0.4", "0.3", "0.2", "0.1")
                    ],
                    "expires_at": 2_000_000_000,
                }
            )
    return {"seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


# --- parent ------------------------------------------------------------------------------------------


def _child(step: str, args: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    code = (
        f"import json, sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import batch; "
        f"print(json.dumps(batch.{step}(json.loads(sys.argv[1]))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def _input(records: int, text_bytes: int) -> bytes:
    filler = "x" * max(0, text_bytes - 40)
    return b"".join(
        json.dumps(
            {
                "id": f"r{i}",
                "inputs": f"resolution {i}: run more, spend less {filler}",
                "parameters": {"candidate_labels": LABELS},
            }
        ).encode()
        + b"\n"
        for i in range(records)
    )


def _play_sagemaker(s3: Any, bucket: str, job_id: str) -> None:
    """Answer every staged shard as batch transform would (a deterministic stand-in for the model)."""
    from zstc.batch import layout  # noqa: PLC0415

    keys = sorted(
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=layout.staging_prefix(job_id)
        )
        for o in page.get("Contents", [])
    )
    for index, key in enumerate(keys):
        lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
        answers = []
        for line in lines:
            request = json.loads(line)
            answers.append(
                json.dumps(
                    {
                        "id": request["id"],
                        "sequence": request["inputs"],
                        "labels": LABELS,
                        "scores": [0.4, 0.3, 0.2, 0.1],
                    }
                )
            )
        s3.put_object(
            Bucket=bucket, Key=layout.output_key(job_id, index), Body=("\n".join(answers) + "\n").encode()
        )


def run_size(records: int, text_bytes: int, server_url: str, env: dict[str, str], tag: str) -> dict[str, Any]:
    """One size end to end; returns the measurements."""
    import boto3  # noqa: PLC0415

    from zstc.batch import layout  # noqa: PLC0415
    from zstc_local.provision import (  # noqa: PLC0415
        create_bucket,
        create_table,
        local_template,
    )

    s3 = boto3.client("s3", endpoint_url=server_url)
    dynamodb = boto3.client("dynamodb", endpoint_url=server_url)
    bucket, table, plain_table = f"bench-{tag}", f"bench-jobs-{tag}", f"bench-plain-{tag}"
    create_bucket(s3, bucket)
    template = local_template()
    create_table(dynamodb, template, "JobsTable", table)
    create_table(dynamodb, template, "JobsTable", plain_table)
    boto3.client("sagemaker", endpoint_url=server_url).create_model(
        ModelName="bench",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/bench",
        PrimaryContainer={"Image": "x"},
    )
    body = _input(records, text_bytes)
    key = f"input/{tag}/records.jsonl"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    started = _child("step_start_batch", {"bucket": bucket, "table": table, "key": key}, env)
    assert started["outcome"] == "started", started
    job_id = layout.job_id_for_upload(bucket, key)
    _play_sagemaker(s3, bucket, job_id)
    processed = _child("step_process_results", {"bucket": bucket, "table": table, "job_id": job_id}, env)
    assert processed["outcome"] == "completed", processed
    plain = _child("step_plain_writer", {"table": plain_table, "job_id": job_id, "records": records}, env)
    return {
        "records": records,
        "megabytes": len(body) / 1e6,
        "start": started,
        "process": processed,
        "plain": plain,
    }


def main() -> None:
    """Run the sizes and print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--big-mb", type=int, default=0, help="also run a file of about this many MB")
    args = parser.parse_args()

    import logging  # noqa: PLC0415

    from tests.support.moto import free_port  # noqa: PLC0415

    from zstc_local.aws_emulator import MotoServer  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = MotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    os.environ.update({k: v for k, v in _env(url).items() if k.startswith("AWS_")})
    env = _env(url)
    rows = [run_size(size, 120, url, env, f"n{size}") for size in args.sizes]
    if args.big_mb:
        text_bytes = 400
        rows.append(run_size(args.big_mb * 1_000_000 // (text_bytes + 110), text_bytes, url, env, "big"))
    server.stop()
    print(
        f"{'records':>8} {'MB':>6} | {'start_batch rec/s':>17} {'RSS':>6} | {'process_results rec/s':>21} "
        f"{'RSS':>6} | {'plain batch_writer rec/s':>24} {'RSS':>6} | ratio"
    )
    for row in rows:
        n = row["records"]
        start, process, plain = row["start"], row["process"], row["plain"]
        print(
            f"{n:>8} {row['megabytes']:6.1f} | {n / start['seconds']:17.0f} {start['peak_rss_mb']:6.0f} | "
            f"{n / process['seconds']:21.0f} {process['peak_rss_mb']:6.0f} | {n / plain['seconds']:24.0f} "
            f"{plain['peak_rss_mb']:6.0f} | {plain['seconds'] / process['seconds']:.2f}x"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[len(args.sizes) - 1]
        for step in ("start", "process"):
            growth = last[step]["peak_rss_mb"] / first[step]["peak_rss_mb"] - 1
            print(f"peak RSS growth {first['records']} -> {last['records']} records, {step}: {growth:+.1%}")


if __name__ == "__main__":
    main()
