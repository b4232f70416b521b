"""The classification contract against hostile key normalisation: nothing silently dropped."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from zstc.contract.request import ClassifyRequest

LABELS = ["Health", "Finance"]
_SPACES = st.text(alphabet=" \t\n\u00a0\u3000\u2003", max_size=3)


def _request(descriptions: dict[str, str]) -> dict[str, Any]:
    return {
        "inputs": "go for a run",
        "parameters": {"candidate_labels": LABELS, "label_descriptions": descriptions},
    }


def test_description_keys_that_collide_after_stripping_are_a_422_naming_the_label() -> None:
    # Given two descriptions of "Health", one keyed with a trailing space
    body = _request({"Health": "exercise and sleep", "Health ": "doctors and medicine"})

    # When validated, then it is refused, naming the field and the label, whatever the key order
    for ordered in (body, _request(dict(reversed(list(body["parameters"]["label_descriptions"].items()))))):
        with pytest.raises(ValidationError) as raised:
            ClassifyRequest.model_validate(ordered)
        [error] = raised.value.errors()
        assert error["type"] == "description_duplicate"
        assert error["loc"] == ("parameters", "label_descriptions")
        assert '"Health"' in error["msg"]


def test_a_description_for_a_label_that_is_not_a_candidate_is_a_422_at_the_field() -> None:
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(_request({"Travel": "trips abroad"}))
    [error] = raised.value.errors()
    assert error["type"] == "description_label"
    assert error["loc"] == ("parameters", "label_descriptions")
    assert error["msg"] == 'label_descriptions has "Travel", which is not one of candidate_labels'


def test_a_refused_candidate_labels_is_the_only_error_not_every_description_key() -> None:
    body = {"inputs": "x", "parameters": {"candidate_labels": [], "label_descriptions": {"Health": "sleep"}}}
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(body)
    assert [error["loc"] for error in raised.value.errors()] == [("parameters", "candidate_labels")]


@given(before=_SPACES, after=_SPACES, other_before=_SPACES, other_after=_SPACES)
def test_any_two_keys_naming_one_label_are_refused_and_one_key_is_kept(
    before: str, after: str, other_before: str, other_after: str
) -> None:
    first, second = f"{before}Health{after}", f"{other_before}Health{other_after}"
    if first == second:  # one key: accepted, stripped
        request = ClassifyRequest.model_validate(_request({first: "exercise"}))
        assert request.parameters.label_descriptions == {"Health": "exercise"}
        return
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(_request({first: "exercise", second: "medicine"}))
    assert raised.value.errors()[0]["type"] == "description_duplicate"


def test_labels_that_differ_only_in_unicode_composition_are_one_label_twice() -> None:
    # Given "Café" once precomposed (U+00E9) and once as "e" + a combining acute accent (U+0301)
    payload = {"inputs": "x", "parameters": {"candidate_labels": ["Caf\u00e9", "Cafe\u0301"]}}
    # When the request is validated
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(payload)
    # Then it is refused naming the second label's position and saying why the two are one
    [error] = raised.value.errors()
    assert error["type"] == "label_duplicate"
    assert "candidate_labels[1]" in error["msg"]
    assert "another Unicode form" in error["msg"]


_IGNORABLE_NOT_CF = ["\u034f", "\ufe0f", "\U000e0100", "\u17b4", "\u115f", "\u1160", "\uffa0", "\u3164"]
"""Default-ignorable code points outside category Cf: a grapheme joiner, variation selectors, Khmer's
U+17B4 and the Hangul fillers."""


@pytest.mark.parametrize(
    "twin", ["Trav\u200bel", "Trav\u00adel", "\u2060Travel", *(f"Travel{char}" for char in _IGNORABLE_NOT_CF)]
)
def test_labels_that_differ_only_by_an_invisible_format_character_are_one_label_twice(twin: str) -> None:
    # Given "Travel" and the same word with a zero-width space, a soft hyphen or a word joiner in it
    payload = {"inputs": "trip to rome", "parameters": {"candidate_labels": ["Travel", twin, "Work"]}}
    # Then it is refused naming the second one, instead of the two splitting one label's probability
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(payload)
    [error] = raised.value.errors()
    assert error["type"] == "label_duplicate"
    assert "candidate_labels[1]" in error["msg"]


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Caf\u00e9", "Cafe\u0301"),  # the label NFC, the key NFD
        ("Cafe\u0301", "Caf\u00e9"),  # and the reverse
        ("Travel", "Trav\u200bel"),  # a zero-width space inside the key
        ("Travel", "Travel \u200b"),  # a space hidden from strip() behind a format character
    ],
)
def test_a_description_key_is_matched_to_its_label_by_the_labels_own_rule(label: str, key: str) -> None:
    # Given a label described under a key that reads the same but is spelt differently
    payload = {
        "inputs": "a trip",
        "parameters": {"candidate_labels": [label, "Work"], "label_descriptions": {key: "about it"}},
    }
    # Then the key names the label, and the description is keyed by the label as the request spells it
    request = ClassifyRequest.model_validate(payload)
    assert request.parameters.label_descriptions == {label: "about it"}
    # And two keys that name one label are refused, whatever their order
    for keys in ((key, label), (label, key)):
        payload["parameters"]["label_descriptions"] = dict.fromkeys(keys, "about it")  # type: ignore[index]
        with pytest.raises(ValidationError) as raised:
            ClassifyRequest.model_validate(payload)
        assert raised.value.errors()[0]["type"] == "description_duplicate"


def test_a_label_and_its_twin_behind_a_format_character_and_a_space_are_one_label_twice() -> None:
    payload = {"inputs": "a trip", "parameters": {"candidate_labels": ["Travel", "Travel \u200b"]}}
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(payload)
    assert raised.value.errors()[0]["type"] == "label_duplicate"


@pytest.mark.parametrize("char", _IGNORABLE_NOT_CF)
def test_a_label_of_only_default_ignorable_characters_has_no_visible_characters(char: str) -> None:
    payload = {"inputs": "trip to rome", "parameters": {"candidate_labels": ["Travel", char * 3]}}
    with pytest.raises(ValidationError) as raised:
        ClassifyRequest.model_validate(payload)
    [error] = raised.value.errors()
    assert error["type"] == "text_invisible"
    assert "candidate_labels[1]" in error["msg"]
