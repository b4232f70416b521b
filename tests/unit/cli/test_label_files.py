"""``zstc_cli.label_files``: label set files (CSV rows per example, or YAML) read into a create body."""

from __future__ import annotations

from pathlib import Path

import pytest

from zstc_cli.errors import CliError
from zstc_cli.label_files import read_label_set_file


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_collects_a_label_s_examples_across_rows_and_its_description_from_any_row(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        "labels.csv",
        'label,description,example\nHealth,,run a marathon\nFinance,"money, debt",pay off my card\n'
        "Health,exercise and diet,eat more vegetables\n\nCareer,,\n",
    )
    assert read_label_set_file(path) == {
        "parameters": {
            "candidate_labels": ["Health", "Finance", "Career"],
            "label_descriptions": {"Finance": "money, debt", "Health": "exercise and diet"},
            "label_examples": {
                "Health": ["run a marathon", "eat more vegetables"],
                "Finance": ["pay off my card"],
            },
        }
    }


def test_a_csv_of_labels_only_has_no_descriptions_or_examples(tmp_path: Path) -> None:
    path = _write(tmp_path, "labels.csv", "label\nHealth\nFinance\n")
    assert read_label_set_file(path) == {"parameters": {"candidate_labels": ["Health", "Finance"]}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("text,example\na,b\n", "line 1: the header must be"),
        ("label,label\na,b\n", "line 1: the header must be"),
        ("label,example\n,an example\n", "line 2: the label is empty"),
        ("label,description\nHealth,one\nHealth,two\n", "line 3: a second, different description"),
        ("label,example\nHealth,a,b\n", "line 2: 3 cells"),
        ("label\n\n", "has no labels"),
    ],
)
def test_a_csv_of_the_wrong_shape_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CliError, match=message):
        read_label_set_file(_write(tmp_path, "labels.csv", text))


def test_a_yaml_file_gives_labels_with_their_options_and_note(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "intents.yaml",
        "labels:\n  - name: Health\n    description: exercise\n    examples: [run, swim]\n  - Finance\n"
        "hypothesis_template: This text is about {}.\nthreshold: 0.5\nnote: first cut\n",
    )
    assert read_label_set_file(path) == {
        "parameters": {
            "candidate_labels": ["Health", "Finance"],
            "label_descriptions": {"Health": "exercise"},
            "label_examples": {"Health": ["run", "swim"]},
            "hypothesis_template": "This text is about {}.",
            "threshold": 0.5,
        },
        "note": "first cut",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("labels: [a\n", "not valid YAML"),
        ("- a\n- b\n", "a mapping with a labels list"),
        ("labels: [a]\ncandidate_labels: [b]\n", "unknown key 'candidate_labels'"),
        ("labels:\n  - {name: a, colour: red}\n", r"labels\[0\]: unknown key 'colour'"),
        ("labels:\n  - {description: x}\n", r"labels\[0\] must be a label or a mapping with a name"),
        ("labels:\n  - {name: a, examples: one}\n", r"labels\[0\].examples must be a list"),
    ],
)
def test_a_yaml_file_of_the_wrong_shape_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CliError, match=message):
        read_label_set_file(_write(tmp_path, "intents.yml", text))
