"""The local endpoint speaks SageMaker's runtime protocol: real boto3 clients use it unchanged."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ApiFactory
from tests.support.moto import REGION
from tests.support.tiny_models import build_tiny_bart_nli
from zstc_engine.kernels import onednn_available
from zstc_engine.loading import load_classifier
from zstc_local.endpoint import LocalEndpoint

ENDPOINT = "zstc-test-endpoint"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEndpoint]:
    model_dir = build_tiny_bart_nli(tmp_path_factory.mktemp("endpoint") / "model")
    server = LocalEndpoint(load_classifier(model_dir), ENDPOINT, port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def runtime(endpoint: LocalEndpoint, aws_env: None) -> Any:
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=endpoint.url,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_invoke_endpoint_json(runtime: Any) -> None:
    body = {"inputs": "stay dedicated to yoga", "parameters": {"candidate_labels": ["Health", "Career"]}}
    response = runtime.invoke_endpoint(
        EndpointName=ENDPOINT,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps(body),
    )
    assert response["ContentType"] == "application/json"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    answer = json.loads(response["Body"].read())
    assert answer["sequence"] == "stay dedicated to yoga"
    assert sorted(answer["labels"]) == ["Career", "Health"]


def test_invoke_endpoint_json_lines_keeps_ids_and_order(runtime: Any) -> None:
    records = [
        {"id": i, "inputs": f"text {i}", "parameters": {"candidate_labels": ["a", "b"]}} for i in range(64)
    ]
    response = runtime.invoke_endpoint(
        EndpointName=ENDPOINT,
        ContentType="application/jsonlines",
        Accept="application/jsonlines",
        Body="\n".join(json.dumps(r) for r in records).encode(),
    )
    assert response["ContentType"] == "application/jsonlines"
    answers = [json.loads(line) for line in response["Body"].read().decode().splitlines()]
    assert [a["id"] for a in answers] == list(range(64))


def test_a_refused_record_is_a_model_error_naming_the_line(runtime: Any) -> None:
    body = json.dumps({"inputs": "x", "parameters": {"candidate_labels": ["a"]}}) + "\n{broken\n"
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName=ENDPOINT, ContentType="application/jsonlines", Body=body)
    error: dict[str, Any] = dict(caught.value.response)
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == 400
    assert "line 2: invalid JSON" in error["OriginalMessage"]


def test_unknown_endpoint_is_a_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName="nope", ContentType="application/json", Body=b"{}")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "Endpoint nope of account" in caught.value.response["Error"]["Message"]


def test_container_contract_ping_and_invocations(endpoint: LocalEndpoint) -> None:
    with urllib.request.urlopen(f"{endpoint.url}/ping", timeout=10) as response:
        assert response.status == 200
        ping = json.loads(response.read())
        assert ping["method"] == "nli"
        assert ping["precision"] == "fp32"  # what serves (zstc_engine.precision), default fp32
        assert ping["linear_kernel"] == endpoint.classifier.linear_kernel  # zstc_engine.kernels
        # the default `auto` picks the faster kernel on this CPU and says which, and why
        expected = ("onednn (auto ", "default (auto oneDNN ") if onednn_available() else ("default",)
        assert ping["linear_kernel"].startswith(expected)
    request = urllib.request.Request(
        f"{endpoint.url}/invocations",
        data=json.dumps({"inputs": "x", "parameters": {"candidate_labels": ["a", "b"]}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["sequence"] == "x"
    bad = urllib.request.Request(
        f"{endpoint.url}/invocations", data=b"{}", headers={"Content-Type": "text/csv"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(bad, timeout=10)
    assert caught.value.code == 400
    assert "unsupported content type text/csv" in caught.value.read().decode()


def test_api_handler_classifies_through_the_local_endpoint(
    endpoint: LocalEndpoint, make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the api function pointed at the local endpoint by the standard variable only
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", endpoint.url)
    api = make_api(ENDPOINT_NAME=ENDPOINT)
    ok = api.classify({"inputs": "run every day", "parameters": {"candidate_labels": ["Health", "Humor"]}})
    assert ok.status == 200, ok.body
    assert ok.body["sequence"] == "run every day"
