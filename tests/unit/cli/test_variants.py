"""``zstc_cli.evaluation.variants``: annotated samples read as the annotator wrote them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zstc_cli.errors import CliError
from zstc_cli.evaluation.variants import Example, build_variants, load_examples


def test_integer_classes_in_json_lines_are_labels_zero_included(tmp_path: Path) -> None:
    # Given a JSON Lines sample whose classes are the integers 0 and 1
    path = tmp_path / "sample.jsonl"
    rows = [{"text": "great film", "label": 1}, {"text": "dull film", "label": 0}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    # Then class 0 is the label "0", not an empty label
    assert load_examples(path, "text", "label") == [
        Example("1", "great film", "1"),
        Example("2", "dull film", "0"),
    ]


def test_a_null_class_is_still_empty(tmp_path: Path) -> None:
    path = tmp_path / "sample.jsonl"
    path.write_text(json.dumps({"text": "x", "label": None}) + "\n", encoding="utf-8")
    with pytest.raises(CliError, match="line 1: empty label"):
        load_examples(path, "text", "label")


@pytest.mark.parametrize("twin", ["Cafe\u0301", "Caf\u00e9\u200b", "Caf\u00e9\ufe0f"])
def test_truth_values_that_read_as_one_label_are_an_error_naming_their_lines(
    tmp_path: Path, twin: str
) -> None:
    # Given "Café" on line 2 and the same word in another Unicode form (or with an invisible character)
    # on line 4
    path = tmp_path / "sample.csv"
    path.write_text(f"text,label\na,Caf\u00e9\nb,Work\nc,{twin}\n", encoding="utf-8")
    # Then the CLI says which lines, before any request (the API would refuse the two as one label)
    with pytest.raises(CliError, match=r"lines 2 and 4: label values .* are one label"):
        load_examples(path, "text", "label")


def test_a_labels_file_s_descriptions_are_a_variant() -> None:
    variants = build_variants(["a", "b"], label_descriptions={"a": "about a"})
    assert [(v.name, dict(v.parameters)) for v in variants] == [
        ("labels as given", {}),
        ("label descriptions", {"label_descriptions": {"a": "about a"}}),
    ]
