"""The local stack end to end over HTTP only: `zstc local up`, the offline model, the api handler."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.moto import REGION, free_port
from zstc_cli.main import main
from zstc_local.stack import LocalStack, StackError, StackSettings
from zstc_local.template import REPO_ROOT

SEED = "#newyearsresolution :: read more books, stay dedicated to pt/yoga to squash my achin' back!"


def _http(
    method: str, url: str, payload: Any = None, content_type: str = "application/json"
) -> tuple[int, Any]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_classify_through_the_local_api(stack: LocalStack) -> None:
    assert stack.api is not None
    payload = {"inputs": SEED, "parameters": {"candidate_labels": ["Health", "Finance", "Career"]}}
    status, answer = _http("POST", f"{stack.api.url}/classify", payload)
    assert status == 200, answer
    assert answer["sequence"] == SEED
    assert answer["labels"][0] == "Health"
    assert sum(answer["scores"]) == pytest.approx(1.0, abs=1e-4)


def test_health_is_200_when_every_part_is_ready(stack: LocalStack) -> None:
    assert stack.api is not None
    status, health = _http("GET", f"{stack.api.url}/health")
    assert status == 200
    assert health == {"endpoint_name": stack.endpoint_name, "status": "InService", "ready": True}


def test_bad_requests_get_the_api_errors(stack: LocalStack) -> None:
    assert stack.api is not None
    status, error = _http(
        "POST", f"{stack.api.url}/classify", {"inputs": "x", "parameters": {"candidate_labels": []}}
    )
    assert status == 422
    assert "candidate_labels" in error["error"]["message"]
    status, error = _http("GET", f"{stack.api.url}/no-such-route")
    assert status == 403  # API Gateway's answer for a resource it does not have
    assert error == {"message": "Missing Authentication Token"}


def test_boto3_and_the_emulator_see_the_endpoint(stack: LocalStack) -> None:
    assert stack.endpoint is not None
    runtime = boto3.client(
        "sagemaker-runtime",
        endpoint_url=stack.endpoint.url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    body = {
        "inputs": ["pay off my credit card debt", "go jogging every morning"],
        "parameters": {"candidate_labels": "Finance, Health"},
    }
    answer = json.loads(
        runtime.invoke_endpoint(
            EndpointName=stack.endpoint_name, ContentType="application/json", Body=json.dumps(body)
        )["Body"].read()
    )
    assert [item["labels"][0] for item in answer] == ["Finance", "Health"]
    control = boto3.client(
        "sagemaker",
        endpoint_url=stack.aws_url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    assert control.describe_endpoint(EndpointName=stack.endpoint_name)["EndpointStatus"] == "InService"


def test_a_busy_port_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StackError, match=f"port {port} .* in use.*--api-port"):
            LocalStack(
                StackSettings(
                    api_port=port, aws_port=free_port(), model_port=free_port(), lambda_port=free_port()
                )
            ).start()


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_zstc_local_up_serves_and_stops_cleanly_on_ctrl_c() -> None:
    # Given free ports, When `zstc local up` starts
    ports = {
        "--api-port": free_port(),
        "--aws-port": free_port(),
        "--model-port": free_port(),
        "--lambda-port": free_port(),
    }
    command = [sys.executable, "-m", "zstc_cli", "local", "up"]
    for flag, port in ports.items():
        command += [flag, str(port)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        output = []
        for line in process.stdout:
            output.append(line)
            if line.startswith("Ctrl-C to stop"):
                break
        # Then it says it is ready and serves the API (its start-up time is measured in bench/, not here)
        assert output, "no output"
        assert output[-1].startswith("Ctrl-C to stop"), "".join(output)
        status, _ = _http("GET", f"http://127.0.0.1:{ports['--api-port']}/health")
        assert status == 200
        # When Ctrl-C arrives, Then it stops with exit code 0 and leaves no port behind
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        rest = process.stdout.read()
        assert "stopped." in rest
    finally:
        if process.poll() is None:
            process.kill()
    assert all(_port_is_free(port) for port in ports.values())


def test_zstc_demo_runs_the_main_job_offline() -> None:
    ports = [str(free_port()) for _ in range(4)]
    parts = ("api", "aws", "model", "lambda")
    flags = [f"--{part}-port {port}" for part, port in zip(parts, ports, strict=True)]
    command = [sys.executable, "-m", "zstc_cli", "demo", "--sample-size", "40", *" ".join(flags).split()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not an NLI model" in result.stdout
    assert "single-label:" in result.stdout
    assert "multi-label:" in result.stdout
    assert "Real time: 40 resolutions tweets through POST /classify" in result.stdout
    assert "Batch: 40 resolutions tweets as a CSV job" in result.stdout
    assert "Completed in" in result.stdout
    # a pipe gets one progress line per status, never a bar redrawn with carriage returns
    assert "\r" not in result.stdout
    assert "40/40 records  Completed" in result.stdout
    assert "Batch job quality against the annotated category" in result.stdout
    assert "majority: Personal Growth" in result.stdout
    assert "stack stopped" in result.stdout
    # the closing hint runs on the ports the demo ran on
    assert f"next: `zstc local up --console {' '.join(flags)}`" in result.stdout


EVENT_FUNCTIONS = {
    "api/": "ApiFunction",
    "batch/s3_": "StartBatchFunction",
    "batch/transform_": "ProcessResultsFunction",
}


def _function_for(event_file: Path) -> str:
    relative = event_file.relative_to(REPO_ROOT / "events").as_posix()
    return next(function for prefix, function in EVENT_FUNCTIONS.items() if relative.startswith(prefix))


@pytest.mark.parametrize(
    "event_file",
    sorted((REPO_ROOT / "events").rglob("*.json")),
    ids=lambda path: path.relative_to(REPO_ROOT / "events").as_posix(),
)
def test_zstc_local_invoke_runs_every_event_file(
    stack: LocalStack, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a running stack, When `zstc local invoke <Function> --event <file>` runs
    settings = stack.settings
    code = main(
        [
            "local",
            "invoke",
            _function_for(event_file),
            "--event",
            str(event_file),
            "--aws-port",
            str(settings.aws_port),
            "--model-port",
            str(settings.model_port),
            "--lambda-port",
            str(settings.lambda_port),
        ]
    )
    # Then it prints the handler's response as JSON and exits 0
    assert code == 0
    printed = capsys.readouterr().out
    response = json.loads(printed[printed.rindex("\n{\n") + 1 :] if "\n{\n" in printed else printed)
    if event_file.parent.name == "api":
        assert response["statusCode"] in {200, 201, 400, 404, 415, 422, 503}
    else:
        assert "outcome" in response or "outcomes" in response
