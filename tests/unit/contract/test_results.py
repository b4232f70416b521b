"""The results CSV layout: one column per JobResult field, one writer for every results file."""

from __future__ import annotations

import csv
import io
import json

from zstc.contract.answer import Evidence
from zstc.contract.results import RESULTS_CSV_COLUMNS, JobResult, results_csv_row, write_results_csv


def test_the_csv_columns_are_the_result_fields_in_order() -> None:
    assert tuple(JobResult.model_fields) == RESULTS_CSV_COLUMNS


def test_a_scored_result_round_trips_through_its_row() -> None:
    # Given a result with every extra, and a text that needs quoting
    result = JobResult(
        position=3,
        record_id="r-3",
        text='line one\nline "two", with a comma',
        top_label="Health",
        top_score=0.123456789,
        labels=["Health", "Café"],
        scores=[0.123456789, 0.876543211],
        predicted_labels=["Health"],
        windows=2,
        evidence=[Evidence(label="Health", start=0, end=8, score=0.5)],
    )
    # When it is written as CSV and read back
    buffer = io.StringIO()
    assert write_results_csv(buffer, [result]) == 1
    [row] = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    # Then every field comes back: scores at full precision, lists as JSON, the text as written
    assert row["text"] == result.text
    assert float(row["top_score"]) == result.top_score
    assert json.loads(row["labels"]) == result.labels
    assert json.loads(row["scores"]) == result.scores
    assert json.loads(row["evidence"]) == [{"label": "Health", "start": 0, "end": 8, "score": 0.5}]
    assert (row["position"], row["record_id"], row["windows"], row["error"]) == ("3", "r-3", "2", "")


def test_a_failed_result_leaves_what_it_does_not_have_empty() -> None:
    row = results_csv_row(JobResult(position=0, record_id=7, text="t", error="model failed"))
    assert dict(zip(RESULTS_CSV_COLUMNS, row, strict=True)) == {
        "position": "0",
        "record_id": "7",
        "text": "t",
        "top_label": "",
        "top_score": "",
        "labels": "[]",
        "scores": "[]",
        "predicted_labels": "",
        "windows": "",
        "evidence": "",
        "shortlist": "",
        "error": "model failed",
    }


def test_rows_without_a_header_continue_a_file() -> None:
    buffer = io.StringIO()
    write_results_csv(buffer, [JobResult(position=0, record_id=1)], header=False)
    assert buffer.getvalue() == "0,1,,,,[],[],,,,,\n"


def test_shortlists_of_different_lengths_are_json_lists_in_their_column() -> None:
    # Given results whose default shortlists took different sizes, text by text
    labels = [f"intent {index}" for index in range(40)]
    results = [
        JobResult(position=k, record_id=k, labels=labels, scores=[0.0] * 40, shortlist=labels[:k])
        for k in (12, 32)
    ]
    buffer = io.StringIO()
    write_results_csv(buffer, results)
    # Then each row's shortlist column reads back as its own list
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [json.loads(row["shortlist"]) for row in rows] == [labels[:12], labels[:32]]
