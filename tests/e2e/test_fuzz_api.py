"""Fuzz the whole API from its own OpenAPI schema (schemathesis) against the local stack over HTTP.

Every route and documented parameter, data that fits the schema and data that does not: 0 answers
>= 500, and every 4xx carries the documented error body ``{"error": {"code", "message", "details"}}``.
Bounded to fit ``make test``; ``make fuzz`` runs the same with ``ZSTC_FUZZ_EXAMPLES`` examples each.
"""

from __future__ import annotations

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
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode

from tests.e2e.test_local_batch import _settings
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
