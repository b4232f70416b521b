"""The /label-sets routes, and /classify and POST /jobs naming a set, through the api handler on a real
moto server (DynamoDB, S3) and the offline MiniLM behind a local endpoint."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, quote

import boto3
import pytest

from tests.support.api import ApiHandlerClient, ApiResponse
from tests.support.batch import BUCKET, BatchPath, read_json_lines
from tests.support.moto import REGION
from zstc.batch.layout import shard_key
from zstc.core import limits
from zstc.labelsets import layout
from zstc_local.api_gateway import proxy_event

LABELS = ["Health", "Career", "Finance"]
TEXT = "run a marathon and eat more vegetables"


def call(api: ApiHandlerClient, method: str, path: str, body: Any = None) -> ApiResponse:
    """``method path`` as API Gateway delivers it: resource and path parameters filled in."""
    path, _, query = path.partition("?")
    parts = path.strip("/").split("/")
    resource, parameters = path, None
    if len(parts) == 2 and parts[0] == "label-sets":
        resource, parameters = "/label-sets/{name}", {"name": parts[1]}
    if body is not None:
        return api.invoke(
            proxy_event(
                method,
                path,
                resource=resource,
                body=json.dumps(body),
                headers={"Content-Type": "application/json"},
                path_parameters=parameters,
            )
        )
    return api.invoke(
        proxy_event(method, path, resource=resource, query=parse_qs(query), path_parameters=parameters)
    )


def create(api: ApiHandlerClient, name: str = "goals", **parameters: Any) -> ApiResponse:
    extra = {key: parameters.pop(key) for key in ("note", "expected_version") if key in parameters}
    return call(
        api,
        "POST",
        "/label-sets",
        {"name": name, "parameters": {"candidate_labels": LABELS, **parameters}, **extra},
    )


@pytest.fixture
def api(minilm_api: ApiHandlerClient, batch: BatchPath) -> ApiHandlerClient:
    return minilm_api


def test_a_set_round_trip_create_versions_show_list_delete(api: ApiHandlerClient) -> None:
    # Given a set created twice with different content, and once more with the second content (a retry)
    first = create(api, threshold=0.5, note="first cut")
    second = create(api, threshold=0.7)
    retry = create(api, threshold=0.7)
    assert (first.status, first.body["label_set"]) == (201, "goals@1")
    assert (second.status, second.body["label_set"]) == (201, "goals@2")
    assert (retry.status, retry.body["label_set"]) == (200, "goals@2")

    # Then the latest is 2, version 1 is as it was, and the listing shows the set once
    assert call(api, "GET", "/label-sets/goals").body["version"] == 2
    old = call(api, "GET", "/label-sets/goals?version=1").body
    assert old["parameters"] == {"candidate_labels": LABELS, "multi_label": False, "threshold": 0.5}
    assert old["note"] == "first cut"
    listing = call(api, "GET", "/label-sets").body
    assert [(s["name"], s["latest_version"], s["labels"]) for s in listing["label_sets"]] == [("goals", 2, 3)]

    # When it is deleted, then it is gone for every reference, and its name starts after version 2
    deleted = call(api, "DELETE", "/label-sets/goals")
    assert (deleted.status, deleted.body) == (200, {"name": "goals", "deleted_versions": 2})
    for path in ["/label-sets/goals", "/label-sets/goals?version=1"]:
        assert call(api, "GET", path).status == 404
    assert call(api, "DELETE", "/label-sets/goals").status == 404
    assert call(api, "GET", "/label-sets").body["label_sets"] == []
    assert create(api).body["label_set"] == "goals@3"


def test_classify_with_a_set_scores_its_labels_and_honours_name_at_version(api: ApiHandlerClient) -> None:
    create(api, hypothesis_template="This text is about {}.")
    create(api, candidate_labels=["Sports", "Cooking"])
    latest = api.classify({"inputs": TEXT, "parameters": {"label_set": "goals"}})
    pinned = api.classify({"inputs": [TEXT], "parameters": {"label_set": "goals@1", "top_k": 2}})
    direct = api.classify(
        {
            "inputs": [TEXT],
            "parameters": {
                "candidate_labels": LABELS,
                "hypothesis_template": "This text is about {}.",
                "top_k": 2,
            },
        }
    )
    assert latest.status == 200, latest.body
    assert sorted(latest.body["labels"]) == ["Cooking", "Sports"]
    assert pinned.status == 200, pinned.body
    assert pinned.body == direct.body


@pytest.mark.parametrize(
    ("parameters", "status", "loc"),
    [
        ({"label_set": "nope"}, 404, None),
        ({"label_set": "goals@7"}, 404, None),
        ({"label_set": "goals@seven"}, 422, ["body", "parameters", "label_set"]),
        ({"label_set": "goals", "candidate_labels": ["a"]}, 422, ["body", "parameters"]),
        ({"label_set": "goals", "threshold": 0.3}, 422, ["body", "parameters"]),
    ],
)
def test_classify_naming_a_missing_or_bad_set_is_refused_with_the_error_body(
    api: ApiHandlerClient, parameters: dict[str, Any], status: int, loc: list[str] | None
) -> None:
    create(api)
    response = api.classify({"inputs": TEXT, "parameters": parameters})
    assert response.status == status, response.body
    assert response.body["error"]["code"] == ("not_found" if status == 404 else "validation_error")
    if loc is not None:
        assert response.body["error"]["details"][0]["loc"] == loc


def test_a_job_records_its_version_and_keeps_it_after_the_set_is_deleted(
    api: ApiHandlerClient, batch: BatchPath
) -> None:
    # Given a job created with the latest version of a set
    create(api, threshold=0.1)
    create(api, threshold=0.2)
    job = call(api, "POST", "/jobs", {"format": "csv", "label_set": "goals", "top_k": 2})
    pinned = call(api, "POST", "/jobs", {"format": "csv", "label_set": "goals@1"})
    assert job.status == 201, job.body
    assert (job.body["label_set"], pinned.body["label_set"]) == ("goals@2", "goals@1")

    # When the set is deleted
    assert call(api, "DELETE", "/label-sets/goals").status == 200

    # Then the job still shows its version and runs with the parameters it copied
    assert call(api, "GET", f"/jobs/{job.body['job_id']}").body["label_set"] == "goals@2"
    outcome = batch.upload(job.body["upload"]["key"], f"text\n{TEXT}\n".encode())
    assert outcome == {"outcomes": ["started"]}, outcome
    staged = (
        boto3.client("s3", region_name=REGION)
        .get_object(Bucket=BUCKET, Key=shard_key(job.body["job_id"], 0))["Body"]
        .read()
    )
    parameters = read_json_lines(staged)[0]["parameters"]
    assert (parameters["candidate_labels"], parameters["threshold"], parameters["top_k"]) == (LABELS, 0.2, 2)

    # And a new job naming it is a 404
    again = call(api, "POST", "/jobs", {"format": "csv", "label_set": "goals"})
    assert again.status == 404, again.body


def test_a_set_too_large_for_one_item_is_stored_in_the_bucket_under_its_prefix(api: ApiHandlerClient) -> None:
    labels = [f"label {index:03d} " + "x" * 86 for index in range(limits.MAX_LABELS)]
    descriptions = dict.fromkeys(labels, "d" * limits.MAX_DESCRIPTION_CHARS)
    created = create(api, "big", candidate_labels=labels, label_descriptions=descriptions)
    assert created.status == 201, created.body
    s3 = boto3.client("s3", region_name=REGION)
    keys = [
        item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=layout.LABEL_SETS_PREFIX)["Contents"]
    ]
    assert keys == [layout.version_key("big", 1)]
    shown = call(api, "GET", "/label-sets/big").body
    assert shown["parameters"]["label_descriptions"] == descriptions
    assert call(api, "DELETE", "/label-sets/big").status == 200
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=layout.LABEL_SETS_PREFIX)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/label-sets/goals?version=x", None, 400),
        ("GET", "/label-sets/goals?version=0", None, 422),
        ("GET", "/label-sets/" + quote("../jobs", safe=""), None, 404),
        ("GET", "/label-sets?next_token=bm90LWEtdG9rZW4", None, 400),
        ("GET", "/label-sets?limit=0", None, 422),
        (
            "POST",
            "/label-sets",
            {"name": "goals", "parameters": {"candidate_labels": ["a"], "top_k": 1}},
            422,
        ),
        (
            "POST",
            "/label-sets",
            {"name": "goals", "parameters": {"candidate_labels": ["a"]}, "expected_version": 3},
            409,
        ),
    ],
)
def test_failures_of_the_label_set_routes_are_error_bodies(
    api: ApiHandlerClient, method: str, path: str, body: Any, status: int
) -> None:
    create(api)
    response = call(api, method, path, body)
    assert response.status == status, response.body
    assert response.body["error"]["code"]


def test_the_listing_pages_by_name(api: ApiHandlerClient) -> None:
    for name in ["b", "a", "c"]:
        create(api, name)
    first = call(api, "GET", "/label-sets?limit=2").body
    second = call(api, "GET", f"/label-sets?limit=2&next_token={first['next_token']}").body
    assert [s["name"] for s in first["label_sets"] + second["label_sets"]] == ["a", "b", "c"]
    assert second["next_token"] is None
