"""POST /classify with many labels: up to 500, shortlist and top_k, through the api handler and moto."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.support.api import ApiHandlerClient
from tests.support.moto import MotoHarness
from zstc.core import limits

MANY = [f"intent {index}" for index in range(limits.MAX_LABELS)]


def _shortlisted_answer(text: str, labels: list[str], k: int) -> dict[str, Any]:
    """What the engine answers with a shortlist of k: k scored labels, then the rest at 0."""
    scores = [0.5, *[0.5 / (k - 1)] * (k - 1), *[0.0] * (len(labels) - k)]
    return {"sequence": text, "labels": labels, "scores": scores, "shortlist": labels[:k]}


def test_500_labels_are_accepted_and_each_texts_shortlist_is_returned(
    api: ApiHandlerClient, moto: MotoHarness
) -> None:
    # Given an endpoint whose default shortlist sizes itself per text: 12 labels of 500 for a text its
    # retriever is sure about, the most (the budget's) for an ambiguous one
    texts = ["where is the card you sent me? (many labels)", "something about money? (many labels)"]
    sizes = [12, limits.DEFAULT_SHORTLIST_MAX_K]
    moto.queue_endpoint_results(
        [[_shortlisted_answer(text, MANY, k) for text, k in zip(texts, sizes, strict=True)]]
    )
    # When a client asks with 500 labels
    response = api.classify({"inputs": texts, "parameters": {"candidate_labels": MANY}})
    # Then each answer lists every label and names its own scored ones
    assert response.status == 200, response.body
    for answer, k in zip(response.body, sizes, strict=True):
        assert len(answer["labels"]) == limits.MAX_LABELS
        assert answer["shortlist"] == MANY[:k]
        assert answer["scores"][k:] == [0.0] * (limits.MAX_LABELS - k)


def test_top_k_answers_list_the_best_labels_only(api: ApiHandlerClient, moto: MotoHarness) -> None:
    text = "top k (many labels)"
    answer = _shortlisted_answer(text, MANY, 8)
    answer.update(labels=answer["labels"][:3], scores=answer["scores"][:3])
    moto.queue_endpoint_results([answer])
    response = api.classify(
        {"inputs": text, "parameters": {"candidate_labels": MANY, "shortlist": 8, "top_k": 3}}
    )
    assert response.status == 200, response.body
    assert response.body["labels"] == MANY[:3]


@pytest.mark.parametrize(
    ("case", "parameters", "field", "says"),
    [
        ("501-labels", {"candidate_labels": [*MANY, "one more"]}, "candidate_labels", "limit is 500"),
        ("shortlist-zero", {"candidate_labels": MANY, "shortlist": 0}, "shortlist", "greater than or equal"),
        ("shortlist-true", {"candidate_labels": MANY, "shortlist": True}, "shortlist", ""),
        ("top-k-string", {"candidate_labels": MANY, "top_k": "3"}, "top_k", ""),
        (
            "every-label-over-budget",
            {"candidate_labels": MANY, "shortlist": False},
            "inputs",
            "premise/hypothesis pairs; the limit is 256",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else "",
)
def test_bad_many_label_requests_are_422s_naming_the_field(
    api: ApiHandlerClient, moto: MotoHarness, case: str, parameters: dict[str, Any], field: str, says: str
) -> None:
    response = api.classify({"inputs": f"x ({case})", "parameters": parameters})
    assert response.status == 422, response.body
    error = response.body["error"]
    assert field in error["message"] or any(field in map(str, d["loc"]) for d in error["details"])
    assert says in error["message"]


def test_an_answer_scoring_a_label_outside_its_shortlist_is_a_502(
    api: ApiHandlerClient, moto: MotoHarness
) -> None:
    text = "bad shortlist (many labels)"
    answer = _shortlisted_answer(text, MANY, 4)
    answer["shortlist"] = MANY[:3]  # the fourth label has a score but was not scored
    moto.queue_endpoint_results([answer])
    response = api.classify({"inputs": text, "parameters": {"candidate_labels": MANY, "shortlist": 4}})
    assert response.status == 502, response.body
    assert "outside the shortlist" in response.body["error"]["message"]


LABELS = ["Health", "Humor", "Personal Growth"]


def _payload(inputs: Any, **parameters: Any) -> dict[str, Any]:
    return {"inputs": inputs, "parameters": {"candidate_labels": LABELS, **parameters}}


def _answer(text: str, scores: dict[str, float]) -> dict[str, Any]:
    return {"sequence": text, "labels": list(scores), "scores": list(scores.values())}


def test_single_text_returns_labels_sorted_by_score(api: ApiHandlerClient, moto: MotoHarness) -> None:
    # Given the endpoint answers with labels in an arbitrary order
    text = "read more books and do yoga every morning (single)"
    moto.queue_endpoint_results([_answer(text, {"Humor": 0.1, "Health": 0.6, "Personal Growth": 0.3})])
    # When a client classifies one text
    response = api.classify(_payload(text))
    # Then it gets one classification, best label first
    assert response.status == 200, response.body
    assert response.body == {
        "sequence": text,
        "labels": ["Health", "Personal Growth", "Humor"],
        "scores": [0.6, 0.3, 0.1],
    }


def test_list_input_returns_a_list_in_input_order(api: ApiHandlerClient, moto: MotoHarness) -> None:
    texts = ["save money for a house (list 1)", "laugh more at bad jokes (list 2)"]
    moto.queue_endpoint_results(
        [
            [
                _answer(texts[0], {"Health": 0.2, "Humor": 0.1, "Personal Growth": 0.7}),
                _answer(texts[1], {"Health": 0.1, "Humor": 0.8, "Personal Growth": 0.1}),
            ]
        ]
    )
    response = api.classify(_payload(texts, candidate_labels="Health, Humor, Personal Growth"))
    assert response.status == 200, response.body
    assert [item["sequence"] for item in response.body] == texts
    assert [item["labels"][0] for item in response.body] == ["Personal Growth", "Humor"]


def test_multi_label_scores_are_independent(api: ApiHandlerClient, moto: MotoHarness) -> None:
    text = "run a marathon and laugh about it (multi)"
    moto.queue_endpoint_results([_answer(text, {"Health": 0.9, "Humor": 0.7, "Personal Growth": 0.4})])
    response = api.classify(_payload(text, multi_label=True))
    assert response.status == 200, response.body
    assert response.body["scores"] == [0.9, 0.7, 0.4]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("not json at all", "not JSON"),
        ({"sequence": "wrong text", "labels": LABELS, "scores": [0.5, 0.3, 0.2]}, "different text"),
        (
            {"sequence": "{text}", "labels": ["Health", "Humor"], "scores": [0.5, 0.5]},
            "exactly the candidate labels",
        ),
        ({"sequence": "{text}", "labels": LABELS, "scores": [0.5, 0.3]}, "malformed"),
        ({"sequence": "{text}", "labels": LABELS, "scores": [2.0, 0.3, 0.2]}, "malformed"),
        ([], "0 classifications for 1 texts"),
    ],
    ids=["not-json", "wrong-sequence", "missing-label", "short-scores", "score-out-of-range", "empty-list"],
)
def test_malformed_model_answer_is_a_502(
    api: ApiHandlerClient, moto: MotoHarness, answer: Any, says: str, request: pytest.FixtureRequest
) -> None:
    # Given an endpoint whose answer does not match the request
    text = f"a text for {request.node.name}"
    if isinstance(answer, dict):
        answer = json.loads(json.dumps(answer).replace("{text}", text))
    body = answer if not isinstance(answer, str) else None
    if body is None:
        moto._post("/moto-api/static/sagemaker/endpoint-results", {"results": [{"Body": answer}]})
    else:
        moto.queue_endpoint_results([body])
    # When the client classifies
    response = api.classify(_payload(text))
    # Then the answer is not passed through: 502 with a reason
    assert response.status == 502, response.body
    assert response.body["error"]["code"] in {"invalid_model_response"}
    assert says in response.body["error"]["message"]


BAD_REQUESTS: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("empty-inputs", {"json": _payload("")}, 422, "inputs", "inputs is empty"),
    (
        "missing-inputs",
        {"json": {"parameters": {"candidate_labels": LABELS}}},
        422,
        "inputs",
        "Field required",
    ),
    ("empty-list-inputs", {"json": _payload([])}, 422, "inputs", "at least one text"),
    (
        "empty-labels",
        {"json": _payload("x", candidate_labels=[])},
        422,
        "candidate_labels",
        "at least one label",
    ),
    (
        "blank-label",
        {"json": _payload("x", candidate_labels="a,,b")},
        422,
        "candidate_labels",
        "[1] is empty",
    ),
    (
        "duplicate-labels",
        {"json": _payload("x", candidate_labels=["a", "a"])},
        422,
        "candidate_labels",
        "repeats",
    ),
    (
        "too-many-labels",
        {"json": _payload("x", candidate_labels=[f"l{i}" for i in range(limits.MAX_LABELS + 1)])},
        422,
        "candidate_labels",
        f"limit is {limits.MAX_LABELS}",
    ),
    (
        "too-many-texts",
        {"json": _payload(["t"] * (limits.MAX_TEXTS_PER_REQUEST + 1))},
        422,
        "inputs",
        f"limit is {limits.MAX_TEXTS_PER_REQUEST}",
    ),
    (
        "text-too-long",
        {"json": _payload(["ok", "x" * (limits.MAX_TEXT_CHARS + 1)])},
        422,
        "inputs",
        "inputs[1] has",
    ),
    (
        "template-without-placeholder",
        {"json": _payload("x", hypothesis_template="This example is.")},
        422,
        "hypothesis_template",
        "exactly one {}",
    ),
    (
        "template-two-placeholders",
        {"json": _payload("x", hypothesis_template="{} is {}")},
        422,
        "hypothesis_template",
        "exactly one {}",
    ),
    (
        "invalid-json",
        {"body": '{"inputs": "x", ', "content_type": "application/json"},
        400,
        "body",
        "not valid JSON",
    ),
    (
        "wrong-content-type",
        {"body": json.dumps(_payload("x")), "content_type": "text/plain"},
        415,
        "Content-Type",
        "text/plain",
    ),
    (
        "form-content-type",
        {"body": "inputs=x", "content_type": "application/x-www-form-urlencoded"},
        415,
        "Content-Type",
        "application/x-www-form-urlencoded",
    ),
    (
        "body-over-limit",
        {"body": json.dumps(_payload("x")) + " " * limits.MAX_BODY_BYTES, "content_type": "application/json"},
        413,
        "body",
        f"limit is {limits.MAX_BODY_BYTES}",
    ),
    ("empty-body", {"body": None, "content_type": "application/json"}, 422, "body", "body is required"),
    ("not-an-object", {"json": ["x"]}, 422, "body", "dictionary or object"),
]


@pytest.mark.parametrize(
    ("case", "request_args", "status", "field", "says"), BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS]
)
def test_bad_input_is_a_4xx_that_names_the_field(
    api: ApiHandlerClient,
    moto: MotoHarness,
    case: str,
    request_args: dict[str, Any],
    status: int,
    field: str,
    says: str,
) -> None:
    # Given a bad request, When it is sent, Then a 4xx JSON error names the field and the problem
    if "json" in request_args:
        response = api.classify(request_args["json"])
    else:
        response = api.request(
            "POST",
            "/classify",
            body=request_args["body"],
            headers={"Content-Type": request_args["content_type"]},
        )
    assert response.status == status, response.body
    error = response.body["error"]
    assert error["code"]
    assert field in error["message"] or any(field in map(str, d["loc"]) for d in error["details"])
    assert says in error["message"]


def test_unknown_route_is_a_json_404(api: ApiHandlerClient) -> None:
    response = api.request("GET", "/nope")
    assert response.status == 404
    assert response.body["error"]["code"] == "not_found"


def test_request_text_never_reaches_the_logs(
    api: ApiHandlerClient,
    moto: MotoHarness,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a text with a marker that must not be logged
    secret = "SECRET-MARKER-4711 my private resolution"
    moto.queue_endpoint_results([_answer(secret, {"Health": 0.5, "Humor": 0.25, "Personal Growth": 0.25})])
    # When it is classified (and when a request with it fails validation)
    with caplog.at_level(logging.DEBUG):
        assert api.classify(_payload(secret)).status == 200
        assert api.classify(_payload(secret, candidate_labels=["dup", "dup"])).status == 422
    # Then log records and metrics carry counts, never the text
    records = [record for record in caplog.records if record.name.startswith("zstc")]
    assert any(getattr(record, "texts", None) == 1 for record in records)
    for record in records:
        assert "SECRET-MARKER-4711" not in json.dumps(record.__dict__, default=str)
    output = capsys.readouterr()
    assert "SECRET-MARKER-4711" not in output.out + output.err


def test_openapi_schema_and_swagger_ui_are_served(api: ApiHandlerClient) -> None:
    schema = api.request("GET", "/openapi.json")
    assert schema.status == 200
    classify = schema.body["paths"]["/classify"]["post"]
    assert set(classify["responses"]) >= {"200", "400", "413", "415", "422", "429", "502", "503", "504"}
    assert "ClassifyBody" in schema.body["components"]["schemas"]
    assert "/openapi.json" not in schema.body["paths"]
    swagger = api.request("GET", "/swagger")
    assert swagger.status == 200
    assert "swagger-ui" in swagger.raw_body.lower()
