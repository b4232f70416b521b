"""The results export of ``zstc jobs results --out`` (zstc_cli.output.export_results)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zstc.contract.results import RESULTS_CSV_COLUMNS
from zstc_cli.errors import CliError
from zstc_cli.output import export_results

RESULT = {
    "position": 0,
    "record_id": "r1",
    "text": "Save 20% of every paycheck",
    "top_label": "Finance",
    "top_score": 0.9,
    "labels": ["Finance", "Health"],
    "scores": [0.9, 0.1],
}


def test_the_csv_export_is_the_contract_s_one_results_layout(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    assert export_results([RESULT], path) == 1
    with path.open(encoding="utf-8", newline="") as handle:
        header, row = list(csv.reader(handle))
    assert tuple(header) == RESULTS_CSV_COLUMNS
    assert dict(zip(header, row, strict=True))["text"] == RESULT["text"]


@pytest.mark.parametrize("name", ["results.csv", "results.jsonl"])
def test_a_failed_export_leaves_an_existing_file_as_it_was(tmp_path: Path, name: str) -> None:
    # Given a file from an earlier export, and pages that fail after the first (a 404, a lost connection)
    path = tmp_path / name
    path.write_text("earlier results\n", encoding="utf-8")

    def failing_pages() -> Iterator[dict[str, Any]]:
        yield RESULT
        raise CliError("GET /jobs/x/results -> 404 not_found: no job x")

    # When the export fails
    with pytest.raises(CliError, match="404"):
        export_results(failing_pages(), path)
    # Then the earlier file is untouched and no partial file is left beside it
    assert path.read_text(encoding="utf-8") == "earlier results\n"
    assert sorted(item.name for item in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_shortlists_of_different_lengths_export_as_they_came(tmp_path: Path, suffix: str) -> None:
    # Given results of a job whose default shortlist took a different size for each record
    labels = [f"intent {index}" for index in range(40)]
    results = [
        {**RESULT, "position": k, "labels": labels, "scores": [0.0] * 40, "shortlist": labels[:k]}
        for k in (12, 32)
    ]
    path = tmp_path / f"results{suffix}"
    # When they are exported
    assert export_results(results, path) == 2
    # Then each record keeps its own shortlist, as a JSON list in the CSV
    if suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            read = [json.loads(row["shortlist"]) for row in csv.DictReader(handle)]
    else:
        read = [json.loads(line)["shortlist"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert read == [labels[:12], labels[:32]]
