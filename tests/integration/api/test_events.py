"""Every sam-local-invoke event under events/api runs through the handler with the expected status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.api import ApiHandlerClient
from tests.support.batch import BatchPath
from tests.support.moto import MotoHarness
from zstc.contract.request import ClassifyRequest

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events" / "api"

EXPECTED_STATUS = {
    "classify_single.json": 200,
    "classify_multi_label.json": 200,
    "classify_list.json": 200,
    "classify_invalid_json.json": 400,
    "classify_wrong_content_type.json": 415,
    "classify_empty_inputs.json": 422,
    "classify_duplicate_labels.json": 422,
    "classify_bad_template.json": 422,
    "classify_missing_parameters.json": 422,
    "classify_label_set_and_labels.json": 422,
    "classify_unknown_label_set.json": 404,
    "label_sets_create.json": 201,
    "label_sets_list.json": 200,
    "label_sets_show_unknown.json": 404,
    "label_sets_show_bad_version.json": 400,
    "label_sets_delete_unknown.json": 404,
    "health.json": 503,  # no endpoint exists in the emulator
    "openapi.json": 200,
    "swagger.json": 200,
    "unknown_route.json": 404,
}


def test_every_event_file_has_an_expectation() -> None:
    assert sorted(path.name for path in EVENTS_DIR.glob("*.json")) == sorted(EXPECTED_STATUS)


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_event_gets_the_expected_status(
    api: ApiHandlerClient, moto: MotoHarness, batch: BatchPath, name: str
) -> None:
    event = json.loads((EVENTS_DIR / name).read_text())
    if EXPECTED_STATUS[name] == 200 and event["path"] == "/classify":
        request = ClassifyRequest.model_validate_json(event["body"])
        labels = request.parameters.candidate_labels
        scores = [1.0 / len(labels)] * len(labels)
        answers = [{"sequence": text, "labels": labels, "scores": scores} for text in request.texts]
        moto.queue_endpoint_results([answers if request.is_batch else answers[0]])
    response = api.invoke(event)
    assert response.status == EXPECTED_STATUS[name], response.body
    if name == "health.json":
        assert response.body["status"] == "Missing"
    elif response.status >= 400:
        assert response.body["error"]["code"]
