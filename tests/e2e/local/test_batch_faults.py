"""Local stack faults and template fidelity (each test runs its own stack: moto's state is per process)."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

from tests.e2e.local.test_batch import _http, _settings, _submit, _wait
from tests.support.tiny_models import build_tiny_bart_nli
from zstc_local.provision import LOCAL_RESOURCE_NAMES
from zstc_local.stack import LocalStack, local_queue_name
from zstc_local.template import REPO_ROOT, TEMPLATE_PATH
from zstc_local.transform_runner import transform_state_change_event

GOOD = {"inputs": "short text", "parameters": {"candidate_labels": ["a", "b"]}}
# An NLI model cannot take a hypothesis longer than its input (the tiny model's 64 tokens; the API's
# bound is bart-large-mnli's): the endpoint refuses this record, naming the label.
REFUSED = {"inputs": "short text", "parameters": {"candidate_labels": ["x" * 100]}}


def test_records_failing_at_the_endpoint_beyond_the_jobs_share_fail_the_job_without_results(
    tmp_path: Path,
) -> None:
    # Given a file in which 1 record of 4 fails at the endpoint, and the default max_failed_share (10%)
    model_dir = build_tiny_bart_nli(tmp_path / "tiny-nli")
    with LocalStack(
        _settings(model_dir=str(model_dir), parameters={"TransformInvocationMaxRetries": "0"})
    ) as stack:
        assert stack.api is not None
        body = "".join(json.dumps(line) + "\n" for line in [GOOD, GOOD, REFUSED, GOOD]).encode()
        job_id = _submit(stack.api.url, {"format": "jsonl"}, body)
        job = _wait(stack.api.url, job_id)
    # Then the job is Failed with a reason naming the count and the limit, and serves no results
    assert job["status"] == "Failed", job
    assert "1 of 4 records failed at the model" in job["failure_reason"]
    assert "max_failed_share of 0.1" in job["failure_reason"]
    assert not job.get("results_written")


def test_a_few_records_failing_at_the_endpoint_do_not_sink_the_batch(tmp_path: Path) -> None:
    # Given a file of 12 records, 2 of which the endpoint cannot score, and max_failed_share 0.25
    model_dir = build_tiny_bart_nli(tmp_path / "tiny-nli")
    lines = [dict(GOOD, id=f"r{i}") for i in range(12)]
    lines[3], lines[8] = dict(REFUSED, id="r3"), dict(REFUSED, id="r8")
    with LocalStack(
        _settings(model_dir=str(model_dir), parameters={"TransformInvocationMaxRetries": "0"})
    ) as stack:
        assert stack.api is not None
        body = "".join(json.dumps(line) + "\n" for line in lines).encode()
        job_id = _submit(stack.api.url, {"format": "jsonl", "max_failed_share": 0.25}, body)
        job = _wait(stack.api.url, job_id)
        status, page = _http("GET", f"{stack.api.url}/jobs/{job_id}/results?limit=100")
    # Then the job completes with a failed-record count, and GET results shows those records' reason
    assert job["status"] == "Completed", job
    assert (job["records"], job["results_written"], job["records_failed"]) == (12, 12, 2)
    assert sum(job["label_histogram"].values()) == 10
    assert status == 200
    failed = [(r["record_id"], r["top_label"]) for r in page["results"] if r.get("error")]
    assert failed == [("r3", None), ("r8", None)]
    assert all(r["labels"] for r in page["results"] if not r.get("error"))
    assert all(
        r["error"].startswith("RequestError") and "candidate_labels[0]" in r["error"]
        for r in page["results"]
        if r.get("error")
    )


def test_a_presigned_put_with_a_form_content_type_stores_the_bytes_as_sent() -> None:
    # curl --data-binary and Python's urllib send application/x-www-form-urlencoded by default
    with LocalStack(_settings()) as stack:
        assert stack.api is not None
        body = b'{"inputs": "pay the rent", "parameters": {"candidate_labels": ["Finance", "Travel"]}}\n'
        status, created = _http("POST", f"{stack.api.url}/jobs", {"format": "jsonl"})
        assert status == 201
        status, _ = _http(
            "PUT", created["upload"]["url"], raw=body, content_type="application/x-www-form-urlencoded"
        )
        assert status == 200
        stored = stack.client("s3").get_object(
            Bucket=LOCAL_RESOURCE_NAMES["DataBucket"], Key=created["upload"]["key"]
        )
        assert stored["Body"].read() == body
        job = _wait(stack.api.url, created["job_id"])
    assert job["status"] == "Completed", job


def _template_copy(tmp_path: Path, replace: dict[str, str]) -> Path:
    text = TEMPLATE_PATH.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    for folder in ("functions", "layers"):
        os.symlink(REPO_ROOT / folder, tmp_path / folder)
    copy = tmp_path / "template.yaml"
    copy.write_text(text)
    return copy


def test_the_stack_honours_the_templates_filters_and_patterns(tmp_path: Path) -> None:
    # Given a copy of the template whose S3 filter wants .csv only and whose rule ignores Completed
    template = _template_copy(
        tmp_path,
        {
            "                  - Name: prefix\n": (
                "                  - Name: suffix\n"
                "                    Value: .csv\n"
                "                  - Name: prefix\n"
            ),
            "TransformJobStatus: [Completed, Failed, Stopped]": "TransformJobStatus: [Failed, Stopped]",
        },
    )
    with LocalStack(_settings(template_path=template)) as stack:
        assert stack.api is not None
        assert stack.invoker is not None
        assert stack.event_bus is not None
        # When a .jsonl file arrives under input/, Then no notification reaches start_batch
        job_id = _submit(
            stack.api.url,
            {"format": "jsonl"},
            b'{"inputs": "x", "parameters": {"candidate_labels": ["a"]}}\n',
        )
        time.sleep(1.5)
        stack.wait_idle()
        assert [d for d in stack.invoker.deliveries if d.source == "s3"] == []
        assert _http("GET", f"{stack.api.url}/jobs/{job_id}")[1]["status"] == "AwaitingUpload"
        # And a Completed state change matches no rule, while Failed still does
        ours = "zstc-abc123-0123456789ab"
        assert stack.event_bus.put(transform_state_change_event(ours, "Completed")) == []
        assert stack.event_bus.put(transform_state_change_event(ours, "Failed")) == ["ProcessResultsFunction"]
        # And a name outside the prefix matches nothing
        assert stack.event_bus.put(transform_state_change_event("other-job", "Failed")) == []
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_failing_async_invocation_is_retried_then_lands_in_the_templates_dead_letter_queue() -> None:
    with LocalStack(_settings()) as stack:
        assert stack.lambda_api is not None
        # Given start_batch invoked asynchronously with an event it cannot read
        event = {"Records": [{"eventSource": "aws:s3", "s3": {}}], "test": uuid.uuid4().hex}
        answer = stack.client("lambda", endpoint_url=stack.lambda_api.url).invoke(
            FunctionName="StartBatchFunction", InvocationType="Event", Payload=json.dumps(event).encode()
        )
        assert answer["StatusCode"] == 202
        # When every attempt the template allows has failed
        stack.wait_idle(timeout=60)
        # Then the event is in the function's DeadLetterQueue in the emulator, with the error
        spec = stack.template.function("StartBatchFunction")
        assert spec.dead_letter_queue is not None
        sqs = stack.client("sqs")
        queue_url = sqs.get_queue_url(QueueName=local_queue_name(spec.dead_letter_queue))["QueueUrl"]
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        assert [json.loads(message["Body"]) for message in messages] == [event]
        assert messages[0]["MessageAttributes"]["ErrorMessage"]["StringValue"].startswith("error: ")
        # And it got there after the template's MaximumRetryAttempts retries
        assert stack.invoker is not None
        [delivery] = [d for d in stack.invoker.deliveries if d.event == event]
        assert delivery.attempts == spec.maximum_retry_attempts + 1 == 3
