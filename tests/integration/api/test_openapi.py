"""GET /openapi.json documents exactly the answers the API gives, route by route.

Every documented status of every route is provoked here through the real handler (moto server, and
a stand-in SageMaker for the endpoint failures) and every provoked status is documented: a route
that starts answering a new status, or a schema that documents one it never sends, fails the test.
Every documented error answer is the ``ErrorResponse`` body the API really sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest

from tests.conftest import ENDPOINT_NAME, ApiFactory
from tests.support.api import ApiHandlerClient, ApiResponse
from tests.support.batch import BatchPath, engine_answers, play_sagemaker
from tests.support.fake_sagemaker import CannedAnswer, FakeSageMaker
from tests.support.moto import REGION, MotoHarness
from zstc.contract.errors import ErrorResponse
from zstc.core import limits
from zstc_engine.classifier import Classifier
from zstc_local.api_gateway import proxy_event

PAYLOAD = {"inputs": "stay dedicated to yoga", "parameters": {"candidate_labels": ["Health", "Career"]}}
ANSWER = {"sequence": PAYLOAD["inputs"], "labels": ["Health", "Career"], "scores": [0.9, 0.1]}
JOB = {"format": "csv", "candidate_labels": ["Health", "Career"]}
LABEL_SET = {"name": "goals", "parameters": {"candidate_labels": ["Health", "Career"]}}


@dataclass
class World:
    """What a case may use: the api handler, the batch handlers, the stand-in SageMaker (or None)."""

    api: ApiHandlerClient
    batch: BatchPath | None = None
    sagemaker: FakeSageMaker | None = None
    minilm: Classifier | None = None

    def job(self) -> str:
        created = self.api.request("POST", "/jobs", json_body=JOB)
        assert created.status == 201, created.body
        return str(created.body["job_id"])

    def label_set(self) -> str:
        created = self.api.request("POST", "/label-sets", json_body=LABEL_SET)
        assert created.status == 201, created.body
        return str(created.body["name"])

    def completed_job(self) -> str:
        assert self.batch is not None
        assert self.minilm is not None
        created = self.api.request("POST", "/jobs", json_body={**JOB, "id_column": "id"}).body
        outcome = self.batch.upload(created["upload"]["key"], b"id,text\n1,run a marathon\n")
        assert outcome == {"outcomes": ["started"]}, outcome
        play_sagemaker(created["job_id"], engine_answers(self.minilm))
        name = get(self.api, f"/jobs/{created['job_id']}").body["transform_job_name"]
        assert self.batch.state_change(name, "Completed") == "completed"
        return str(created["job_id"])


def _post(path: str, **kwargs: Any) -> Callable[[World], ApiResponse]:
    return lambda world: world.api.request("POST", path, **kwargs)


def get(api: ApiHandlerClient, path: str, method: str = "GET") -> ApiResponse:
    """GET (or another method) as API Gateway delivers it: resource, path parameters, query filled in."""
    path, _, query = path.partition("?")
    parts = path.strip("/").split("/")
    name = "job_id" if parts[0] == "jobs" else "name"
    resource = "/" + "/".join(f"{{{name}}}" if index == 1 else part for index, part in enumerate(parts))
    parameters = {name: parts[1]} if len(parts) > 1 else None
    return api.invoke(
        proxy_event(method, path, resource=resource, query=parse_qs(query), path_parameters=parameters)
    )


def _get(path: str) -> Callable[[World], ApiResponse]:
    return lambda world: get(world.api, path)


def _classify_with(answer: CannedAnswer) -> Callable[[World], ApiResponse]:
    def provoke(world: World) -> ApiResponse:
        assert world.sagemaker is not None
        world.sagemaker.answer = answer
        return world.api.classify(PAYLOAD)

    return provoke


def _healthy(world: World) -> ApiResponse:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model(
        ModelName="m", ExecutionRoleArn="arn:aws:iam::123456789012:role/r", PrimaryContainer={"Image": "i"}
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}
        ],
    )
    sagemaker.create_endpoint(EndpointName=ENDPOINT_NAME, EndpointConfigName="c")
    return get(world.api, "/health")


TOO_LARGE = "x" * (limits.MAX_BODY_BYTES + 1)
# (method, route as documented, status) -> how to provoke it; "fake": needs the stand-in SageMaker,
# "batch": needs the batch resources (table, bucket) and handlers.
CASES: dict[tuple[str, str, int], tuple[Callable[[World], ApiResponse], str]] = {
    ("post", "/classify", 200): (_classify_with(CannedAnswer(200, ANSWER)), "fake"),
    ("post", "/classify", 400): (
        _post("/classify", body="{", headers={"Content-Type": "application/json"}),
        "",
    ),
    ("post", "/classify", 413): (
        _post("/classify", body=TOO_LARGE, headers={"Content-Type": "application/json"}),
        "",
    ),
    ("post", "/classify", 415): (_post("/classify", body="{}", headers={"Content-Type": "text/plain"}), ""),
    ("post", "/classify", 422): (_post("/classify", json_body={"inputs": "x", "parameters": {}}), ""),
    ("post", "/classify", 429): (
        _classify_with(CannedAnswer(400, {"message": "Rate exceeded"}, "ThrottlingException")),
        "fake",
    ),
    ("post", "/classify", 502): (
        _classify_with(CannedAnswer(424, {"Message": "boom", "OriginalStatusCode": 500}, "ModelError")),
        "fake",
    ),
    ("post", "/classify", 503): (
        _classify_with(CannedAnswer(503, {"message": "unavailable"}, "ServiceUnavailable")),
        "fake",
    ),
    ("post", "/classify", 504): (_classify_with(CannedAnswer(200, ANSWER, None, delay_seconds=2.5)), "fake"),
    ("post", "/classify", 404): (
        _post("/classify", json_body={"inputs": "x", "parameters": {"label_set": "nope"}}),
        "batch",
    ),
    ("get", "/health", 200): (_healthy, ""),
    ("get", "/health", 503): (_get("/health"), ""),
    ("post", "/jobs", 201): (_post("/jobs", json_body=JOB), "batch"),
    ("post", "/jobs", 400): (_post("/jobs", body="{", headers={"Content-Type": "application/json"}), "batch"),
    ("post", "/jobs", 413): (
        _post("/jobs", body=TOO_LARGE, headers={"Content-Type": "application/json"}),
        "batch",
    ),
    ("post", "/jobs", 415): (_post("/jobs", body="{}", headers={"Content-Type": "text/csv"}), "batch"),
    ("post", "/jobs", 422): (_post("/jobs", json_body={"format": "csv"}), "batch"),
    ("post", "/jobs", 404): (_post("/jobs", json_body={"format": "csv", "label_set": "nope@2"}), "batch"),
    ("post", "/label-sets", 201): (_post("/label-sets", json_body=LABEL_SET), "batch"),
    ("post", "/label-sets", 200): (
        lambda w: (w.label_set(), w.api.request("POST", "/label-sets", json_body=LABEL_SET))[1],
        "batch",
    ),
    ("post", "/label-sets", 400): (
        _post("/label-sets", body="{", headers={"Content-Type": "application/json"}),
        "batch",
    ),
    ("post", "/label-sets", 409): (
        _post("/label-sets", json_body={**LABEL_SET, "expected_version": 4}),
        "batch",
    ),
    ("post", "/label-sets", 413): (
        _post("/label-sets", body=TOO_LARGE, headers={"Content-Type": "application/json"}),
        "batch",
    ),
    ("post", "/label-sets", 415): (
        _post("/label-sets", body="{}", headers={"Content-Type": "text/csv"}),
        "batch",
    ),
    ("post", "/label-sets", 422): (_post("/label-sets", json_body={"name": "goals"}), "batch"),
    ("get", "/label-sets", 200): (_get("/label-sets"), "batch"),
    ("get", "/label-sets", 400): (_get("/label-sets?next_token=bm90LWEtdG9rZW4"), "batch"),
    ("get", "/label-sets", 422): (_get("/label-sets?limit=0"), "batch"),
    ("get", "/label-sets/{name}", 200): (lambda w: get(w.api, f"/label-sets/{w.label_set()}"), "batch"),
    ("get", "/label-sets/{name}", 404): (_get("/label-sets/nope"), "batch"),
    ("get", "/label-sets/{name}", 400): (_get("/label-sets/goals?version=x"), "batch"),
    ("get", "/label-sets/{name}", 422): (_get("/label-sets/goals?version=0"), "batch"),
    ("delete", "/label-sets/{name}", 200): (
        lambda w: get(w.api, f"/label-sets/{w.label_set()}", "DELETE"),
        "batch",
    ),
    ("delete", "/label-sets/{name}", 404): (lambda w: get(w.api, "/label-sets/nope", "DELETE"), "batch"),
    ("get", "/jobs", 200): (_get("/jobs"), "batch"),
    ("get", "/jobs", 400): (_get("/jobs?next_token=bm90LWEtdG9rZW4"), "batch"),
    ("get", "/jobs", 422): (_get("/jobs?limit=0"), "batch"),
    ("get", "/jobs/{job_id}", 200): (lambda w: get(w.api, f"/jobs/{w.job()}"), "batch"),
    ("get", "/jobs/{job_id}", 404): (_get("/jobs/0123456789abcdef"), "batch"),
    ("get", "/jobs/{job_id}/results", 200): (
        lambda w: get(w.api, f"/jobs/{w.completed_job()}/results"),
        "batch",
    ),
    ("get", "/jobs/{job_id}/results", 400): (
        lambda w: get(w.api, f"/jobs/{w.completed_job()}/results?next_token=bm90LWEtdG9rZW4"),
        "batch",
    ),
    ("get", "/jobs/{job_id}/results", 404): (_get("/jobs/0123456789abcdef/results"), "batch"),
    ("get", "/jobs/{job_id}/results", 409): (lambda w: get(w.api, f"/jobs/{w.job()}/results"), "batch"),
    ("get", "/jobs/{job_id}/results", 422): (_get("/jobs/0123456789abcdef/results?limit=0"), "batch"),
}


def _documented(schema: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {
        (method, path, int(status))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }


@pytest.fixture
def schema(moto: MotoHarness, make_api: ApiFactory) -> dict[str, Any]:
    response = make_api().request("GET", "/openapi.json")
    assert response.status == 200
    document: dict[str, Any] = response.body if isinstance(response.body, dict) else json.loads(response.body)
    return document


def test_every_documented_answer_is_provoked_and_every_provoked_answer_is_documented(
    schema: dict[str, Any],
) -> None:
    assert _documented(schema) == set(CASES)


def test_error_answers_are_documented_as_the_error_body_the_api_sends(schema: dict[str, Any]) -> None:
    text = json.dumps(schema)
    assert "HTTPValidationError" not in text
    assert '"detail"' not in text
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and (method, path) != ("get", "/health"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorResponse", (method, path, status)


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda case: f"{case[0]} {case[1]} {case[2]}")
def test_the_api_answers_each_documented_status(
    case: tuple[str, str, int],
    moto: MotoHarness,
    make_api: ApiFactory,
    request: pytest.FixtureRequest,
) -> None:
    provoke, needs = CASES[case]
    world = World(api=make_api())
    if needs == "fake":
        world.sagemaker = request.getfixturevalue("fake_sagemaker")
        world.api = make_api(ENDPOINT_READ_TIMEOUT_SECONDS="1")
    elif needs == "batch":
        world.batch = request.getfixturevalue("batch")
        world.minilm = request.getfixturevalue("minilm")
        world.api = make_api()
    # When the case's request is sent
    response = provoke(world)
    # Then the status is the documented one, and an error carries the documented error body
    assert response.status == case[2], response.body
    if case[2] >= 400 and case[1] != "/health":
        ErrorResponse.model_validate(response.body)
