"""The console server over HTTP against the local stack: the token, the host and origin checks, the
security headers, and the console's routes' refusals (JSON naming what is wrong, never a 500)."""

from __future__ import annotations

import csv
import http.client
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runs import write_sample
from tests.support.moto import free_port
from zstc_cli.client.api import HttpApiClient, RetryPolicy
from zstc_cli.client.target import AuthMode, Target
from zstc_cli.console.server import CONTENT_SECURITY_POLICY, TOKEN_HEADER, ConsoleServer


def send(
    console: ConsoleServer,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    token: bool = True,
) -> tuple[int, Any, http.client.HTTPResponse]:
    """One request to the console (with its token header unless ``token=False``): status, JSON, response."""
    connection = http.client.HTTPConnection("127.0.0.1", console.port, timeout=60)
    sent = {"Host": f"127.0.0.1:{console.port}", **({TOKEN_HEADER: console.token} if token else {})}
    sent.update(headers or {})
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    is_json = (response.getheader("Content-Type") or "").startswith("application/json") and raw
    return response.status, json.loads(raw) if is_json else raw, response


def own_origin(console: ConsoleServer) -> dict[str, str]:
    return {"Origin": console.origin, "Content-Type": "application/json"}


def test_every_request_needs_the_token(console: ConsoleServer) -> None:
    for path in ("/", "/static/app.js", "/api/health", "/console/target"):
        status, body, _ = send(console, "GET", path, token=False)
        assert (status, body["error"]["code"]) == (403, "token_required"), path
    status, body, _ = send(console, "GET", "/api/health", token=False, headers={TOKEN_HEADER: "guess"})
    assert (status, body["error"]["code"]) == (403, "token_required")
    status, body, _ = send(console, "GET", "/?token=guess", token=False)
    assert (status, body["error"]["code"]) == (403, "token_refused")


def test_the_printed_url_signs_in_with_a_strict_cookie_and_drops_the_token(console: ConsoleServer) -> None:
    # When the URL with the token is opened
    status, _, response = send(console, "GET", f"/?token={console.token}", token=False)
    # Then the answer is a redirect to / with an HttpOnly, SameSite=Strict cookie
    assert (status, response.getheader("Location")) == (303, "/")
    cookie = response.getheader("Set-Cookie") or ""
    assert cookie.startswith(f"{console.cookie_name}={console.token};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    # And that cookie is the token from then on
    status, body, response = send(
        console, "GET", "/", token=False, headers={"Cookie": f"{console.cookie_name}={console.token}"}
    )
    assert status == 200
    assert b"<title>zstc console</title>" in body
    assert response.getheader("Content-Security-Policy") == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "no-referrer"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Host": "evil.test"}, "host_refused"),
        ({"Host": "127.0.0.1"}, "host_refused"),
        ({"Origin": "http://evil.test"}, "origin_refused"),
        ({"Origin": "null"}, "origin_refused"),
        ({"Sec-Fetch-Site": "cross-site"}, "origin_refused"),
        ({"Sec-Fetch-Site": "same-site"}, "origin_refused"),
    ],
)
def test_another_host_or_origin_is_refused_even_with_the_token(
    console: ConsoleServer, headers: dict[str, str], code: str
) -> None:
    status, body, _ = send(console, "GET", "/api/health", headers=headers)
    assert (status, body["error"]["code"]) == (403, code)


