"""What a batch input file looks like: its formats (name, file extensions, media type) and its records.

- ``jsonl``: each line is an :class:`InputRecord`, a real-time request with one text and an optional
  ``id``; lines without ``parameters`` take the job's.
- ``csv``: a header row, a text column (default ``text``) and an optional id column; each row becomes an
  :class:`InputRecord` with the job's parameters.

The readers are the batch layer's (:mod:`zstc.batch.formats`); the client uploads with the media type
named here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import field_validator
from pydantic_core import PydanticCustomError

from zstc.contract import media_types
from zstc.contract.request import ClassifyRequest
from zstc.contract.text import check_encodable
from zstc.core import limits

InputFormatName = Literal["csv", "jsonl"]
"""The names of :data:`INPUT_FILE_FORMATS` (a test keeps the two equal)."""


@dataclass(frozen=True)
class InputFileFormat:
    """One batch input format as a file: its name, file name endings and media type."""

    name: InputFormatName
    extensions: tuple[str, ...]
    """File name endings, lowercase with the dot (the first is the default upload name's)."""
    media_type: str
    """The media type to upload the file with."""


INPUT_FILE_FORMATS: dict[InputFormatName, InputFileFormat] = {
    "jsonl": InputFileFormat("jsonl", (".jsonl",), media_types.JSON_LINES),
    "csv": InputFileFormat("csv", (".csv",), media_types.CSV),
}
"""Every batch input format, by name."""


def format_for_filename(filename: str) -> InputFileFormat | None:
    """The format whose extension ``filename`` ends with (case-insensitive), or None."""
    name = filename.lower()
    return next((fmt for fmt in INPUT_FILE_FORMATS.values() if name.endswith(fmt.extensions)), None)


def supported_extensions() -> str:
    """The accepted extensions for messages, e.g. ``.jsonl or .csv``."""
    return " or ".join(ext for fmt in INPUT_FILE_FORMATS.values() for ext in fmt.extensions)


class InputRecord(ClassifyRequest):
    """One record of a batch input file: a real-time request with exactly one text and an optional id.

    A JSON Lines line is one of these; a CSV row becomes one (text column + the job's parameters).
    """

    id: str | int | None = None

    @field_validator("inputs")
    @classmethod
    def _one_text(cls, inputs: str | list[str]) -> str | list[str]:
        if not isinstance(inputs, str):
            raise PydanticCustomError("batch_inputs", "inputs must be one text per line in batch input")
        return inputs

    @field_validator("id")
    @classmethod
    def _check_id(cls, record_id: str | int | None) -> str | int | None:
        """Ids are stored with the result (DynamoDB): bounded strings, integers DynamoDB can hold."""
        if isinstance(record_id, str):
            if is_blank_id(record_id):
                raise PydanticCustomError("id_empty", "id is empty; leave it out to number the record")
            if len(record_id) > limits.MAX_RECORD_ID_CHARS:
                raise PydanticCustomError(
                    "id_too_long",
                    "id has {length} characters; the limit is {limit}",
                    {"length": len(record_id), "limit": limits.MAX_RECORD_ID_CHARS},
                )
            check_encodable(record_id, "id")
        elif isinstance(record_id, int) and abs(record_id) > limits.MAX_RECORD_ID_INT:
            raise PydanticCustomError(
                "id_too_large",
                "id is an integer of more than {digits} digits; send it as a string",
                {"digits": len(str(limits.MAX_RECORD_ID_INT))},
            )
        return record_id


def is_blank_id(record_id: str) -> bool:
    """The one rule for a record id's text (a JSON Lines ``id``, a CSV id cell): empty or only
    whitespace is no id (two records would share it, and a blank cannot be told from a missing one)."""
    return not record_id.strip()


def repeated_columns(header: Sequence[str], columns: Iterable[str | None]) -> list[str]:
    """The ``columns`` (text, id) that ``header`` names more than once, in the order given: a CSV whose
    header does is refused, since which of two ``text`` columns holds the text is never chosen silently."""
    return [column for column in columns if column is not None and list(header).count(column) > 1]
