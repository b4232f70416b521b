"""Hostile inputs at the API edge: the api handler with a real local
endpoint (the packaged MiniLM engine behind SageMaker's runtime URL), and the local API over HTTP.

Every refusal is a 4xx with the JSON error body naming the field; no request text reaches a log.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import ApiHandlerClient, ApiResponse
from zstc_local.api_gateway import LocalApi, proxy_event, routes_from
from zstc_local.provision import local_template

TEXT = "The quarterly earnings report beat analyst expectations."
LABELS = ["Finance", "Cooking"]


@pytest.fixture
def api(minilm_api: ApiHandlerClient) -> ApiHandlerClient:
    return minilm_api


def _post(api: ApiHandlerClient, body: str | bytes, content_type: str = "application/json") -> ApiResponse:
    return api.invoke(proxy_event("POST", "/classify", body=body, headers={"Content-Type": content_type}))


def _valid_body(text: str = TEXT, labels: list[str] | None = None) -> str:
    return json.dumps(
        {"inputs": text, "parameters": {"candidate_labels": labels or LABELS}}, ensure_ascii=False
    )


def _assert_error(response: ApiResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, response.body
    assert set(response.body) == {"error"}
    error: dict[str, Any] = response.body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], list)
    return error


# --- a lone label is scored on its own --------------------------------------------------


def test_a_lone_label_is_scored_on_its_own_not_softmaxed_to_one(api: ApiHandlerClient) -> None:
    response = _post(api, _valid_body(labels=["cooking"]))
    assert response.status == 200, response.body
    [score] = response.body["scores"]
    assert 0 <= score < 0.9  # an unrelated label; a softmax over one label always gave 1.0
    # And it is the score the label gets on its own (multi_label), as NLI scores a lone label
    independent = api.classify(
        {"inputs": TEXT, "parameters": {"candidate_labels": ["cooking"], "multi_label": True}}
    )
    assert independent.body["scores"] == [score]


# --- Unicode line separators inside a text -----------------------------------------------


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_unicode_line_separators_inside_a_text_are_just_characters(
    api: ApiHandlerClient, separator: str
) -> None:
    text = f"Flight to Lisbon booked{separator}hotel next"
    response = _post(api, _valid_body(text))
    assert response.status == 200, response.body
    assert response.body["sequence"] == text


# --- media types and charsets compare case-insensitively ---------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "Application/JSON",
        "APPLICATION/JSON; CHARSET=UTF-8",
        "application/json;charset=utf8",
        'application/json; charset="UTF-8"',
    ],
)
def test_media_types_and_charsets_are_case_insensitive(api: ApiHandlerClient, content_type: str) -> None:
    response = _post(api, _valid_body(), content_type)
    assert response.status == 200, response.body
    assert response.body["labels"][0] == "Finance"


# --- bodies that are not UTF-8 -----------------------------------------------------------


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "windows-1252", ""])
def test_another_charset_is_415(api: ApiHandlerClient, charset: str) -> None:
    error = _assert_error(
        _post(api, _valid_body(), f"application/json; charset={charset}"), 415, "unsupported_media_type"
    )
    assert "charset" in error["message"]


@pytest.mark.parametrize(
    "raw",
    [_valid_body("café").encode("latin-1"), _valid_body().encode("utf-16"), b"\xff\xfe\x00garbage"],
    ids=["latin-1-bytes", "utf-16-bytes", "garbage"],
)
def test_undecodable_bytes_are_400_base64_encoded_or_not(api: ApiHandlerClient, raw: bytes) -> None:
    # base64-encoded, as API Gateway hands on a body it treats as binary
    _assert_error(_post(api, raw), 400, "invalid_body")
    # and as text that was not valid UTF-8 (a lone surrogate is what such a str decodes to)
    text = raw.decode("utf-8", "surrogateescape")
    _assert_error(_post(api, text), 400, "invalid_body")


def test_broken_base64_is_400(api: ApiHandlerClient) -> None:
    event = proxy_event("POST", "/classify", body=b"x", headers={"Content-Type": "application/json"})
    event["body"] = "!!!not base64!!!"
    _assert_error(api.invoke(event), 400, "invalid_body")


# --- strings that cannot be encoded ------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"inputs": "Great trip \ud83d", "parameters": {"candidate_labels": LABELS}}, ["body", "inputs"]),
        ({"inputs": ["ok", "bad \udc00"], "parameters": {"candidate_labels": LABELS}}, ["body", "inputs"]),
        (
            {"inputs": "ok", "parameters": {"candidate_labels": ["Travel", "\ud83d"]}},
            ["body", "parameters", "candidate_labels"],
        ),
        (
            {"inputs": "ok", "parameters": {"candidate_labels": LABELS, "hypothesis_template": "\ud83d {}"}},
            ["body", "parameters", "hypothesis_template"],
        ),
    ],
)
def test_a_lone_surrogate_is_422_naming_the_field_and_never_logged(
    api: ApiHandlerClient, capsys: pytest.CaptureFixture[str], payload: dict[str, Any], loc: list[str]
) -> None:
    body = json.dumps(payload)  # JSON escapes the surrogate as \udXXX, which JSON admits
    error = _assert_error(_post(api, body), 422, "validation_error")
    assert error["details"][0]["loc"] == loc
    assert "surrogate" in error["details"][0]["msg"]
    logs = capsys.readouterr()
    assert "Great trip" not in logs.out + logs.err
    assert "bad " not in logs.out + logs.err


# --- any parser error is a 4xx -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/classify", "/jobs"])
def test_deeply_nested_json_is_400_invalid_json(api: ApiHandlerClient, path: str) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = api.invoke(proxy_event("POST", path, body=body, headers={"Content-Type": "application/json"}))
    error = _assert_error(response, 400, "invalid_json")
    assert "nested too deeply" in error["message"]


def test_deeply_nested_json_inside_a_field_is_400(api: ApiHandlerClient) -> None:
    body = '{"inputs": ' + "[" * 50_000 + "]" * 50_000 + ', "parameters": {"candidate_labels": ["a"]}}'
    _assert_error(_post(api, body), 400, "invalid_json")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("path", ["/classify", "/jobs"])
def test_nan_and_infinity_are_not_json_so_400_naming_the_position(
    api: ApiHandlerClient, path: str, constant: str
) -> None:
    # Given a body that is JSON but for a NaN/Infinity literal (Python's parser reads them) where a
    # number goes, after a string holding the same word
    prefix = '{"inputs": "NaN or Infinity?", "parameters": {"candidate_labels": ["a", "b"], "threshold": '
    body = prefix + constant + "}}"
    if path == "/jobs":
        prefix = '{"format": "csv", "candidate_labels": ["a", "b"], "threshold": '
        body = prefix + constant + "}"
    response = api.invoke(proxy_event("POST", path, body=body, headers={"Content-Type": "application/json"}))
    # Then it is invalid JSON at the literal's character, not a 422 about the threshold's range
    error = _assert_error(response, 400, "invalid_json")
    assert f"{constant} is not a JSON value" in error["message"]
    assert f"at character {len(prefix)}" in error["message"]


# --- labels that differ only by spaces, invisible text, duplicate keys ------------------


def test_labels_are_stripped_so_a_label_with_a_trailing_space_is_a_duplicate(api: ApiHandlerClient) -> None:
    error = _assert_error(_post(api, _valid_body(labels=["Sports", "Sports "])), 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "parameters", "candidate_labels"]
    assert 'repeats the label "Sports"' in error["details"][0]["msg"]
    # And surrounding spaces are dropped from the labels answered
    response = _post(api, _valid_body(labels=[" Finance ", "Cooking"]))
    assert sorted(response.body["labels"]) == ["Cooking", "Finance"]


@pytest.mark.parametrize("invisible", ["\u200b\u200b", "\u200d\ufeff", "\u00a0\u2060", "\u2028"])
def test_a_text_or_label_of_only_invisible_characters_is_422(api: ApiHandlerClient, invisible: str) -> None:
    error = _assert_error(_post(api, _valid_body(invisible)), 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "inputs"]
    error = _assert_error(_post(api, _valid_body(labels=["Finance", invisible])), 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "parameters", "candidate_labels"]


def test_numbers_python_cannot_hold_are_a_4xx_naming_the_place_not_a_500(api: ApiHandlerClient) -> None:
    # Given an integer longer than Python converts (4,300 digits), then one too large for a float
    prefix = '{"inputs": "x", "parameters": {"candidate_labels": ["a", "b"], "top_k": '
    error = _assert_error(_post(api, prefix + "7" * 5000 + "}}"), 400, "invalid_json")
    assert f"an integer of more than 4300 digits at character {len(prefix)}" in error["message"]
    body = '{"inputs": "x", "parameters": {"candidate_labels": ["a", "b"], "threshold": 1' + "0" * 400 + "}}"
    error = _assert_error(_post(api, body), 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "parameters", "threshold"]


def test_a_description_key_in_another_unicode_form_describes_its_label(api: ApiHandlerClient) -> None:
    # Given the label "Café" in NFC, described under its NFD spelling (and "Cooking" with a zero-width
    # space and a trailing space in its key)
    nfc, nfd = "Caf\u00e9", "Cafe\u0301"
    descriptions = {nfd: "a place that serves coffee", "Cooking\u200b ": "preparing food"}
    parameters: dict[str, Any] = {"candidate_labels": [nfc, "Cooking"], "label_descriptions": descriptions}
    body = {"inputs": TEXT, "parameters": parameters}
    # Then the keys name those labels, and the answer reports the labels as they were sent
    response = _post(api, json.dumps(body, ensure_ascii=False))
    assert response.status == 200, response.body
    assert sorted(response.body["labels"]) == sorted([nfc, "Cooking"])
    # And two keys naming one label are a 422, never one of them dropped by key order
    parameters["label_descriptions"] = {nfd: "coffee", nfc: "a bar"}
    error = _assert_error(_post(api, json.dumps(body, ensure_ascii=False)), 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "parameters", "label_descriptions"]
    assert "two keys for the label" in error["details"][0]["msg"]


def test_duplicate_keys_are_400_naming_the_key(api: ApiHandlerClient) -> None:
    body = '{"inputs": "a", "inputs": "b", "parameters": {"candidate_labels": ["x", "y"]}}'
    error = _assert_error(_post(api, body), 400, "invalid_json")
    assert 'duplicate key "inputs"' in error["message"]
    nested = '{"inputs": "a", "parameters": {"candidate_labels": ["x"], "candidate_labels": ["y"]}}'
    assert (
        'duplicate key "candidate_labels"'
        in _assert_error(_post(api, nested), 400, "invalid_json")["message"]
    )


# --- the local API over HTTP: the same answers, never a 502 ----------------------------------------


@pytest.fixture
def local_api(api: ApiHandlerClient) -> Iterator[str]:
    routes = routes_from({"ApiFunction": local_template().function("ApiFunction")})
    server = LocalApi(routes, {"ApiFunction": api.handler}, port=0)
    server.start()
    yield server.url
    server.stop()


def _http(url: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (_valid_body().encode(), "Application/JSON", 200),
        (_valid_body().encode(), "TEXT/PLAIN", 415),
        (_valid_body("café").encode("latin-1"), "application/json", 400),
        (_valid_body("café").encode("latin-1"), "application/json; charset=latin-1", 415),
        (base64.b64decode("/////w=="), "Application/Octet-Stream", 415),
    ],
)
def test_the_local_api_answers_like_the_handler(
    local_api: str, body: bytes, content_type: str, status: int
) -> None:
    answered, payload = _http(f"{local_api}/classify", body, content_type)
    assert answered == status, payload
    if status != 200:
        assert set(payload["error"]) == {"code", "message", "details"}
