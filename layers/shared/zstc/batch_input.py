"""Read a batch input file as a stream and turn it into normalised model requests, or problems.

JSON Lines: each line is a real-time request with one text and an optional ``id``; lines without
``parameters`` take the job's. CSV: a header row, a text column (default ``text``) and an optional
id column; the job (or the object's metadata) gives the labels. Each record is validated with the
same schema and limits as POST /classify. Nothing is held in memory beyond one record.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from zstc import limits
from zstc.job_models import BatchRecord, InputFormat
from zstc.schemas import ClassifyParameters


@dataclass(frozen=True)
class InputSpec:
    """How to read one input file."""

    format: InputFormat
    parameters: ClassifyParameters | None
    text_column: str = "text"
    id_column: str | None = None


@dataclass(frozen=True)
class Problem:
    """Why a line cannot be classified."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Record:
    """A valid record as the model will receive it (one JSON line of a staged shard)."""

    line: int
    request: dict[str, Any]

    def to_json_line(self) -> bytes:
        """The staged line, UTF-8 with a newline."""
        return (json.dumps(self.request, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def read_records(lines: Iterable[bytes], spec: InputSpec) -> Iterator[Record | Problem]:
    """Records and problems in file order; stops after the record limit with a problem."""
    reader = _jsonl_records(lines, spec) if spec.format == "jsonl" else _csv_records(lines, spec)
    count = 0
    for item in reader:
        if isinstance(item, Record):
            count += 1
            if count > limits.MAX_BATCH_RECORDS:
                yield Problem(item.line, f"more than {limits.MAX_BATCH_RECORDS} records; split the file")
                return
        yield item


def _validated(line: int, payload: dict[str, Any], default_id: Any) -> Record | Problem:
    try:
        record = BatchRecord.model_validate(payload)
    except ValidationError as error:
        first = error.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return Problem(line, f"{where}: {first['msg']}" if where else first["msg"])
    request = record.to_endpoint_payload()
    request["id"] = record.id if record.id is not None else default_id
    return Record(line, {"id": request.pop("id"), **request})


def _jsonl_records(lines: Iterable[bytes], spec: InputSpec) -> Iterator[Record | Problem]:
    defaults = spec.parameters.model_dump(mode="json") if spec.parameters else None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            payload = json.loads(raw)
        except UnicodeDecodeError:
            yield Problem(number, "not valid UTF-8")
            continue
        except json.JSONDecodeError as error:
            yield Problem(number, f"invalid JSON: {error.msg} at column {error.colno}")
            continue
        if not isinstance(payload, dict):
            yield Problem(number, "each line must be a JSON object")
            continue
        if "parameters" not in payload:
            if defaults is None:
                yield Problem(number, "parameters missing and the job has no candidate_labels")
                continue
            payload["parameters"] = defaults
        yield _validated(number, payload, default_id=number)


def _csv_records(lines: Iterable[bytes], spec: InputSpec) -> Iterator[Record | Problem]:
    if spec.parameters is None:
        yield Problem(
            1, "csv input needs candidate_labels (from POST /jobs or the candidate-labels metadata)"
        )
        return
    parameters = spec.parameters.model_dump(mode="json")
    text_lines = codecs.iterdecode(lines, "utf-8-sig")
    reader = csv.reader(text_lines)
    try:
        header = next(reader)
    except StopIteration:
        yield Problem(1, "the file has no header row")
        return
    except UnicodeDecodeError:
        yield Problem(1, "not valid UTF-8")
        return
    missing = [c for c in (spec.text_column, spec.id_column) if c is not None and c not in header]
    if missing:
        yield Problem(
            1, f"missing column(s) {', '.join(missing)}; the header has {', '.join(header) or 'nothing'}"
        )
        return
    text_index = header.index(spec.text_column)
    id_index = header.index(spec.id_column) if spec.id_column else None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield Problem(reader.line_num + 1, "not valid UTF-8; stopped reading here")
            return
        except csv.Error as error:
            yield Problem(reader.line_num, f"malformed CSV: {error}")
            return
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(line, f"{len(row)} fields but the header has {len(header)}")
            continue
        record_id: Any = row[id_index] if id_index is not None else line
        if id_index is not None and not str(record_id).strip():
            yield Problem(line, f"{spec.id_column} is empty")
            continue
        yield _validated(line, {"inputs": row[text_index], "parameters": parameters}, default_id=record_id)
