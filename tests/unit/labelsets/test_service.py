"""zstc.labelsets.service over in-memory fakes: versions, idempotent creates, resolution, cache, deletes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fakes import FakeLabelSetStore, FakeObjectStore
from zstc.contract.label_sets import CreateLabelSetRequest
from zstc.core import limits
from zstc.core.errors import ConflictError, InvalidRequestError, NotFoundError, UnprocessableRequestError
from zstc.labelsets import layout
from zstc.labelsets.service import CREATE_ATTEMPTS, LabelSetsService

LABELS = ["Health", "Career", "Finance"]


def _service() -> tuple[LabelSetsService, FakeLabelSetStore, FakeObjectStore]:
    store, objects = FakeLabelSetStore(), FakeObjectStore()
    return LabelSetsService(store, objects), store, objects


def _create(name: str = "goals", **parameters: Any) -> CreateLabelSetRequest:
    note = parameters.pop("note", None)
    expected = parameters.pop("expected_version", None)
    return CreateLabelSetRequest.model_validate(
        {
            "name": name,
            "parameters": {"candidate_labels": LABELS, **parameters},
            "note": note,
            "expected_version": expected,
        }
    )


def test_a_new_name_is_version_1_and_each_change_the_next_version() -> None:
    service, _, _ = _service()
    first, created_first = service.create(_create(threshold=0.5))
    second, created_second = service.create(_create(threshold=0.6, note="stricter"))
    assert (first.label_set, created_first) == ("goals@1", True)
    assert (second.label_set, created_second) == ("goals@2", True)
    assert service.get("goals").label_set == "goals@2"
    assert service.get("goals", 1).parameters.threshold == 0.5


def test_a_retried_create_answers_the_version_it_made() -> None:
    service, store, _ = _service()
    first, _ = service.create(_create(multi_label=True))
    again, created = service.create(_create(multi_label=True))
    assert (again.label_set, created) == (first.label_set, False)
    assert set(store.versions) == {("goals", 1)}


def test_versions_are_immutable_a_later_version_leaves_an_earlier_one_as_it_was() -> None:
    service, _, _ = _service()
    service.create(_create(hypothesis_template="This is about {}."))
    service.create(_create(label_descriptions={"Finance": "money and debt"}))
    old = service.resolve("goals@1")
    assert old.parameters.hypothesis_template == "This is about {}."
    assert old.parameters.label_descriptions is None


def test_resolving_latest_reads_the_head_each_time_and_a_version_once() -> None:
    service, store, _ = _service()
    service.create(_create())
    fresh = LabelSetsService(store, FakeObjectStore())
    for _ in range(3):
        fresh.resolve("goals@1")
    assert store.reads == 1
    service.create(_create(threshold=0.7))
    assert fresh.resolve("goals").label_set == "goals@2"


def test_the_cache_keeps_a_bounded_number_of_versions() -> None:
    service, _, _ = _service()
    for index in range(limits.LABEL_SET_CACHE_VERSIONS + 5):
        service.create(_create(threshold=index / 100))
    assert len(service._cache) == limits.LABEL_SET_CACHE_VERSIONS


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("nope", NotFoundError),
        ("goals@9", NotFoundError),
        ("goals@0", UnprocessableRequestError),
        ("goals@x", UnprocessableRequestError),
        ("goals@", UnprocessableRequestError),
        ("bad name", UnprocessableRequestError),
    ],
)
def test_a_reference_to_nothing_is_404_and_a_bad_reference_422(
    reference: str, error: type[Exception]
) -> None:
    service, _, _ = _service()
    service.create(_create())
    with pytest.raises(error):
        service.resolve(reference)


def test_a_version_too_large_for_an_item_goes_to_the_bucket_and_reads_back() -> None:
    service, store, objects = _service()
    labels = [f"label {index:03d} " + "x" * 86 for index in range(limits.MAX_LABELS)]
    descriptions = dict.fromkeys(labels, "d" * limits.MAX_DESCRIPTION_CHARS)
    request = CreateLabelSetRequest.model_validate(
        {"name": "big", "parameters": {"candidate_labels": labels, "label_descriptions": descriptions}}
    )
    view, _ = service.create(request)
    stored = store.versions["big", 1]
    assert stored.body is None
    assert stored.body_key == layout.version_key("big", 1)
    assert len(objects.objects[stored.body_key].data) > limits.LABEL_SET_ITEM_MAX_BYTES
    reread = LabelSetsService(store, objects).resolve("big@1")
    assert reread.parameters == view.parameters


def test_deleting_a_set_makes_new_resolutions_404_and_keeps_its_numbers() -> None:
    service, store, _ = _service()
    service.create(_create())
    service.create(_create(threshold=0.4))
    deleted = service.delete("goals")
    assert deleted.deleted_versions == 2
    for reference in ("goals", "goals@1", "goals@2"):
        with pytest.raises(NotFoundError):
            service.resolve(reference)
    assert not store.versions
    with pytest.raises(NotFoundError):
        service.delete("goals")
    recreated, _ = service.create(_create())
    assert recreated.label_set == "goals@3"
    assert [head.name for head in service.list(10, None).label_sets] == ["goals"]


def test_expected_version_guards_a_read_modify_write() -> None:
    service, _, _ = _service()
    service.create(_create(expected_version=0))
    service.create(_create(threshold=0.2, expected_version=1))
    with pytest.raises(ConflictError) as raised:
        service.create(_create(threshold=0.3, expected_version=1))
    assert raised.value.details[0]["loc"] == ["body", "expected_version"]


@pytest.mark.parametrize(
    ("history", "expected_message"),
    [
        ((), "latest version is none (the name is new), not expected_version 2"),
        (("create",), "latest version is 1, not expected_version 2"),
        (
            ("create", "delete"),
            "latest version is none (deleted after version 1: expected_version 0 creates the next), "
            "not expected_version 2",
        ),
    ],
)
def test_a_409_says_whether_the_name_is_new_live_or_deleted(
    history: tuple[str, ...], expected_message: str
) -> None:
    service, _, _ = _service()
    for step in history:
        if step == "create":
            service.create(_create())
        else:
            service.delete("goals")
    with pytest.raises(ConflictError) as raised:
        service.create(_create(threshold=0.3, expected_version=2))
    assert raised.value.message == f"label set goals's {expected_message}"


def test_after_a_delete_expected_version_0_creates_the_next_number() -> None:
    service, _, _ = _service()
    service.create(_create())
    service.delete("goals")
    recreated, created = service.create(_create(expected_version=0))
    assert (recreated.label_set, created) == ("goals@2", True)


@pytest.mark.parametrize("name", ["x" * 400, "../jobs", "a b"])
def test_a_404_for_a_name_that_cannot_be_a_set_does_not_echo_it(name: str) -> None:
    service, _, _ = _service()
    for call in (service.get, service.delete):
        with pytest.raises(NotFoundError) as raised:
            call(name)
        assert name not in raised.value.message
        assert "a name is 1-" in raised.value.message


def test_losing_every_race_for_the_next_version_is_a_409() -> None:
    service, store, _ = _service()
    store.lose_races = CREATE_ATTEMPTS
    with pytest.raises(ConflictError):
        service.create(_create())
    store.lose_races = CREATE_ATTEMPTS - 1
    assert service.create(_create())[0].label_set == "goals@1"


def test_the_listing_pages_through_live_sets_by_name() -> None:
    service, _, _ = _service()
    for name in ["c", "a", "b", "d"]:
        service.create(_create(name))
    service.delete("b")
    first = service.list(2, None)
    assert [summary.name for summary in first.label_sets] == ["a", "c"]
    assert first.label_sets[0].labels == len(LABELS)
    second = service.list(2, first.next_token)
    assert [summary.name for summary in second.label_sets] == ["d"]
    assert second.next_token is None
    with pytest.raises(InvalidRequestError):
        service.list(2, "bm90LWEtdG9rZW4")
