"""A batch job's results: one record's classification, a page of them, and the results CSV layout.

The same :class:`JobResult` is what GET /jobs/{id}/results answers, what the job store keeps per
record, and what a row of the results CSV shows: the CSV has one layout, :data:`RESULTS_CSV_COLUMNS`,
written by :func:`write_results_csv` (process_results' ``results/<job_id>/results.csv`` and the
client's ``zstc jobs results --out x.csv`` alike).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, Protocol

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from zstc.contract.answer import Evidence


class JobResult(BaseModel):
    """One input record's classification (or why the model could not score it), in input order.

    The options' extras (predicted_labels, windows, evidence, shortlist) and error appear only when the
    record has them.
    """

    position: int = Field(description="0-based position of the record in the input file.")
    record_id: str | int = Field(
        description="The record's id: its JSON Lines id or id column, else its line."
    )
    text: str | None = Field(
        default=None,
        description="The classified text, as read from the input (None in results kept before it was).",
    )
    top_label: str | None = Field(default=None, description="None when the record failed (see error).")
    top_score: float | None = None
    labels: list[str] = Field(default_factory=list)
    scores: list[float] = Field(default_factory=list)
    predicted_labels: list[str] | None = Field(default=None, description="With a threshold (as /classify).")
    windows: int | None = Field(
        default=None, description="Model windows the text took (with return_evidence)."
    )
    evidence: list[Evidence] | None = Field(default=None, description="With return_evidence (as /classify).")
    shortlist: list[str] | None = Field(
        default=None, description="With a shortlist: the labels the model scored (as /classify)."
    )
    error: str | None = Field(
        default=None, description="Why the model could not score this record; None when it was scored."
    )

    @model_serializer(mode="wrap")
    def _leave_out_unset_extras(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None or key not in _EXTRAS}


_EXTRAS = frozenset({"predicted_labels", "windows", "evidence", "shortlist", "error"})


class ResultPage(BaseModel):
    """A page of results in input order."""

    job_id: str
    results: list[JobResult]
    next_token: str | None = None


RESULTS_CSV_COLUMNS: tuple[str, ...] = (
    "position",
    "record_id",
    "text",
    "top_label",
    "top_score",
    "labels",
    "scores",
    "predicted_labels",
    "windows",
    "evidence",
    "shortlist",
    "error",
)
"""The results CSV's columns: :class:`JobResult`'s fields, in its order. A value the result does not
have is empty; list and object values (labels, scores, predicted_labels, evidence, shortlist) are JSON."""

_JSON_COLUMNS = frozenset({"labels", "scores", "predicted_labels", "evidence", "shortlist"})


class TextWriter(Protocol):
    """Anything with ``write(str)``: an open text file, ``io.StringIO``."""

    def write(self, text: str, /) -> int:
        """Write ``text``; return the characters written."""
        ...


def results_csv_row(result: JobResult) -> list[str]:
    """One result as a row of :data:`RESULTS_CSV_COLUMNS` (scores at full precision)."""
    data = result.model_dump(mode="json")
    return [_cell(data.get(column), column) for column in RESULTS_CSV_COLUMNS]


def write_results_csv(handle: TextWriter, results: Iterable[JobResult], *, header: bool = True) -> int:
    """Write ``results`` as CSV rows (``\\n`` line ends, RFC 4180 quoting), after the header row when
    ``header``; returns the results written. Open a file with ``newline=""`` and UTF-8."""
    writer = csv.writer(handle, lineterminator="\n")
    if header:
        writer.writerow(RESULTS_CSV_COLUMNS)
    count = 0
    for result in results:
        writer.writerow(results_csv_row(result))
        count += 1
    return count


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if column in _JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    return str(value)
