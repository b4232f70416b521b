"""Batch input readers against hostile CSV structure: every row is a record or a problem with its line."""

from __future__ import annotations

import csv
import io
import json
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zstc.batch.formats import READERS, InputSpec, ModelRequestLine, Problem, read_csv, read_records
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


JSONL_SPEC = InputSpec(format="jsonl", parameters=SPEC.parameters)


def _records(spec: InputSpec, data: str) -> list[ModelRequestLine | Problem]:
    return list(read_records(io.BytesIO(data.encode()), spec))


@pytest.mark.parametrize(
    ("spec", "data", "line", "first", "shown"),
    [
        (
            JSONL_SPEC,
            '{"id": "a", "inputs": "x"}\n{"id": "b", "inputs": "y"}\n{"id": "a", "inputs": "z"}\n',
            3,
            1,
            '"a"',
        ),
        # 7 and "7" are one id in results.csv
        (JSONL_SPEC, '{"id": 7, "inputs": "x"}\n{"id": "7", "inputs": "y"}\n', 2, 1, '"7"'),
        (JSONL_SPEC, '{"id": 2, "inputs": "x"}\n{"inputs": "y"}\n', 2, 1, "2"),  # line 2 takes id 2
        (InputSpec("csv", SPEC.parameters, id_column="id"), "id,text\nr1,x\nr2,y\nr1,z\n", 4, 2, '"r1"'),
    ],
)
def test_a_record_id_given_twice_is_a_problem_naming_the_id_and_its_first_line(
    spec: InputSpec, data: str, line: int, first: int, shown: str
) -> None:
    # Given a file in which two records have one id
    read = _records(spec, data)
    # Then the later one is a problem on its line, naming the id and where it was first; nothing is
    # dropped or chosen silently (start_batch rejects a file with any problem)
    problems = [item for item in read if isinstance(item, Problem)]
    assert [(problem.line, problem.reason) for problem in problems] == [
        (line, f"id {shown} is also the id of line {first}; record ids must be unique")
    ]


def test_records_without_ids_take_their_line_numbers_and_never_collide() -> None:
    data = "".join(json.dumps({"inputs": f"text {index}"}) + "\n" for index in range(50))
    assert all(isinstance(item, ModelRequestLine) for item in _records(JSONL_SPEC, data))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_line_are_invalid_json_at_their_column(constant: str) -> None:
    prefix = '{"inputs": "NaN", "parameters": {"candidate_labels": ["a", "b"], "threshold": '
    [problem] = _records(JSONL_SPEC, prefix + constant + "}}\n")
    assert isinstance(problem, Problem)
    assert problem.line == 1
    reason = f"{constant} is not a JSON value (JSON has no NaN or Infinity)"
    assert problem.reason == f"invalid JSON: {reason} at column {len(prefix) + 1}"


def test_an_integer_too_long_to_read_is_a_problem_on_its_line_not_a_crash() -> None:
    prefix = '{"id": '
    [problem] = _records(JSONL_SPEC, prefix + "9" * 5000 + ', "inputs": "x"}\n')
    assert isinstance(problem, Problem)
    assert problem.reason.startswith("invalid JSON: an integer of more than 4300 digits")
    assert problem.reason.endswith(f"at column {len(prefix) + 1}")


@pytest.mark.parametrize(
    ("spec", "data", "reason"),
    [
        (JSONL_SPEC, '{"id": "", "inputs": "x"}\n', "id: id is empty"),
        (JSONL_SPEC, '{"id": " \\u3000", "inputs": "x"}\n', "id: id is empty"),
        (InputSpec("csv", SPEC.parameters, id_column="key"), "key,text\n ,x\n", "key is empty"),
    ],
    ids=["jsonl-empty", "jsonl-blank", "csv-blank"],
)
def test_a_blank_record_id_is_a_problem_in_either_format(spec: InputSpec, data: str, reason: str) -> None:
    [problem] = _records(spec, data)
    assert isinstance(problem, Problem)
    assert (problem.line, problem.reason[: len(reason)]) == (2 if spec.format == "csv" else 1, reason)