def test_an_unsafe_method_must_show_it_comes_from_the_console_page(console: ConsoleServer) -> None:
    payload = json.dumps(
        {"inputs": "Run a marathon", "parameters": {"candidate_labels": ["Health", "Career"]}}
    )
    status, body, _ = send(console, "POST", "/api/classify", body=payload.encode())
    assert (status, body["error"]["code"]) == (403, "origin_refused")
    status, body, _ = send(
        console, "POST", "/api/classify", body=payload.encode(), headers=own_origin(console)
    )
    assert status == 200
    assert set(body["labels"]) == {"Health", "Career"}
    status, body, _ = send(
        console, "POST", "/api/classify", body=payload.encode(), headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert status == 200


def test_api_refusals_come_through_as_the_api_wrote_them(console: ConsoleServer) -> None:
    # A classify request without labels: the API's 422 naming the field, not a console error
    payload = json.dumps({"inputs": "x", "parameters": {}}).encode()
    status, body, _ = send(console, "POST", "/api/classify", body=payload, headers=own_origin(console))
    assert status == 422
    assert any("candidate_labels" in detail["loc"] for detail in body["error"]["details"])
    status, body, _ = send(console, "GET", "/api/jobs/0123456789abcdef")
    assert (status, body["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [
        ("PUT", "/console/jobs/0123456789abcdef/upload", b"x", {}, 404, "unknown_job"),
        ("GET", "/console/jobs/0123456789abcdef/results.csv", None, {}, 404, "not_found"),
        ("GET", "/static/../server.py", None, {}, 404, "not_found"),
        ("GET", "/static/nothing.js", None, {}, 404, "not_found"),
        ("PUT", "/api/jobs", b"{}", {}, 405, "method_not_allowed"),
        ("POST", "/console/evaluate", b"[]", {}, 400, "invalid_request"),
        ("POST", "/console/evaluate", b'{"filename": "s.csv"}', {}, 400, "invalid_request"),
        ("POST", "/api/classify", b"{}", {"Transfer-Encoding": "chunked"}, 411, "length_required"),
    ],
)
def test_console_routes_refuse_bad_requests_with_json(
    console: ConsoleServer,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    got, answer, _ = send(console, method, path, body=body, headers={**own_origin(console), **headers})
    assert (got, answer["error"]["code"]) == (status, code), answer


def test_an_evaluation_of_a_malformed_sample_names_the_line(console: ConsoleServer) -> None:
    sample = "text,category\nRun a marathon,Health\n,Finance\n"
    payload = json.dumps({"filename": "sample.csv", "content": sample}).encode()
    status, body, _ = send(console, "POST", "/console/evaluate", body=payload, headers=own_origin(console))
    assert (status, body["error"]["code"]) == (422, "invalid_sample")
    assert "line 3: empty text" in body["error"]["message"]
    assert body["error"]["message"].startswith("sample.csv"), body  # not the server's temporary path
    assert "zstc-console-eval-" not in body["error"]["message"]


def _sample_and_classes(tmp_path: Path) -> tuple[str, list[str]]:
    path = write_sample(tmp_path, 12)
    with path.open(encoding="utf-8", newline="") as handle:
        classes = sorted({row["category"] for row in csv.DictReader(handle)})
    return path.read_text(encoding="utf-8"), classes


def test_an_evaluation_of_a_label_set_sends_its_version_but_its_threshold(
    console: ConsoleServer, tmp_path: Path
) -> None:
    # Given a saved set holding the sample's classes, one more label, a description and a threshold
    sample, classes = _sample_and_classes(tmp_path)
    parameters = {
        "candidate_labels": [*classes, "Travel"],
        "label_descriptions": {classes[0]: "what the first class is about"},
        "threshold": 0.9,
    }
    created = json.dumps({"name": "eval-goals", "parameters": parameters}).encode()
    status, _, _ = send(console, "POST", "/api/label-sets", body=created, headers=own_origin(console))
    assert status in {200, 201}
    # When the sample is evaluated against it
    payload = {"filename": "sample.csv", "content": sample, "id_column": "id", "label_set": "eval-goals"}
    status, report, _ = send(
        console, "POST", "/console/evaluate", body=json.dumps(payload).encode(), headers=own_origin(console)
    )
    # Then the report names the exact version, its labels are the classes, and the variant sent its
    # descriptions but not its threshold (what the evaluation measures)
    assert status == 200, report
    assert report["label_set"] == "eval-goals@1"
    assert report["classes"] == [*classes, "Travel"]
    first = report["variants"][0]
    assert first["name"] == "label set eval-goals@1"
    assert first["parameters"]["label_descriptions"] == parameters["label_descriptions"]
    assert "threshold" not in first["parameters"]
    assert sum(map(sum, report["best"]["confusion"])) == 12


@pytest.mark.parametrize(
    ("extra", "status", "code", "message"),
    [
        ({"label_set": "eval-goals@0"}, 400, "invalid_request", "label_set: "),
        ({"label_set": ""}, 400, "invalid_request", "label_set: label_set name must be"),
        ({"label_set": "eval-goals", "labels": ["Health"]}, 400, "invalid_request", "leave labels empty"),
        ({"label_set": 3}, 400, "invalid_request", "label_set must be a string"),
        ({"label_set": "no-such-set"}, 404, "not_found", "no label set no-such-set"),
    ],
)
def test_an_evaluation_with_a_bad_label_set_is_refused_naming_it(
    console: ConsoleServer, tmp_path: Path, extra: dict[str, Any], status: int, code: str, message: str
) -> None:
    sample, _ = _sample_and_classes(tmp_path)
    payload = json.dumps({"filename": "sample.csv", "content": sample, **extra}).encode()
    got, body, _ = send(console, "POST", "/console/evaluate", body=payload, headers=own_origin(console))
    assert (got, body["error"]["code"]) == (status, code), body
    assert message in body["error"]["message"]


def test_an_api_refusal_during_an_evaluation_keeps_the_api_s_details(
    console: ConsoleServer, tmp_path: Path
) -> None:
    # Given an evaluation whose template the API refuses (no {} placeholder)
    sample, classes = _sample_and_classes(tmp_path)
    payload = {
        "filename": "sample.csv",
        "content": sample,
        "labels": classes,
        "templates": ["no placeholder"],
    }
    # When the page posts it
    got, body, _ = send(
        console, "POST", "/console/evaluate", body=json.dumps(payload).encode(), headers=own_origin(console)
    )
    # Then the console answers the API's 422 with the API's details: the field and its position
    assert got == 422, body
    assert body["error"]["details"], body
    assert any("hypothesis_template" in ".".join(map(str, d["loc"])) for d in body["error"]["details"]), body


@pytest.mark.parametrize("labels", ["as given", "from a label set"])
def test_an_evaluation_whose_api_cannot_be_reached_is_a_502_not_a_bad_sample(
    tmp_path: Path, labels: str
) -> None:
    # Given a console whose API URL is a loopback port nothing listens on
    closed = free_port()
    client = HttpApiClient(
        Target(api_url=f"http://127.0.0.1:{closed}", auth=AuthMode.NONE), retry=RetryPolicy(retries=0)
    )
    sample, classes = _sample_and_classes(tmp_path)
    chosen = {"labels": classes} if labels == "as given" else {"label_set": "any-set"}
    payload = json.dumps({"filename": "sample.csv", "content": sample, **chosen}).encode()
    # When the page posts a valid sample (the classify or the label set read cannot connect)
    with ConsoleServer(client) as unreachable:
        got, body, _ = send(
            unreachable, "POST", "/console/evaluate", body=payload, headers=own_origin(unreachable)
        )
    # Then it is the API that failed, named with its URL, not the sample
    assert (got, body["error"]["code"]) == (502, "api_unreachable"), body
    assert f"cannot reach the API at http://127.0.0.1:{closed}" in body["error"]["message"], body
