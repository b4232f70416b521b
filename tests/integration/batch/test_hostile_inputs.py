"""Hostile batch inputs: the handlers with real boto3 against a moto
server, and the real engine answering the staged shards as batch transform would.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.integration.batch.test_handlers import _job_item, _transform_jobs
from tests.support.batch import BUCKET, BatchPath, engine_answers, play_sagemaker
from tests.support.moto import REGION
from zstc.batch import layout
from zstc.core import limits
from zstc_engine.classifier import Classifier

LABELS = ["Travel", "Finance"]


def _line(raw: bool = False, **fields: Any) -> str:
    """A JSON line; ``raw``: non-ASCII characters as themselves, not as escapes (a lone surrogate
    can only travel escaped, ``"\\ud83d"``, which JSON admits)."""
    return json.dumps({"parameters": {"candidate_labels": LABELS}, **fields}, ensure_ascii=not raw) + "\n"


def _run(batch: BatchPath, key: str, body: bytes, minilm: Classifier) -> dict[str, Any]:
    """Upload, run the transform with the real engine, deliver its end; the job item."""
    outcome = batch.upload(key, body)
    job_id = layout.job_id_for_upload(BUCKET, key)
    if outcome == {"outcomes": ["started"]}:
        play_sagemaker(job_id, engine_answers(minilm))
        [name] = _transform_jobs()
        batch.state_change(name, "Completed")
    return _job_item(job_id)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_unicode_line_separators_inside_jsonl_and_csv_records_complete(
    batch: BatchPath, minilm: Classifier, separator: str
) -> None:
    text = f"Flight to Lisbon booked{separator}hotel next"
    jsonl = _line(True, id="a1", inputs=text) + _line(id="a2", inputs="Quarterly budget review")
    assert separator.encode() in jsonl.encode()
    job = _run(batch, "input/seps/a.jsonl", jsonl.encode(), minilm)
    assert (job["status"], job["records"], job["results_written"]) == ("Completed", 2, 2), job


def test_a_raw_line_separator_inside_a_csv_field_completes(batch: BatchPath, minilm: Classifier) -> None:
    body = "id,text\n1,Flight to Lisbon booked\u2028hotel next\n2,Pay the rent\n".encode()
    key = "input/csvsep/a.csv"
    outcome = batch.upload(key, body, metadata={"candidate-labels": "Travel,Finance", "id-column": "id"})
    assert outcome == {"outcomes": ["started"]}
    job_id = layout.job_id_for_upload(BUCKET, key)
    play_sagemaker(job_id, engine_answers(minilm))
    [name] = _transform_jobs()
    assert batch.state_change(name, "Completed") == "completed"
    assert _job_item(job_id)["results_written"] == 2


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (_line(id="x", inputs="Great trip \ud83d"), "line 2: inputs: inputs has a lone UTF-16 surrogate"),
        (_line(id="x\udc00", inputs="ok"), "line 2: id: id has a lone UTF-16 surrogate"),
        (
            json.dumps({"inputs": "ok", "parameters": {"candidate_labels": ["Travel", "\ud83d"]}}) + "\n",
            "line 2: parameters.candidate_labels: candidate_labels[1] has a lone UTF-16 surrogate",
        ),
        (_line(id="x" * 450_000, inputs="ok"), "line 2: id: id has 450000 characters; the limit is 256"),
        (_line(id=10**40, inputs="ok"), "line 2: id: id is an integer of more than 38 digits"),
        ('{"inputs": "a", "inputs": "b"}\n', 'line 2: invalid JSON: duplicate key "inputs"'),
        ("[" * 100_000 + "]" * 100_000 + "\n", "line 2: invalid JSON: nested too deeply"),
        (_line(id="z", inputs="\u200b\u200b"), "line 2: inputs: inputs has no visible characters"),
    ],
    ids=[
        "surrogate-text",
        "surrogate-id",
        "surrogate-label",
        "huge-id",
        "huge-int-id",
        "dup-key",
        "deep",
        "invisible",
    ],
)
def test_values_that_cannot_be_encoded_or_stored_reject_the_file_with_the_line(
    batch: BatchPath, minilm: Classifier, capsys: pytest.CaptureFixture[str], line: str, reason: str
) -> None:
    # json.dumps escapes a lone surrogate as \udXXX: legal JSON, not encodable as UTF-8
    body = (_line(id="ok", inputs="Secret trip notes") + line).encode("utf-8")
    job = _run(batch, "input/bad/a.jsonl", body, minilm)
    assert job["status"] == "Rejected", job
    assert job["problems"][0].startswith(reason), job["problems"]
    assert "Secret trip" not in capsys.readouterr().out


def test_a_csv_id_column_is_bounded_like_a_jsonl_id(batch: BatchPath) -> None:
    body = f"id,text\n{'9' * 300},hello\n".encode()
    key = "input/csvid/a.csv"
    batch.upload(key, body, metadata={"candidate-labels": "a,b", "id-column": "id"})
    job = _job_item(layout.job_id_for_upload(BUCKET, key))
    assert job["status"] == "Rejected"
    assert job["problems"] == ["line 2: id: id has 300 characters; the limit is 256"]


@pytest.mark.parametrize(
    "header",
    [json.dumps(["word"] * 90_000), ",".join(f"column{i}" for i in range(40_000))],
    ids=["530KB-json-array", "40000-columns"],
)
def test_a_huge_csv_header_rejects_the_file_with_a_bounded_message(batch: BatchPath, header: str) -> None:
    assert len(header) > 400_000
    key = "input/header/a.csv"
    batch.upload(key, (header + "\n1,2\n").encode(), metadata={"candidate-labels": "a,b"})
    job = _job_item(layout.job_id_for_upload(BUCKET, key))
    assert job["status"] == "Rejected", job
    [problem] = job["problems"]
    assert problem.startswith("line 1: missing column(s) text; the header has ")
    assert len(problem) <= limits.MAX_PROBLEM_CHARS


def test_many_bad_lines_each_with_a_long_reason_stay_bounded(batch: BatchPath) -> None:
    long_label = "x" * 5_000  # the refusal quotes nothing longer than the cap
    body = "".join(_line(inputs="t", parameters={"candidate_labels": [long_label]}) for _ in range(500))
    key = "input/many/a.jsonl"
    batch.upload(key, body.encode())
    job = _job_item(layout.job_id_for_upload(BUCKET, key))
    assert job["status"] == "Rejected"
    assert len(job["problems"]) == limits.MAX_REPORTED_PROBLEMS
    assert all(len(problem) <= limits.MAX_PROBLEM_CHARS for problem in job["problems"])


def test_thousands_of_distinct_labels_keep_the_histogram_bounded_and_exact_in_sum(
    batch: BatchPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 4,200 records, each with its own 100-character label (the model picks it: one label)
    records = 4_200
    body = "".join(
        _line(id=i, inputs=f"record {i}", parameters={"candidate_labels": [f"{i:05d}" + "L" * 95]})
        for i in range(records)
    )
    key = "input/histogram/a.jsonl"
    assert batch.upload(key, body.encode()) == {"outcomes": ["started"]}
    job_id = layout.job_id_for_upload(BUCKET, key)

    def answer(shard: bytes) -> bytes:
        out = []
        for raw in shard.splitlines():
            staged = json.loads(raw)
            labels = staged["parameters"]["candidate_labels"]
            out.append(
                json.dumps(
                    {"id": staged["id"], "sequence": staged["inputs"], "labels": labels, "scores": [0.7]}
                )
            )
        return ("\n".join(out) + "\n").encode()

    play_sagemaker(job_id, answer)
    [name] = _transform_jobs()
    # When the results are processed (DynamoDB refuses items over 400 KB)
    assert batch.state_change(name, "Completed") == "completed"
    # Then the job completed with a bounded histogram whose counts sum to every result
    job = _job_item(job_id)
    assert (job["status"], job["results_written"]) == ("Completed", records)
    histogram = job["label_histogram"]
    assert len(histogram) == limits.MAX_HISTOGRAM_LABELS + 1
    assert sum(histogram.values()) == records
    assert histogram[limits.HISTOGRAM_OTHER_KEY] == records - limits.MAX_HISTOGRAM_LABELS


def test_an_unstorable_result_fails_the_job_instead_of_leaving_it_in_progress(
    batch: BatchPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a valid job whose results the store refuses (DynamoDB's 400 KB item limit), e.g. a model
    # answering with labels far longer than those asked: a value the checks do not foresee
    key = "input/unstorable/a.jsonl"
    assert batch.upload(key, _line(id=1, inputs="hello").encode()) == {"outcomes": ["started"]}
    job_id = layout.job_id_for_upload(BUCKET, key)
    play_sagemaker(
        job_id,
        lambda shard: (
            json.dumps({"id": 1, "sequence": "hello", "labels": LABELS, "scores": [0.6, 0.4]}) + "\n"
        ).encode(),
    )
    from zstc.batch import store  # noqa: PLC0415

    real_serialize = store.serialize

    def oversized(item: dict[str, Any]) -> dict[str, Any]:
        if str(item.get("sk", "")).startswith(layout.RESULT_SK_PREFIX):
            item = {**item, "labels": ["y" * 300_000, "z" * 200_000]}
        return real_serialize(item)

    monkeypatch.setattr(store, "serialize", oversized)
    [name] = _transform_jobs()
    # When process_results runs, Then the job ends Failed with a reason, not InProgress forever
    assert batch.state_change(name, "Completed") == "failed: internal error"
    job = _job_item(job_id)
    assert job["status"] == "Failed"
    assert job["failure_reason"].startswith("internal error while storing its results")
    assert "(ClientError)" in job["failure_reason"]


def test_tiny_floats_are_stored_as_zero_dynamodb_cannot_hold_them() -> None:
    from zstc.batch.store import serialize  # noqa: PLC0415

    assert serialize({"scores": [1e-200, 0.5, 5e-324]}) == {
        "scores": {"L": [{"N": "0"}, {"N": "0.5"}, {"N": "0"}]}
    }
    boto3.client("dynamodb", region_name=REGION)  # the serialised form is what the adapter sends
