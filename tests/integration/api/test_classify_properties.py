"""Property: whatever JSON a client sends to /classify, the answer is a 2xx or a 4xx JSON error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.support.api import ApiHandlerClient
from tests.support.moto import MotoHarness
from zstc.contract.request import ClassifyRequest

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
any_json = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
label = st.text(max_size=12) | st.sampled_from(["Health", "Humor", "Career", ""])
labels = st.lists(label, max_size=6) | st.text(max_size=30) | any_json
near_valid = st.fixed_dictionaries(
    {"inputs": st.text(max_size=40) | st.lists(st.text(max_size=20), max_size=4) | any_json},
    optional={
        "parameters": st.fixed_dictionaries(
            {"candidate_labels": labels},
            optional={
                "multi_label": st.booleans() | any_json,
                "hypothesis_template": st.sampled_from(
                    ["This example is {}.", "{}", "{} {}", "no", "{x}", "{"]
                )
                | st.text(max_size=20),
                "extra": any_json,
            },
        )
        | any_json,
        "id": any_json,
    },
)


def _canned_answer(payload: Any) -> Any:
    """What a well-behaved model would answer, or None when the request is invalid."""
    try:
        request = ClassifyRequest.model_validate(payload)
    except ValidationError:
        return None
    labels = request.parameters.candidate_labels
    answers = [
        {"sequence": text, "labels": labels, "scores": [1.0 / len(labels)] * len(labels)}
        for text in request.texts
    ]
    return answers if request.is_batch else answers[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=near_valid | any_json)
def test_any_json_gets_a_2xx_or_a_4xx_json_error(
    api: ApiHandlerClient, moto: MotoHarness, payload: Any
) -> None:
    moto.reset()
    answer = _canned_answer(payload)
    if answer is not None:
        moto.queue_endpoint_results([answer])
    response = api.request(
        "POST", "/classify", body=json.dumps(payload), headers={"Content-Type": "application/json"}
    )
    assert 200 <= response.status < 300 or 400 <= response.status < 500, (response.status, response.body)
    if response.status >= 400:
        assert isinstance(response.body["error"]["message"], str)
        assert response.body["error"]["code"]
    else:
        assert answer is not None


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=60), content_type=st.sampled_from(["application/json", "text/plain", "", "x/y"]))
def test_any_body_text_gets_a_4xx_json_error_or_a_2xx(
    api: ApiHandlerClient, moto: MotoHarness, body: str, content_type: str
) -> None:
    moto.reset()
    response = api.request("POST", "/classify", body=body, headers={"Content-Type": content_type})
    assert 200 <= response.status < 300 or 400 <= response.status < 500, (response.status, response.body)
    if response.status >= 400:
        assert response.body["error"]["code"]
