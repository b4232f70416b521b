"""The batch path: upload -> start_batch -> (the test plays SageMaker) -> process_results -> results.

A real moto server over HTTP, real boto3, the handlers called with real event shapes; the
transform output comes from the real engine (the offline MiniLM) run on the staged shards.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import ApiFactory
from tests.support.api import ApiHandlerClient
from tests.support.batch import BUCKET, TABLE, BatchPath, engine_answers, play_sagemaker, read_json_lines
from tests.support.fake_sagemaker import CannedAnswer, FakeSageMaker
from tests.support.moto import REGION
from zstc.batch import layout
from zstc.contract.results import RESULTS_CSV_COLUMNS
from zstc.core import limits
from zstc_engine.classifier import Classifier

LABELS = ["Health", "Finance", "Career", "Humor"]
SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "resolutions-sample.csv"


@pytest.fixture
def api(batch: BatchPath, make_api: ApiFactory) -> ApiHandlerClient:
    return make_api()


def _jsonl(count: int, **overrides: Any) -> bytes:
    lines = [
        json.dumps(
            {
                "id": f"r{i:04d}",
                "inputs": f"resolution {i}: run more and spend less",
                "parameters": {"candidate_labels": LABELS},
                **overrides,
            }
        )
        for i in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


def _transform_jobs() -> list[str]:
    summaries = boto3.client("sagemaker", region_name=REGION).list_transform_jobs()["TransformJobSummaries"]
    return [s["TransformJobName"] for s in summaries]


def _job_item(job_id: str) -> dict[str, Any]:
    from zstc.batch.store import DynamoJobStore  # noqa: PLC0415

    job = DynamoJobStore(TABLE).get(job_id)
    assert job is not None
    item: dict[str, Any] = job.model_dump(mode="json")
    return item


def _result_count(job_id: str) -> int:
    response = boto3.client("dynamodb", region_name=REGION).query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
        Select="COUNT",
        ExpressionAttributeValues={":pk": {"S": layout.job_pk(job_id)}, ":r": {"S": layout.RESULT_SK_PREFIX}},
    )
    return int(response["Count"])


def _all_results(api: ApiHandlerClient, job_id: str, limit: int) -> list[dict[str, Any]]:
    results, token = [], None
    while True:
        path = f"/jobs/{job_id}/results?limit={limit}" + (f"&next_token={token}" if token else "")
        event_path, _, query = path.partition("?")
        page = api.invoke(_get_event(event_path, query))
        assert page.status == 200, page.body
        results += page.body["results"]
        token = page.body["next_token"]
        if not token:
            return results


def _get_event(path: str, query: str) -> dict[str, Any]:
    from urllib.parse import parse_qs  # noqa: PLC0415

    from zstc_local.api_gateway import proxy_event  # noqa: PLC0415

    resource = "/jobs/{job_id}/results" if path.endswith("/results") else "/jobs/{job_id}"
    job_id = path.split("/")[2]
    return proxy_event(
        "GET", path, resource=resource, query=parse_qs(query), path_parameters={"job_id": job_id}
    )


def test_jsonl_job_through_the_api_end_to_end(
    api: ApiHandlerClient, batch: BatchPath, minilm: Classifier
) -> None:
    # Given a job created through the API and 1,000 records uploaded to its presigned URL
    created = api.request("POST", "/jobs", json_body={"format": "jsonl"})
    assert created.status == 201, created.body
    job_id, upload = created.body["job_id"], created.body["upload"]
    assert created.body["status"] == "AwaitingUpload"
    assert upload["key"] == f"input/{job_id}/input.jsonl"
    body = _jsonl(1000)
    request = urllib.request.Request(
        upload["url"], data=body, method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    head = boto3.client("s3", region_name=REGION).head_object(Bucket=BUCKET, Key=upload["key"])

    # When S3 notifies start_batch
    outcome = batch.deliver_upload(upload["key"], len(body), head["ETag"].strip('"'), head.get("VersionId"))

    # Then the input is staged in shards and one transform job starts with MultiRecord JSON Lines
    assert outcome == {"outcomes": ["started"]}
    job = api.request("GET", f"/jobs/{job_id}").body
    assert job["status"] == "InProgress"
    assert job["records"] == 1000
    [name] = _transform_jobs()
    assert name == job["transform_job_name"]
    described = boto3.client("sagemaker", region_name=REGION).describe_transform_job(TransformJobName=name)
    assert described["BatchStrategy"] == "MultiRecord"
    assert described["TransformInput"]["ContentType"] == "application/jsonlines"
    assert described["TransformInput"]["SplitType"] == "Line"
    assert described["TransformOutput"]["AssembleWith"] == "Line"
    assert (
        described["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
        == f"s3://{BUCKET}/{layout.staging_prefix(job_id)}"
    )
    assert api.request("GET", f"/jobs/{job_id}/results").status == 409  # not Completed yet

    # When SageMaker has run the shards and EventBridge reports Completed
    shards = play_sagemaker(job_id, engine_answers(minilm))
    assert len(shards) == -(-1000 // limits.SHARD_MAX_RECORDS)
    assert batch.state_change(name, "Completed") == "completed"

    # Then every record's result is in DynamoDB and the API pages through them in input order
    job = api.request("GET", f"/jobs/{job_id}").body
    assert job["status"] == "Completed"
    assert job["results_written"] == 1000
    assert sum(job["label_histogram"].values()) == 1000
    assert _result_count(job_id) == 1000
    results = _all_results(api, job_id, limit=300)
    assert [r["record_id"] for r in results] == [f"r{i:04d}" for i in range(1000)]
    assert [r["position"] for r in results] == list(range(1000))
    assert all(r["top_label"] == r["labels"][0] and set(r["labels"]) == set(LABELS) for r in results)
    csv_body = boto3.client("s3", region_name=REGION).get_object(
        Bucket=BUCKET, Key=layout.results_key(job_id)
    )
    rows = list(csv.reader(io.StringIO(csv_body["Body"].read().decode())))
    assert tuple(rows[0]) == RESULTS_CSV_COLUMNS
    assert [row[2] for row in rows[1:4]] == [r["text"] for r in results[:3]]
    assert len(rows) == 1001


def test_csv_uploaded_straight_to_s3_with_metadata(
    batch: BatchPath, api: ApiHandlerClient, minilm: Classifier
) -> None:
    # Given the resolutions sample uploaded without POST /jobs, options in the object's metadata
    sample = SAMPLE.read_bytes()
    categories = sorted({row["category"] for row in csv.DictReader(io.StringIO(sample.decode()))})
    outcome = batch.upload(
        "input/resolutions/sample.csv",
        sample,
        metadata={
            "candidate-labels": json.dumps(categories),
            "id-column": "id",
            "hypothesis-template": "This New Year's resolution is about {}.",
        },
    )
    assert outcome == {"outcomes": ["started"]}
    job_id = layout.job_id_for_upload(BUCKET, "input/resolutions/sample.csv")
    # When the transform completes
    play_sagemaker(job_id, engine_answers(minilm))
    assert (
        batch.state_change(_job_item(job_id)["transform_job_name"], "Completed", epoch_millis=False)
        == "completed"
    )
    # Then the results keep the CSV's ids in file order
    results = _all_results(api, job_id, limit=1000)
    assert len(results) == 500
    assert results[0]["record_id"] == "nyr-0001"
    assert set(results[0]["labels"]) == set(categories)


BAD_FILES = [
    (
        "malformed-json-line-7",
        "bad.jsonl",
        _jsonl(6) + b'{"inputs": "x", "parameters": \n' + _jsonl(3),
        {},
        "line 7: invalid JSON",
    ),
    (
        "missing-text-column",
        "bad.csv",
        b"id,body\n1,hello\n",
        {"candidate-labels": "a,b"},
        "line 1: missing column(s) text",
    ),
    (
        "empty-labels",
        "bad.jsonl",
        _jsonl(2) + _jsonl(1, parameters={"candidate_labels": []}),
        {},
        "line 3: parameters.candidate_labels: candidate_labels must contain at least one label",
    ),
    ("zero-bytes", "empty.jsonl", b"", {}, "the file is empty (0 bytes)"),
    ("txt-file", "notes.txt", b"hello\n", {}, "unsupported file type .txt"),
    (
        "oversized-record",
        "big.jsonl",
        _jsonl(1, inputs="x" * (limits.MAX_TEXT_CHARS + 1)),
        {},
        f"line 1: inputs: inputs has {limits.MAX_TEXT_CHARS + 1} characters",
    ),
    (
        "csv-without-labels",
        "nolabels.csv",
        b"text\nhello\n",
        {},
        "candidate_labels is required for csv input",
    ),
    ("list-inputs", "list.jsonl", _jsonl(1, inputs=["a", "b"]), {}, "one text per line"),
]


@pytest.mark.parametrize(
    ("case", "filename", "body", "metadata", "reason"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
def test_bad_files_are_rejected_with_line_and_reason(
    batch: BatchPath,
    api: ApiHandlerClient,
    case: str,
    filename: str,
    body: bytes,
    metadata: dict[str, str],
    reason: str,
) -> None:
    key = f"input/{case}/{filename}"
    outcome = batch.upload(key, body, metadata=metadata)
    assert outcome == {"outcomes": ["rejected"]}
    job_id = layout.job_id_for_upload(BUCKET, key)
    job = api.request("GET", f"/jobs/{job_id}").body
    assert job["status"] == "Rejected"
    assert any(reason in problem for problem in job["problems"]), job["problems"]
    report = json.loads(
        boto3.client("s3", region_name=REGION)
        .get_object(Bucket=BUCKET, Key=layout.errors_key(job_id))["Body"]
        .read()
    )
    assert report["problems"] == job["problems"]
    assert _transform_jobs() == []
    staged = boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=BUCKET, Prefix=layout.STAGING_PREFIX
    )
    assert staged.get("KeyCount", 0) == 0


def test_rejection_reports_at_most_100_problems(batch: BatchPath, api: ApiHandlerClient) -> None:
    body = b"".join(b"not json\n" for _ in range(250))
    assert batch.upload("input/many/bad.jsonl", body) == {"outcomes": ["rejected"]}
    job = api.request("GET", f"/jobs/{layout.job_id_for_upload(BUCKET, 'input/many/bad.jsonl')}").body
    assert len(job["problems"]) == limits.MAX_REPORTED_PROBLEMS


def test_upload_outside_the_layout_is_reported_not_ignored(batch: BatchPath) -> None:
    assert batch.upload("input/loose.jsonl", _jsonl(1)) == {"outcomes": ["rejected: layout"]}
    reports = boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=BUCKET, Prefix="errors/unassigned/"
    )
    assert reports["KeyCount"] == 1


def test_keys_with_spaces_and_symbols_arrive_decoded(batch: BatchPath) -> None:
    # S3 URL-encodes keys in notifications: "my file+1.jsonl" arrives as "my+file%2B1.jsonl"
    assert batch.upload("input/new year/my file+1.jsonl", _jsonl(3)) == {"outcomes": ["started"]}


def test_event_for_an_object_deleted_since_is_ignored_with_a_log(batch: BatchPath) -> None:
    assert batch.deliver_upload("input/gone/a.jsonl", 10, "etag", None) == {
        "outcomes": ["ignored: object deleted"]
    }
    assert _transform_jobs() == []


def test_duplicate_s3_event_starts_one_transform_job(batch: BatchPath) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    body = _jsonl(10)
    put = s3.put_object(Bucket=BUCKET, Key="input/dupe/a.jsonl", Body=body)
    first = batch.deliver_upload("input/dupe/a.jsonl", len(body), put["ETag"].strip('"'), put["VersionId"])
    second = batch.deliver_upload("input/dupe/a.jsonl", len(body), put["ETag"].strip('"'), put["VersionId"])
    assert first == {"outcomes": ["started"]}
    assert second == {"outcomes": ["already started"]}
    assert len(_transform_jobs()) == 1


def test_two_puts_before_their_events_run_the_first_and_note_the_second(batch: BatchPath) -> None:
    # Given two files PUT to one key before S3 delivered either event: two versions of the object
    s3 = boto3.client("s3", region_name=REGION)
    key = "input/twoputs/a.jsonl"
    first_body, second_body = _jsonl(2), _jsonl(5)
    first = s3.put_object(Bucket=BUCKET, Key=key, Body=first_body)
    second = s3.put_object(Bucket=BUCKET, Key=key, Body=second_body)
    # When the two events arrive, each naming its version
    outcome = batch.deliver_upload(key, len(first_body), first["ETag"].strip('"'), first["VersionId"])
    assert outcome == {"outcomes": ["started"]}
    later = batch.deliver_upload(key, len(second_body), second["ETag"].strip('"'), second["VersionId"])
    # Then the job ran the first file, and its notes list the second as not processed
    assert later == {"outcomes": ["ignored: job is InProgress with another upload"]}
    job = _job_item(layout.job_id_for_upload(BUCKET, key))
    assert (job["input_version"], job["records"]) == (first["VersionId"], 2)
    [note] = job["notes"]
    assert f"version {second['VersionId']})" in note
    assert len(_transform_jobs()) == 1


def test_an_event_naming_the_null_version_reads_the_latest(batch: BatchPath) -> None:
    # S3 names an object written while versioning was off "null": there is no version to pin
    s3 = boto3.client("s3", region_name=REGION)
    body = _jsonl(3)
    put = s3.put_object(Bucket=BUCKET, Key="input/nullversion/a.jsonl", Body=body)
    outcome = batch.deliver_upload("input/nullversion/a.jsonl", len(body), put["ETag"].strip('"'), "null")
    assert outcome == {"outcomes": ["started"]}


def test_crash_between_staging_and_transform_is_retried_without_a_second_job(batch: BatchPath) -> None:
    # Given an earlier attempt that staged the input and died before starting the transform job
    from zstc.batch.items import JobChanges  # noqa: PLC0415
    from zstc.batch.store import DynamoJobStore  # noqa: PLC0415
    from zstc.contract.jobs import JobStatus  # noqa: PLC0415

    assert batch.upload("input/crash/a.jsonl", _jsonl(5)) == {"outcomes": ["started"]}
    job_id = layout.job_id_for_upload(BUCKET, "input/crash/a.jsonl")
    DynamoJobStore(TABLE).update(job_id, JobChanges(status=JobStatus.VALIDATING))
    head = boto3.client("s3", region_name=REGION).head_object(Bucket=BUCKET, Key="input/crash/a.jsonl")
    # When S3 delivers the event again, Then the retry finishes the job start and no second job exists
    again = batch.deliver_upload("input/crash/a.jsonl", 1, head["ETag"].strip('"'), head["VersionId"])
    assert again == {"outcomes": ["already started"]}
    assert _job_item(job_id)["status"] == "InProgress"
    assert len(_transform_jobs()) == 1


def _started_job(
    batch: BatchPath, key: str, records: int, minilm: Classifier | None = None
) -> tuple[str, str]:
    assert batch.upload(key, _jsonl(records)) == {"outcomes": ["started"]}
    job_id = layout.job_id_for_upload(BUCKET, key)
    if minilm is not None:
        play_sagemaker(job_id, engine_answers(minilm))
    return job_id, _job_item(job_id)["transform_job_name"]


def test_duplicate_completed_event_leaves_the_same_items(batch: BatchPath, minilm: Classifier) -> None:
    job_id, name = _started_job(batch, "input/twice/a.jsonl", 30, minilm)
    assert batch.state_change(name, "Completed") == "completed"
    before = _job_item(job_id)
    assert batch.state_change(name, "Completed") == "duplicate"
    after = _job_item(job_id)
    assert _result_count(job_id) == 30
    assert (after["results_written"], after["label_histogram"]) == (
        before["results_written"],
        before["label_histogram"],
    )


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_failed_or_stopped_transform_records_the_reason(batch: BatchPath, status: str) -> None:
    job_id, name = _started_job(batch, f"input/{status.lower()}/a.jsonl", 5)
    reason = "ClientError: model container exited" if status == "Failed" else None
    assert batch.state_change(name, status, failure_reason=reason) == f"marked {status}"
    job = _job_item(job_id)
    assert job["status"] == status
    assert name in job["failure_reason"]
    if reason:
        assert reason in job["failure_reason"]
    assert batch.state_change(name, status, failure_reason=reason) == "duplicate"


def _drop_last_line(body: bytes) -> bytes:
    return b"".join(body.splitlines(keepends=True)[:-1])


def _swap_first_id(body: bytes) -> bytes:
    lines = read_json_lines(body)
    lines[0]["id"] = "someone-else"
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@pytest.mark.parametrize(
    ("mutate", "says"),
    [
        (_drop_last_line, "4 output lines for 5 staged requests"),
        (_swap_first_id, "id 'someone-else' answers"),
    ],
    ids=["missing-line", "wrong-id"],
)
def test_bad_transform_output_fails_the_job_and_is_never_completed(
    batch: BatchPath, minilm: Classifier, mutate: Any, says: str
) -> None:
    job_id, name = _started_job(batch, "input/badout/a.jsonl", 5)
    answer = engine_answers(minilm)
    play_sagemaker(job_id, lambda body: mutate(answer(body)))
    assert batch.state_change(name, "Completed") == "failed: invalid output"
    job = _job_item(job_id)
    assert job["status"] == "Failed"
    assert says in job["failure_reason"]
    assert _result_count(job_id) == 0
    assert batch.state_change(name, "Completed") == "ignored: job is Failed"


def test_large_output_is_processed_in_resumable_chunks(
    batch: BatchPath, minilm: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a job of three shards and an invocation that runs out of time after the first
    monkeypatch.setattr(limits, "SHARD_MAX_RECORDS", 20)
    job_id, name = _started_job(batch, "input/chunks/a.jsonl", 50, minilm)
    assert len(_job_item(job_id)["shard_sizes"]) == 3
    lambda_api = FakeSageMaker()  # stands in for Lambda's Invoke API: records the follow-up call
    lambda_api.answer = CannedAnswer(status=202)
    lambda_api.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lambda_api.url)
    from zstc.batch import results as batch_results  # noqa: PLC0415
    from zstc.batch.results import RESUME_MARGIN_MS  # noqa: PLC0415

    calls = iter([RESUME_MARGIN_MS + 1, RESUME_MARGIN_MS - 1])

    processor_type = batch_results.ProcessResults
    original = processor_type.ingest

    def ingest_with_clock(self: Any, job: str, remaining: Any) -> str:
        return original(self, job, lambda: next(calls, RESUME_MARGIN_MS * 10))

    monkeypatch.setattr(processor_type, "ingest", ingest_with_clock)
    try:
        # When the state change arrives, Then one shard is written and a follow-up invocation is asked for
        assert batch.state_change(name, "Completed") == "continued later from shard 1"
    finally:
        lambda_api.stop()
    assert _job_item(job_id)["checkpoint"] == 1
    assert _result_count(job_id) == 20
    [follow_up] = lambda_api.bodies
    assert json.loads(follow_up) == {"zstc_resume_job_id": job_id}
    # When the follow-up runs (and a replay of the first invocation too), Then nothing is lost or doubled
    from zstc_local.context import LocalLambdaContext  # noqa: PLC0415

    resumed = batch.process_results(
        json.loads(follow_up), LocalLambdaContext("ProcessResultsFunction", timeout_seconds=900)
    )
    assert resumed["outcome"] == "completed"
    assert _result_count(job_id) == 50
    job = _job_item(job_id)
    assert (job["status"], job["results_written"], sum(job["label_histogram"].values())) == (
        "Completed",
        50,
        50,
    )


def test_jobs_api_errors(api: ApiHandlerClient, batch: BatchPath) -> None:
    assert api.request("GET", "/jobs/0123456789abcdef").status == 404
    assert api.request("GET", "/jobs/not-a-job-id!").status == 404
    created = api.request("POST", "/jobs", json_body={"format": "csv"})
    assert created.status == 422
    assert "candidate_labels is required for csv" in created.body["error"]["message"]
    wrong_ext = api.request("POST", "/jobs", json_body={"format": "jsonl", "filename": "x.csv"})
    assert wrong_ext.status == 422
    job_id = api.request("POST", "/jobs", json_body={"format": "jsonl"}).body["job_id"]
    bad_token = api.invoke(_get_event(f"/jobs/{job_id}/results", "next_token=bm90LWEtdG9rZW4"))
    assert bad_token.status == 400
    assert "next_token" in bad_token.body["error"]["message"]


def test_list_jobs_by_status_newest_first(api: ApiHandlerClient, batch: BatchPath) -> None:
    ids = [api.request("POST", "/jobs", json_body={"format": "jsonl"}).body["job_id"] for _ in range(3)]
    from zstc_local.api_gateway import proxy_event  # noqa: PLC0415

    listed = api.invoke(proxy_event("GET", "/jobs", query={"status": ["AwaitingUpload"], "limit": ["2"]}))
    assert listed.status == 200, listed.body
    assert [job["job_id"] for job in listed.body["jobs"]] == ids[::-1][:2]
    assert listed.body["next_token"]
    rest = api.invoke(
        proxy_event(
            "GET", "/jobs", query={"status": ["AwaitingUpload"], "next_token": [listed.body["next_token"]]}
        )
    )
    assert [job["job_id"] for job in rest.body["jobs"]] == [ids[0]]
    everything = api.invoke(proxy_event("GET", "/jobs"))
    assert len(everything.body["jobs"]) == 3
    bad_status = api.invoke(proxy_event("GET", "/jobs", query={"status": ["Sleeping"]}))
    assert bad_status.status == 422
