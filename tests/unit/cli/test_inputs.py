"""``zstc_cli.inputs``: a batch CSV's header checked on this machine before anything is uploaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from zstc_cli.errors import CliError, ExitCode
from zstc_cli.inputs import check_csv_header, read_texts


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_header_with_the_columns_passes(tmp_path: Path) -> None:
    check_csv_header(_csv(tmp_path, "\ufeffid,text\n1,go jogging every morning\n"), "text", "id")


def test_a_missing_text_column_suggests_the_one_column_that_holds_text(tmp_path: Path) -> None:
    # Given a file whose text is under "tweet", beside an id and a category of a few words
    path = _csv(
        tmp_path,
        "id,tweet,category\n"
        "1,read more books and no scrolling before breakfast,Personal Growth\n"
        '2,"run a marathon in May, finally",Health & Fitness\n',
    )
    # Then the error names the columns and suggests --text-column tweet
    with pytest.raises(CliError) as raised:
        check_csv_header(path, "text", None)
    assert raised.value.exit_code == ExitCode.USER_ERROR
    assert raised.value.message == (
        f"{path}: no column 'text' for the text (it has id, tweet, category); pass --text-column tweet"
    )


def test_no_suggestion_when_two_columns_hold_text(tmp_path: Path) -> None:
    path = _csv(tmp_path, "title,body\nmy goals for this year,read more books and run more\n")
    with pytest.raises(CliError, match=r"name it with --text-column$"):
        check_csv_header(path, "text", None)


def test_a_missing_id_column_and_an_empty_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="no column 'key' for --id-column"):
        check_csv_header(_csv(tmp_path, "id,text\n1,x\n"), "text", "key")
    with pytest.raises(CliError, match="has no header row"):
        check_csv_header(_csv(tmp_path, ""), "text", None)


def test_no_text_at_all_is_a_usage_error() -> None:
    with pytest.raises(CliError) as raised:
        read_texts([], None)
    assert raised.value.exit_code == ExitCode.USAGE


def test_a_header_naming_the_text_column_twice_or_a_broken_quote_is_refused_before_upload(
    tmp_path: Path,
) -> None:
    # Given what the batch reader would reject only after the upload: a repeated text column, and a
    # quoted field that never closes (the csv module's default would close it at the end of the file)
    with pytest.raises(CliError, match="names column 'text' 2 times"):
        check_csv_header(_csv(tmp_path, "id,text,text\n1,a,b\n"), "text", "id")
    with pytest.raises(CliError, match="malformed CSV in the header or the first rows"):
        check_csv_header(_csv(tmp_path, 'id,text\n1,"I will run a marathon\n2,x\n'), "text", "id")
