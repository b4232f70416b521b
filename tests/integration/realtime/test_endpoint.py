"""Endpoint failures map to the documented status codes (real boto3 parsing real error responses)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.conftest import ENDPOINT_NAME, ApiFactory
from tests.support.fake_sagemaker import CannedAnswer, FakeSageMaker
from tests.support.moto import REGION, MotoHarness, free_port

PAYLOAD = {"inputs": "stay dedicated to yoga", "parameters": {"candidate_labels": ["Health", "Career"]}}


@pytest.mark.parametrize(
    ("answer", "status", "code", "says"),
    [
        (
            CannedAnswer(
                424,
                {"Message": "Received client error (400) from primary", "OriginalStatusCode": 400},
                "ModelError",
            ),
            422,
            "model_refused_request",
            "container status 400",
        ),
        (
            CannedAnswer(
                424,
                {"Message": "Received server error (500) from primary", "OriginalStatusCode": 500},
                "ModelError",
            ),
            502,
            "model_error",
            "container status 500",
        ),
        (CannedAnswer(400, {"message": "Rate exceeded"}, "ThrottlingException"), 429, "throttled", "retry"),
        (
            CannedAnswer(
                400,
                {"message": f"Endpoint {ENDPOINT_NAME} of account 123456789012 not found."},
                "ValidationError",
            ),
            503,
            "endpoint_unavailable",
            "does not exist",
        ),
        (
            CannedAnswer(503, {"message": "Service is unavailable"}, "ServiceUnavailable"),
            503,
            "endpoint_unavailable",
            "not ready",
        ),
        (
            CannedAnswer(500, {"message": "Internal failure"}, "InternalFailure"),
            502,
            "invalid_model_response",
            "InternalFailure",
        ),
        (
            CannedAnswer(200, {}, None, delay_seconds=3.0),
            504,
            "endpoint_timeout",
            "did not answer within 1 s",
        ),
    ],
    ids=[
        "model-refused",
        "model-error",
        "throttling",
        "endpoint-missing",
        "service-unavailable",
        "internal-failure",
        "read-timeout",
    ],
)
def test_endpoint_failures_map_to_status_codes(
    fake_sagemaker: FakeSageMaker,
    make_api: ApiFactory,
    answer: CannedAnswer,
    status: int,
    code: str,
    says: str,
) -> None:
    # Given SageMaker answers InvokeEndpoint with a failure
    fake_sagemaker.answer = answer
    api = make_api(ENDPOINT_READ_TIMEOUT_SECONDS="1")
    # When a valid request is classified
    response = api.classify(PAYLOAD)
    # Then the client gets the mapped status with a JSON error body
    assert response.status == status, response.body
    assert response.body["error"]["code"] == code
    assert says in response.body["error"]["message"]
    assert fake_sagemaker.requests == [f"/endpoints/{ENDPOINT_NAME}/invocations"]


def test_unreachable_runtime_is_a_503(make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the runtime URL points at a closed port
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", f"http://127.0.0.1:{free_port()}")
    response = make_api().classify(PAYLOAD)
    assert response.status == 503, response.body
    assert response.body["error"]["code"] == "endpoint_unavailable"


def _create_endpoint(moto: MotoHarness) -> None:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model(
        ModelName="zstc-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/zstc-sagemaker",
        PrimaryContainer={
            "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1"
        },
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="zstc-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "zstc-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=ENDPOINT_NAME, EndpointConfigName="zstc-config")


def test_health_is_200_when_the_endpoint_is_in_service(moto: MotoHarness, make_api: ApiFactory) -> None:
    _create_endpoint(moto)
    response = make_api().request("GET", "/health")
    assert response.status == 200, response.body
    assert response.body == {"endpoint_name": ENDPOINT_NAME, "status": "InService", "ready": True}


def test_health_is_503_when_the_endpoint_is_missing(moto: MotoHarness, make_api: ApiFactory) -> None:
    response = make_api().request("GET", "/health")
    assert response.status == 503, response.body
    assert response.body == {"endpoint_name": ENDPOINT_NAME, "status": "Missing", "ready": False}


@pytest.mark.parametrize("status", ["Creating", "Updating", "Failed"])
def test_health_is_503_when_the_endpoint_is_not_in_service(
    fake_sagemaker: FakeSageMaker, make_api: ApiFactory, status: str
) -> None:
    describe: dict[str, Any] = {
        "EndpointName": ENDPOINT_NAME,
        "EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT_NAME}",
        "EndpointConfigName": "zstc-config",
        "EndpointStatus": status,
        "CreationTime": 1700000000,
        "LastModifiedTime": 1700000000,
    }
    fake_sagemaker.answer = CannedAnswer(200, describe)
    response = make_api().request("GET", "/health")
    assert response.status == 503
    assert response.body["status"] == status
    assert response.body["ready"] is False
