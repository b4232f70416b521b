"""``zstc_cli.labels``: the --labels rule, --labels-file (plain or label,description CSV), steering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zstc_cli.errors import CliError, ExitCode
from zstc_cli.labels import Labels, parse_labels, read_labels_file, resolve_labels, steering


def test_labels_are_comma_separated_and_stripped() -> None:
    assert parse_labels("Health, Finance,Personal Growth") == ["Health", "Finance", "Personal Growth"]
    assert parse_labels("Health") == ["Health"]


def test_spaces_without_a_comma_are_refused_with_the_comma_form() -> None:
    # Given labels typed with spaces, the way a shell user might
    with pytest.raises(CliError) as raised:
        parse_labels("Health Finance Career")
    # Then it is a usage error that shows the comma-separated form and the way to one spaced label
    assert raised.value.exit_code == ExitCode.USAGE
    assert '--labels "Health,Finance,Career"' in raised.value.message
    assert '--labels "Health Finance Career,"' in raised.value.message
    assert "--labels-file" in raised.value.message


def test_one_trailing_comma_makes_a_list_of_one_label_with_spaces() -> None:
    assert parse_labels("Personal Growth,") == ["Personal Growth"]
    assert parse_labels("Health, Personal Growth, ") == ["Health", "Personal Growth"]
    assert parse_labels("a,,b") == ["a", "", "b"]  # an empty label inside is the API's 422, not dropped


def test_a_plain_labels_file_is_one_label_per_line_commas_kept(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_text("Health, Fitness & Sport\n\nFinance\n  Personal Growth  \n", encoding="utf-8")
    assert read_labels_file(path) == Labels(["Health, Fitness & Sport", "Finance", "Personal Growth"])


def test_a_label_description_csv_gives_labels_and_their_descriptions(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        '\ufefflabel,description\n"Health, Fitness",exercise and diet\nFinance,\nHumor,jokes\n',
        encoding="utf-8",
    )
    assert read_labels_file(path) == Labels(
        ["Health, Fitness", "Finance", "Humor"], {"Health, Fitness": "exercise and diet", "Humor": "jokes"}
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\n\n", "has no labels"),
        ("label,description\n", "has no labels"),
        ("label,description\na,b,c\n", "line 2: expected label,description"),
        ("label,description\n,orphan description\n", "line 2: expected label,description"),
    ],
)
def test_labels_file_mistakes_are_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CliError, match=message) as raised:
        read_labels_file(path)
    assert raised.value.exit_code == ExitCode.USER_ERROR


def test_labels_and_labels_file_together_are_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="not both") as raised:
        resolve_labels("a,b", tmp_path / "labels.txt")
    assert raised.value.exit_code == ExitCode.USAGE
    assert resolve_labels(None, None) is None
    assert resolve_labels("  ", None) is None


def test_descriptions_come_from_the_labels_file_or_the_json_not_both(tmp_path: Path) -> None:
    described = Labels(["a", "b"], {"a": "about a"})
    assert steering(described, None, None, None, False) == {"label_descriptions": {"a": "about a"}}
    descriptions = tmp_path / "d.json"
    descriptions.write_text(json.dumps({"b": "about b"}), encoding="utf-8")
    assert steering(Labels(["a", "b"]), ["T {}."], descriptions, 0.5, True) == {
        "hypothesis_template": "T {}.",
        "label_descriptions": {"b": "about b"},
        "threshold": 0.5,
        "return_evidence": True,
    }
    with pytest.raises(CliError, match="has descriptions already") as raised:
        steering(described, None, descriptions, None, False)
    assert raised.value.exit_code == ExitCode.USAGE
