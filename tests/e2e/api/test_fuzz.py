"""Fuzz the whole API from its own OpenAPI schema (schemathesis) against the local stack over HTTP.

Every route and documented parameter, data that fits the schema and data that does not: 0 answers
>= 500, and every 4xx carries the documented error body ``{"error": {"code", "message", "details"}}``.
Bounded to fit ``make test``; ``make fuzz`` runs the same with ``ZSTC_FUZZ_EXAMPLES`` examples each.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode

from tests.e2e.local.test_batch import _settings
from zstc_local.stack import LocalStack

EXAMPLES = int(os.environ.get("ZSTC_FUZZ_EXAMPLES", "50"))
"""Examples per operation and generation mode (``make fuzz`` raises it)."""


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(_settings()) as running:
        yield running


def fuzz(api_url: str, examples: int) -> dict[str, Any]:
    """Run every operation of ``api_url``'s schema, positive and negative; the tally of answers.

    Raises AssertionError on the first answer >= 500 or 4xx without the error body.
    """
    with urllib.request.urlopen(f"{api_url}/openapi.json", timeout=30) as response:
        document = json.loads(response.read())
    schema = schemathesis.openapi.from_dict(document)
    statuses: Counter[int] = Counter()
    operations = []
    unsatisfiable: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an invalid operation: {result}"
        operation = result.ok()
        operations.append(f"{operation.method.upper()} {operation.path}")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                answer = case.call(base_url=api_url, timeout=60)
                statuses[answer.status_code] += 1
                where = f"{case.method} {case.formatted_path} -> {answer.status_code}: {answer.text[:300]}"
                assert answer.status_code < 500, where
                if 400 <= answer.status_code < 500:
                    body = answer.json()
                    assert set(body) == {"error"}, where
                    assert set(body["error"]) == {"code", "message", "details"}, where
                    assert isinstance(body["error"]["message"], str), where
                    assert isinstance(body["error"]["details"], list), where

            try:
                run()
            except Unsatisfiable:  # nothing to break: e.g. negative data for a route without inputs
                assert mode == GenerationMode.NEGATIVE
                unsatisfiable.append(f"{operation.method.upper()} {operation.path}")
    return {
        "operations": operations,
        "answers": sum(statuses.values()),
        "no_negative_cases": unsatisfiable,
        "statuses": dict(sorted(statuses.items())),
        "seconds": round(time.monotonic() - started, 1),
    }


def test_the_api_never_answers_5xx_and_every_4xx_has_the_error_body(stack: LocalStack) -> None:
    assert stack.api is not None
    tally = fuzz(stack.api.url, EXAMPLES)
    print(json.dumps(tally))
    assert len(tally["operations"]) >= 6
    assert not [status for status in tally["statuses"] if status >= 500]


# --- hostile kinds the schema cannot describe (text density, key normalisation, token tampering,
# query repetition, HTTP framing), generated, through the local stack over HTTP -----------------------

HOSTILE_EXAMPLES = max(10, EXAMPLES // 5)
_DENSE = st.sampled_from(["我", "跑", "안", "녕", "a", ".", "(", "=", "😀", "\u0301", "\ufdfa", " ", "x"])


def _call(
    url: str, method: str = "GET", body: bytes | None = None, chunks: list[bytes] | None = None
) -> tuple[int, Any]:
    host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
    path = "/" + url.removeprefix("http://").split("/", 1)[1]
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        headers = {"Content-Type": "application/json"}
        if chunks is not None:
            connection.putrequest(method, path)
            for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
                connection.putheader(name, value)
            connection.endheaders()
            for chunk in chunks:
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        else:
            connection.request(method, path, body=body, headers=headers if body is not None else {})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def _assert_error_body(status: int, body: Any, where: str) -> None:
    assert status < 500, where
    if status >= 400:
        assert set(body) == {"error"}, where
        assert body["error"]["message"], where


def test_hostile_kinds_are_answered_below_500_with_the_error_body(stack: LocalStack) -> None:
    assert stack.api is not None
    api = stack.api.url
    fuzz_settings = settings(
        max_examples=HOSTILE_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )

    @fuzz_settings
    @given(text=st.lists(_DENSE, min_size=1, max_size=1500).map("".join), labels=st.integers(1, 4))
    def dense(text: str, labels: int) -> None:
        body = {
            "inputs": text,
            "parameters": {"candidate_labels": ["Health", "Finance", "Career", "Travel"][:labels]},
        }
        status, answer = _call(f"{api}/classify", "POST", json.dumps(body).encode())
        _assert_error_body(status, answer, f"dense {len(text)} chars -> {status} {answer}")
        assert status in {200, 422}, answer  # never a model failure for a text the API accepted

    @fuzz_settings
    @given(
        pad=st.lists(st.sampled_from([" ", "\t", "\u00a0", "\u3000"]), min_size=1, max_size=3).map("".join)
    )
    def colliding_keys(pad: str) -> None:
        descriptions = {"Health": "exercise", f"Health{pad}": "medicine"}
        body = {
            "inputs": "go for a run",
            "parameters": {"candidate_labels": ["Health", "Finance"], "label_descriptions": descriptions},
        }
        status, answer = _call(f"{api}/classify", "POST", json.dumps(body).encode())
        assert status == 422, answer
        assert "Health" in answer["error"]["message"]

    @fuzz_settings
    @given(
        name=st.sampled_from(["status", "limit", "next_token"]),
        values=st.lists(st.text(alphabet="abcCompletd019", min_size=1, max_size=6), min_size=2, max_size=3),
    )
    def repeated(name: str, values: list[str]) -> None:
        query = "&".join(f"{name}={value}" for value in values)
        status, answer = _call(f"{api}/jobs?{query}")
        assert status == 400, answer
        assert answer["error"]["details"][0]["loc"] == ["query", name]

    @fuzz_settings
    @given(
        key=st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
            ),
            max_leaves=8,
        ),
        status_filter=st.booleans(),
    )
    def tampered(key: Any, status_filter: bool) -> None:
        token = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
        for path in (
            f"/jobs?next_token={token}" + ("&status=Completed" if status_filter else ""),
            f"/jobs/0123456789abcdef/results?next_token={token}",
        ):
            status, answer = _call(f"{api}{path}")
            _assert_error_body(status, answer, f"{path} -> {status} {answer}")

    @fuzz_settings
    @given(cuts=st.lists(st.integers(1, 80), max_size=6))
    def chunked(cuts: list[int]) -> None:
        body = json.dumps(
            {"inputs": "pay the rent", "parameters": {"candidate_labels": ["Finance", "Travel"]}}
        ).encode()
        pieces, rest = [], body
        for cut in cuts:
            if rest:
                pieces.append(rest[:cut])
                rest = rest[cut:]
        pieces.append(rest)
        status, answer = _call(f"{api}/classify", "POST", chunks=[piece for piece in pieces if piece])
        assert status == 200, answer
        assert answer["labels"][0] in {"Finance", "Travel"}

    for check in (dense, colliding_keys, repeated, tampered, chunked):
        check()
