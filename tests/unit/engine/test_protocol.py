"""The engine's request parser: the many-label parameters `shortlist` and `top_k`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from zstc.contract.answer import predicted_labels as api_predicted_labels
from zstc.contract.request import ClassifyRequest
from zstc_engine.protocol import (
    ClassificationResult,
    ClassificationTask,
    RequestError,
    decode,
    encode,
    parse_request,
    sorted_result,
)
from zstc_engine.protocol import predicted_labels as engine_predicted_labels


def _parameters(**extra: Any) -> dict[str, Any]:
    return {"inputs": "a text", "parameters": {"candidate_labels": ["a", "b", "c"], **extra}}


def test_shortlist_and_top_k_are_parsed() -> None:
    task = parse_request(_parameters(shortlist=2, top_k=1))
    assert (task.shortlist, task.top_k) == (2, 1)
    assert parse_request(_parameters(shortlist=False)).shortlist is False
    assert parse_request(_parameters()).shortlist is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shortlist", True),
        ("shortlist", 0),
        ("shortlist", "5"),
        ("shortlist", 2.5),
        ("top_k", 0),
        ("top_k", False),
        ("top_k", -1),
    ],
)
def test_bad_shortlist_or_top_k_is_refused_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(RequestError, match=f"line 3: parameters.{field} must be a positive integer"):
        parse_request(_parameters(**{field: value}), "line 3")


@pytest.mark.parametrize(
    ("shortlist", "labels", "expected"),
    [(None, 30, 16), (None, 24, None), (False, 30, None), (5, 10, 5), (10, 10, None), (12, 10, None)],
)
def test_shortlist_size(shortlist: Any, labels: int, expected: int | None) -> None:
    task = ClassificationTask(texts=("t",), labels=tuple(str(i) for i in range(labels)), shortlist=shortlist)
    assert task.shortlist_size(16, 24) == expected


def _request(**overrides: Any) -> dict[str, Any]:
    return {"inputs": "text", "parameters": {"candidate_labels": ["a", "b"]}, **overrides}


def test_json_request_is_one_task() -> None:
    tasks, json_lines = decode(json.dumps(_request()).encode(), "application/json; charset=utf-8")
    assert json_lines is False
    assert tasks[0].texts == ("text",)
    assert tasks[0].labels == ("a", "b")
    assert tasks[0].hypothesis_templates == ()  # the method's default applies
    assert tasks[0].phrases() == ("a", "b")


def test_json_lines_keep_order_and_ids_and_skip_blank_lines() -> None:
    lines = [json.dumps(_request(id=f"r{i}", inputs=f"t{i}")) for i in range(3)]
    tasks, json_lines = decode("\n".join([lines[0], "", lines[1], lines[2]]) + "\n", "application/jsonlines")
    assert json_lines is True
    assert [task.record_id for task in tasks] == ["r0", "r1", "r2"]
    results = [[ClassificationResult(t.texts[0], ("b", "a"), (0.6, 0.4))] for t in tasks]
    body, content_type = encode(tasks, results, json_lines, "application/jsonlines")
    assert content_type == "application/jsonlines"
    answers = [json.loads(line) for line in body.decode().splitlines()]
    assert [a["id"] for a in answers] == ["r0", "r1", "r2"]
    assert answers[1] == {"id": "r1", "sequence": "t1", "labels": ["b", "a"], "scores": [0.6, 0.4]}


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{not json", "line 2: invalid JSON"),
        (json.dumps({"inputs": "x"}), "line 2: parameters must be an object"),
        (json.dumps(_request(inputs="")), "line 2: inputs must be"),
        (
            json.dumps({"inputs": "x", "parameters": {"candidate_labels": []}}),
            "line 2: parameters.candidate_labels",
        ),
        (
            json.dumps({"inputs": "x", "parameters": {"candidate_labels": ["a", "a"]}}),
            "line 2: parameters.candidate_labels has duplicate",
        ),
        (
            json.dumps(
                {"inputs": "x", "parameters": {"candidate_labels": ["a"], "hypothesis_template": "{} {}"}}
            ),
            "line 2: parameters.hypothesis_template",
        ),
        (
            json.dumps({"inputs": "x", "parameters": {"candidate_labels": ["a"], "multi_label": "yes"}}),
            "line 2: parameters.multi_label",
        ),
        (
            json.dumps({"inputs": "x", "parameters": {"candidate_labels": ["a"]}, "extra": 1}),
            "line 2: unknown field",
        ),
        ("[1, 2]", "line 2: must be a JSON object"),
    ],
)
def test_bad_json_lines_record_names_its_line(line: str, says: str) -> None:
    body = json.dumps(_request()) + "\n" + line + "\n"
    with pytest.raises(RequestError, match=says.replace("[", r"\[").replace("{", r"\{").replace("}", r"\}")):
        decode(body, "application/jsonlines")


def test_unsupported_types_are_refused() -> None:
    with pytest.raises(RequestError, match="unsupported content type text/csv"):
        decode(b"a,b", "text/csv")
    with pytest.raises(RequestError, match="not UTF-8"):
        decode(b"\xff\xfe", "application/json")
    with pytest.raises(RequestError, match="no JSON Lines records"):
        decode(b"\n\n", "application/jsonlines")


def test_sorted_result_is_stable_for_ties() -> None:
    result = sorted_result("s", ("a", "b", "c"), [0.25, 0.5, 0.25])
    assert result.labels == ("b", "a", "c")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)


requests = st.fixed_dictionaries(
    {"inputs": st.text(max_size=20) | st.lists(st.text(max_size=10), max_size=3)},
    optional={
        "parameters": st.fixed_dictionaries(
            {"candidate_labels": st.lists(st.text(max_size=8), max_size=4) | st.text(max_size=20)},
            optional={
                "multi_label": st.booleans() | json_values,
                "hypothesis_template": st.sampled_from(["{}", "It is {}.", "{x}", "{} {}"]),
            },
        )
    },
)


@settings(max_examples=300, deadline=None)
@given(payload=requests)
def test_every_request_the_api_accepts_the_engine_runs_identically(payload: dict[str, Any]) -> None:
    # The API's pydantic schema and the container's parser are two guards on one contract.
    try:
        request = ClassifyRequest.model_validate(payload)
    except ValidationError:
        return
    task = parse_request(request.to_endpoint_payload())
    assert list(task.texts) == request.texts
    assert list(task.labels) == request.parameters.candidate_labels
    assert task.multi_label == request.parameters.multi_label
    template = request.parameters.hypothesis_template
    assert task.hypothesis_templates == ((template,) if isinstance(template, str) else tuple(template or ()))
    assert task.is_batch == request.is_batch


@settings(max_examples=300, deadline=None)
@given(
    scores=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=6),
    threshold=st.floats(min_value=0, max_value=1),
    multi_label=st.booleans(),
)
def test_the_engine_and_the_api_apply_one_threshold_rule(
    scores: list[float], threshold: float, multi_label: bool
) -> None:
    # The engine computes predicted_labels; the API checks them with its own copy of the rule.
    ordered = sorted(scores, reverse=True)
    labels = [f"l{i}" for i in range(len(ordered))]
    ours = engine_predicted_labels(tuple(labels), tuple(ordered), threshold, multi_label=multi_label)
    theirs = api_predicted_labels(labels, ordered, threshold, multi_label=multi_label)
    assert list(ours) == theirs


def test_a_shortlist_of_one_is_refused_since_one_label_would_take_the_whole_softmax() -> None:
    with pytest.raises(RequestError, match=r"line 3: parameters\.shortlist must be at least 2, or false"):
        parse_request(_parameters(shortlist=1), "line 3")


def test_label_examples_are_parsed_per_label_in_label_order() -> None:
    task = parse_request(_parameters(label_examples={"c": ["see", "sea"], "a": ["ant"]}))
    assert task.label_examples == (("ant",), (), ("see", "sea"))
    assert parse_request(_parameters()).label_examples == ()


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        ({"z": ["x"]}, "label_examples.z is not a candidate label"),
        ({"a": []}, "label_examples.a must be a non-empty list"),
        ({"a": ["ok", " "]}, r"label_examples.a\[1\] must be a non-empty string"),
        (["a"], "label_examples must be an object"),
    ],
)
def test_bad_label_examples_are_a_request_error_naming_the_field(examples: Any, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        parse_request(_parameters(label_examples=examples))
