"""inference/inference.py, the SageMaker entry script: the toolkit's four functions round-trip."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.tiny_models import build_tiny_bart_nli
from zstc_engine.protocol import RequestError

ENTRY_SCRIPT = Path(__file__).resolve().parents[3] / "inference" / "inference.py"


@pytest.fixture(scope="module")
def entry() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sagemaker_entry_script", ENTRY_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model(entry: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Any:
    model_dir = build_tiny_bart_nli(tmp_path_factory.mktemp("opt-ml") / "model")
    return entry.model_fn(str(model_dir))


def _serve(entry: ModuleType, model: Any, body: bytes | str, content_type: str, accept: str) -> bytes:
    """What the inference toolkit does per request."""
    data = entry.input_fn(body, content_type)
    prediction = entry.predict_fn(data, model)
    result: bytes = entry.output_fn(prediction, accept)
    return result


def test_json_request_round_trips(entry: ModuleType, model: Any) -> None:
    body = json.dumps({"inputs": "read more books", "parameters": {"candidate_labels": "Health, Leisure"}})
    answer = json.loads(_serve(entry, model, body, "application/json", "application/json"))
    assert answer["sequence"] == "read more books"
    assert sorted(answer["labels"]) == ["Health", "Leisure"]
    assert answer["scores"] == sorted(answer["scores"], reverse=True)
    assert sum(answer["scores"]) == pytest.approx(1.0, abs=1e-6)


def test_json_list_input_answers_a_list(entry: ModuleType, model: Any) -> None:
    body = json.dumps(
        {"inputs": ["a", "b", "c"], "parameters": {"candidate_labels": ["x", "y"], "multi_label": True}}
    )
    answer = json.loads(_serve(entry, model, body.encode(), "application/json", "application/json"))
    assert [item["sequence"] for item in answer] == ["a", "b", "c"]


def test_json_lines_answer_line_by_line_with_ids(entry: ModuleType, model: Any) -> None:
    records = [
        {
            "id": f"rec-{i}",
            "inputs": f"resolution number {i}",
            "parameters": {"candidate_labels": ["x", "y", "z"]},
        }
        for i in range(5)
    ]
    body = "\n".join(json.dumps(r) for r in records) + "\n"
    lines = (
        _serve(entry, model, body.encode(), "application/jsonlines", "application/jsonlines")
        .decode()
        .splitlines()
    )
    answers = [json.loads(line) for line in lines]
    assert [a["id"] for a in answers] == [r["id"] for r in records]
    assert [a["sequence"] for a in answers] == [r["inputs"] for r in records]


def test_bad_record_names_its_line(entry: ModuleType, model: Any) -> None:
    good = json.dumps({"id": 1, "inputs": "x", "parameters": {"candidate_labels": ["a"]}})
    bad = json.dumps({"id": 2, "inputs": "x", "parameters": {"candidate_labels": []}})
    with pytest.raises(RequestError, match=r"line 3: parameters\.candidate_labels"):
        entry.input_fn(f"{good}\n{good}\n{bad}\n", "application/jsonlines")
