"""Batch input readers against hostile CSV structure: every row is a record or a problem with its line."""

from __future__ import annotations

import csv
import io
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zstc.batch.formats import READERS, InputSpec, ModelRequestLine, Problem, read_csv
from zstc.contract.batch_input import INPUT_FILE_FORMATS, InputFormatName, format_for_filename
from zstc.contract.request import ClassifyParameters

SPEC = InputSpec(format="csv", parameters=ClassifyParameters(candidate_labels=["Health", "Finance"]))


def _read(data: str) -> list[ModelRequestLine | Problem]:
    return list(read_csv(io.BytesIO(data.encode()), SPEC))


def test_an_unterminated_quoted_field_is_a_problem_on_its_line_not_one_record_of_three() -> None:
    # Given a CSV whose second line opens a quote that is never closed, then two more lines
    data = 'id,text\n1,"I will run a marathon\n2,learn to cook\n3,save money\n'

    # When read
    read = _read(data)

    # Then the reader reports the line the broken record starts on, and no record is made from it
    problems = [item for item in read if isinstance(item, Problem)]
    assert [problem.line for problem in problems] == [2]
    assert "unexpected end of data" in problems[0].reason
    assert not [item for item in read if isinstance(item, ModelRequestLine)]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ('text\n"a"b\n', 2),  # text after a closing quote
        ('"text\n', 1),  # the header itself
        ('text\nok\n"half\n', 3),
    ],
)
def test_malformed_quoting_anywhere_is_a_problem_with_its_line(data: str, line: int) -> None:
    problems = [item for item in _read(data) if isinstance(item, Problem)]
    assert problems
    assert problems[0].line == line


def test_a_header_naming_the_text_column_twice_is_a_problem_not_a_choice() -> None:
    [problem] = _read("text,id,text\nrun a marathon,1,learn to cook\n")
    assert isinstance(problem, Problem)
    assert problem.line == 1
    assert "text appears 2 times" in problem.reason


_CELL = st.text(alphabet='ab ,"\n', max_size=6)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(_CELL, min_size=1, max_size=2), min_size=1, max_size=5), cut=st.integers(0, 60))
def test_any_csv_is_read_as_python_strictly_reads_it_or_reported(rows: list[list[str]], cut: int) -> None:
    # Given CSV text written by csv.writer, possibly cut anywhere (an unterminated quote, a half row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["text"], *rows])
    data = buffer.getvalue()[: len("text\n") + cut]

    # When read, then either a Problem is reported, or every non-blank row strict parsing finds is a record
    read = _read(data)
    if any(isinstance(item, Problem) for item in read):
        return
    try:
        expected = list(csv.reader(io.StringIO(data), strict=True))[1:]
    except csv.Error:
        raise AssertionError(f"a malformed CSV was read without a problem: {data!r}") from None
    kept = [row for row in expected if any(cell.strip() for cell in row)]
    records = [item for item in read if isinstance(item, ModelRequestLine)]
    assert len(records) == len(kept)


def test_the_format_table_and_its_names_agree() -> None:
    assert set(get_args(InputFormatName)) == set(INPUT_FILE_FORMATS) == set(READERS)
    assert format_for_filename("Tweets.CSV") is INPUT_FILE_FORMATS["csv"]
    assert format_for_filename("a.jsonl") is INPUT_FILE_FORMATS["jsonl"]
    assert format_for_filename("a.txt") is None
