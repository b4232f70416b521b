"""Batch input readers: one per format of :data:`zstc.contract.batch_input.INPUT_FILE_FORMATS`.

A reader takes the uploaded file as a binary stream and yields normalised model requests
(:class:`ModelRequestLine`) or :class:`Problem` s in file order, validating each input record with the
same schema and limits as POST /classify (:class:`zstc.contract.batch_input.InputRecord`); nothing is
held in memory beyond one record. A new format (Parquet, gzip-compressed JSON Lines, ...) is one entry
in the contract's ``INPUT_FILE_FORMATS`` plus one reader function here, named in :data:`READERS`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from zstc.contract.batch_input import InputFormatName, InputRecord, is_blank_id, repeated_columns
from zstc.contract.request import ClassifyParameters
from zstc.core import limits
from zstc.core.jsontext import NO_POSITION, loads_strict
from zstc.core.objects import BinaryReader, binary_lines


@dataclass(frozen=True)
class InputSpec:
    """How to read one input file: its format, the job's parameters and the CSV columns."""

    format: InputFormatName
    parameters: ClassifyParameters | None
    text_column: str = "text"
    id_column: str | None = None


@dataclass(frozen=True)
class Problem:
    """Why a line cannot be classified (``line`` is 1-based, as editors count)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ModelRequestLine:
    """A valid input record as the model will receive it: one JSON line of a staged shard."""

    line: int
    request: dict[str, Any]

    def to_json_line(self) -> bytes:
        """The staged line, UTF-8 with a newline."""
        return (json.dumps(self.request, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


Reader = Callable[[BinaryReader, InputSpec], Iterator[ModelRequestLine | Problem]]


def _parameters_json(parameters: ClassifyParameters) -> dict[str, Any]:
    return parameters.model_dump(mode="json", exclude_none=True)


def _validated(line: int, payload: dict[str, Any], default_id: Any) -> ModelRequestLine | Problem:
    try:
        record = InputRecord.model_validate(payload)
    except ValidationError as error:
        first = error.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return Problem(line, f"{where}: {first['msg']}" if where else first["msg"])
    request = record.to_endpoint_payload()
    request.pop("id", None)
    return ModelRequestLine(line, {"id": record.id if record.id is not None else default_id, **request})


def read_jsonl(stream: BinaryReader, spec: InputSpec) -> Iterator[ModelRequestLine | Problem]:
    """JSON Lines: one request object per ``\\n``-terminated line; blank lines are skipped."""
    defaults = _parameters_json(spec.parameters) if spec.parameters else None
    for number, raw in enumerate(binary_lines(stream), start=1):
        if not raw.strip():
            continue
        try:
            payload = loads_strict(raw)
        except UnicodeDecodeError:
            yield Problem(number, "not valid UTF-8")
            continue
        except json.JSONDecodeError as error:
            where = "" if error.pos == NO_POSITION else f" at column {error.colno}"
            yield Problem(number, f"invalid JSON: {error.msg}{where}")
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


def strict_csv_reader(lines: Iterable[str]) -> Any:
    """The one CSV reader of batch input: RFC 4180 quoting, strictly.

    The csv module's default closes a quoted field left open at the end of the file, so
    ``1,"I will run`` followed by two more lines became one record holding all three: rows lost
    without a word. ``strict=True`` raises ``csv.Error`` instead (also for a quote inside an
    unquoted field's continuation, ``"a"b``), which the reader reports with the record's line.
    Returns the csv module's reader (an iterator of rows with ``line_num``).
    """
    return csv.reader(lines, strict=True)


def _header(reader: Any) -> list[str] | Problem:
    """The header row, or why there is none."""
    try:
        header: list[str] = next(reader)
    except StopIteration:
        return Problem(1, "the file has no header row")
    except UnicodeDecodeError:
        return Problem(1, "not valid UTF-8")
    except csv.Error as error:
        return Problem(1, f"malformed CSV in the header row: {error}")
    return header


def read_csv(stream: BinaryReader, spec: InputSpec) -> Iterator[ModelRequestLine | Problem]:
    """CSV (UTF-8, optional BOM, RFC 4180 quoting): a header row, then one record per row."""
    if spec.parameters is None:
        yield Problem(
            1, "csv input needs candidate_labels (from POST /jobs or the candidate-labels metadata)"
        )
        return
    parameters = _parameters_json(spec.parameters)
    reader = strict_csv_reader(codecs.iterdecode(binary_lines(stream), "utf-8-sig"))
    header = _header(reader)
    if isinstance(header, Problem):
        yield header
        return
    missing = [c for c in (spec.text_column, spec.id_column) if c is not None and c not in header]
    if missing:
        yield Problem(1, f"missing column(s) {', '.join(missing)}; {_describe_header(header)}")
        return
    repeated = repeated_columns(header, (spec.text_column, spec.id_column))
    if repeated:  # which of two "text" columns is the text? never chosen silently
        yield Problem(1, f"column {repeated[0]} appears {header.count(repeated[0])} times in the header")
        return
    text_index = header.index(spec.text_column)
    id_index = header.index(spec.id_column) if spec.id_column else None
    while True:
        started = reader.line_num + 1  # a quoted field may span lines: a record starts here
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield Problem(reader.line_num + 1, "not valid UTF-8; stopped reading here")
            return
        except csv.Error as error:
            yield Problem(started, f"malformed CSV in the record starting on this line: {error}")
            return
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(line, f"{len(row)} fields but the header has {len(header)}")
            continue
        record_id: Any = row[id_index] if id_index is not None else line
        if id_index is not None and is_blank_id(record_id):
            yield Problem(line, f"{spec.id_column} is empty")
            continue
        payload = {"inputs": row[text_index], "parameters": parameters}
        if id_index is not None:
            payload["id"] = record_id  # validated like a JSON Lines id (bounded: it is stored)
        yield _validated(line, payload, default_id=record_id)


_HEADER_COLUMNS_SHOWN = 10


def _describe_header(header: list[str]) -> str:
    """The header for a message, bounded: at most 10 column names of at most 40 characters each."""
    if not header:
        return "the header has nothing"
    shown = ", ".join(
        name[:40] + ("..." if len(name) > 40 else "") for name in header[:_HEADER_COLUMNS_SHOWN]
    )
    more = f" and {len(header) - _HEADER_COLUMNS_SHOWN} more" if len(header) > _HEADER_COLUMNS_SHOWN else ""
    return f"the header has {len(header)} column(s): {shown}{more}"


READERS: dict[InputFormatName, Reader] = {"jsonl": read_jsonl, "csv": read_csv}
"""The reader of each input format (a test keeps its names and the contract's formats equal)."""


def _id_digest(record_id: Any) -> bytes:
    """A record id as results show it (``1`` and ``"1"`` are one id in results.csv), hashed to 16
    bytes: a million ids take ~120 MB this way, whatever their length."""
    return hashlib.blake2b(str(record_id).encode("utf-8"), digest_size=16).digest()


def read_records(stream: BinaryReader, spec: InputSpec) -> Iterator[ModelRequestLine | Problem]:
    """Records and problems of ``stream`` in file order; stops after the record limit with a problem.

    A record whose id (its ``id``, id column, or line number when it has none) an earlier record has
    is a problem naming the id and the first line: results are found by id, so one id must not name
    two records.
    """
    count = 0
    first_lines: dict[bytes, int] = {}
    for item in READERS[spec.format](stream, spec):
        if isinstance(item, ModelRequestLine):
            count += 1
            if count > limits.MAX_BATCH_RECORDS:
                yield Problem(item.line, f"more than {limits.MAX_BATCH_RECORDS} records; split the file")
                return
            record_id = item.request["id"]
            first = first_lines.setdefault(_id_digest(record_id), item.line)
            if first != item.line:
                shown = json.dumps(record_id, ensure_ascii=False)
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                yield Problem(
                    item.line, f"id {shown} is also the id of line {first}; record ids must be unique"
                )
                continue
        yield item
