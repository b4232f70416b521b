"""Input files read on this machine: texts to classify, and a batch CSV's header checked before upload."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from zstc_cli.errors import CliError, ExitCode

HEADER_ROWS_SAMPLED = 20
"""Rows after the header read to tell which columns hold text (the rest of the file is not read)."""
TEXT_WORDS = 4
"""Average words per value from which a column counts as text (category names have fewer)."""


def read_texts(texts: Sequence[str], file: Path | None) -> list[str]:
    """Texts from the arguments, then one per line from ``--file`` (``-`` is stdin).

    Raises ``CliError``: exit 1 for an unreadable file, exit 2 when there is no text at all.
    """
    collected = list(texts)
    if file is not None:
        if str(file) == "-":
            lines = sys.stdin.read().splitlines()
        else:
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except OSError as error:
                raise CliError(f"cannot read {file}: {error.strerror}") from None
            except UnicodeDecodeError:
                raise CliError(f"{file} is not UTF-8 text") from None
        collected += [line for line in lines if line.strip()]
    if not collected:
        raise CliError(
            "no text to classify: pass TEXT arguments, or --file PATH (- for stdin)", ExitCode.USAGE
        )
    return collected


def check_csv_header(path: Path, text_column: str, id_column: str | None) -> None:
    """Refuse a CSV whose header lacks ``text_column`` or ``id_column`` before anything is uploaded.

    The API reads the header the same way (UTF-8 with an optional BOM, RFC 4180 quoting, names
    compared exactly). When the text column is missing and exactly one other column holds text
    (``TEXT_WORDS`` words or more on average in the first rows), the error suggests ``--text-column``.
    Raises ``CliError`` (exit 1).
    """
    from zstc.contract.batch_input import repeated_columns  # noqa: PLC0415 - pydantic models, on use

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)  # as the batch reader: no quote closed at EOF
            header = next(reader, None)
            rows = [row for _, row in zip(range(HEADER_ROWS_SAMPLED), reader, strict=False)]
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise CliError(f"{path}: malformed CSV in the header or the first rows ({error})") from None
    if not header:
        raise CliError(f"{path} has no header row (the first line names the columns, e.g. id,text)")
    has = f"it has {', '.join(header)}"
    repeated = repeated_columns(header, (text_column, id_column))
    if repeated:
        raise CliError(f"{path}: the header names column {repeated[0]!r} {header.count(repeated[0])} times")
    if id_column is not None and id_column not in header:
        raise CliError(f"{path}: no column {id_column!r} for --id-column ({has})")
    if text_column in header:
        return
    candidates = [name for index, name in enumerate(header) if name != id_column and _holds_text(rows, index)]
    hint = f"; pass --text-column {candidates[0]}" if len(candidates) == 1 else "; name it with --text-column"
    raise CliError(f"{path}: no column {text_column!r} for the text ({has}){hint}")


def _holds_text(rows: list[list[str]], index: int) -> bool:
    """Whether the column's sampled values are sentences (not ids, numbers, codes or category names)."""
    values = [row[index] for row in rows if index < len(row) and row[index].strip()]
    return bool(values) and sum(len(value.split()) for value in values) >= TEXT_WORDS * len(values)
