"""The NLI method with many labels: a retriever shortlists labels per text, the NLI model scores the top k."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from tests.support.tiny_models import build_tiny_bart_nli
from zstc_engine.classifier import classify_each
from zstc_engine.embedding import DEFAULT_TEMPERATURE, EmbeddingClassifier, rank_labels
from zstc_engine.loading import load_classifier
from zstc_engine.nli import (
    DEFAULT_SHORTLIST,
    NLI_EXAMPLE_WEIGHT,
    SHORTLIST_ABOVE,
    AdaptiveShortlist,
    ExamplesUnavailableError,
    NliClassifier,
    ShortlistUnavailableError,
)
from zstc_engine.protocol import ClassificationTask, RecordFailure, RequestError

LABELS = (*tuple(f"label {index}" for index in range(40)), "banking", "sports", "health")
TEXTS = ("my card payment was declined", "the match ended in a draw")


class CountingNli(NliClassifier):
    """Records how many premise/hypothesis pairs reach the model."""

    pairs: list[int]

    def _pair_logits(self, pairs: list[tuple[str, str]]) -> object:  # type: ignore[override]
        self.pairs.append(len(pairs))
        return super()._pair_logits(pairs)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> CountingNli:
    directory = build_tiny_bart_nli(tmp_path_factory.mktemp("tiny-bart") / "model", model_max_length=128)
    loaded = load_classifier(directory, environ={"ZSTC_LINEAR_KERNEL": "default"})
    assert isinstance(loaded, NliClassifier)
    assert isinstance(loaded.retriever, EmbeddingClassifier)
    loaded.__class__ = CountingNli
    assert isinstance(loaded, CountingNli)
    loaded.pairs = []
    return loaded


def _retriever_ranking(engine: NliClassifier, task: ClassificationTask) -> list[tuple[list[int], int]]:
    """Per text: the retriever's ranking of the labels and the default shortlist's k for it."""
    assert engine.retriever is not None
    [(plan, similarity)] = engine.retriever.label_similarity([task])
    rankings, offset = [], 0
    for _, windows in plan:
        per_window = similarity[offset : offset + len(windows)]
        best = per_window.max(dim=0).values
        rankings.append((rank_labels(per_window), DEFAULT_SHORTLIST.size(best, engine.retriever.temperature)))
        offset += len(windows)
    return rankings


def test_many_labels_get_the_default_shortlist_sized_per_text(engine: CountingNli) -> None:
    # Given more labels than the default threshold and no shortlist parameter
    assert len(LABELS) > SHORTLIST_ABOVE
    task = ClassificationTask(texts=TEXTS, labels=LABELS, is_batch=True)
    engine.pairs.clear()
    results = engine.classify(task)
    ranked = _retriever_ranking(engine, task)
    # Then each text had the k its retriever similarities give, within the rule's bounds, and the model
    # scored those pairs only: the retriever's top k of each text
    assert engine.pairs == [sum(k for _, k in ranked)]
    for result, (ranking, k) in zip(results, ranked, strict=True):
        assert DEFAULT_SHORTLIST.min_k <= k <= DEFAULT_SHORTLIST.max_k
        assert result.shortlist is not None
        assert len(result.shortlist) == k
        assert set(result.shortlist) == {LABELS[i] for i in ranking[:k]}
        # every label is listed; the scored ones first, summing to 1, the rest 0 in the retriever's order
        assert set(result.labels) == set(LABELS)
        assert result.labels[:k] == result.shortlist
        assert sum(result.scores) == pytest.approx(1.0)
        assert set(result.scores[k:]) == {0.0}
        assert list(result.labels[k:]) == [LABELS[i] for i in ranking[k:]]


def test_texts_with_different_shortlist_sizes_share_one_batch(engine: CountingNli) -> None:
    # Given two requests scored together, with shortlists of 3 and 7 labels
    tasks = [
        ClassificationTask(texts=TEXTS, labels=LABELS, shortlist=k, is_batch=True, multi_label=True)
        for k in (3, 7)
    ]
    engine.pairs.clear()
    together = engine.classify_many(tasks)
    # Then each text's scores are those it gets alone (its pairs were found in the shared batch)
    assert engine.pairs == [(3 + 7) * len(TEXTS)]
    for task, results in zip(tasks, together, strict=True):
        for text, result in zip(TEXTS, results, strict=True):
            [alone] = engine.classify(replace(task, texts=(text,), is_batch=False))
            assert result.shortlist is not None
            assert len(result.shortlist) == task.shortlist
            assert result.labels == alone.labels
            assert result.scores == pytest.approx(alone.scores, abs=1e-5)


@pytest.mark.parametrize(
    ("similarity", "expected"),
    [
        # one label far ahead: it holds all the softmax, so the fewest allowed
        ([0.9, *[0.1] * 99], DEFAULT_SHORTLIST.min_k),
        # every label alike: the mass is spread over all of them, so the most allowed
        ([0.5] * 100, DEFAULT_SHORTLIST.max_k),
        # 16 labels alike far ahead of the rest: those 16
        ([0.9] * 16 + [0.1] * 84, 16),
        # fewer labels than the minimum: every label
        ([0.9, 0.1, 0.1], 3),
    ],
    ids=["sure", "flat", "sixteen-ahead", "few-labels"],
)
def test_the_default_shortlist_keeps_the_fewest_labels_holding_its_mass(
    similarity: list[float], expected: int
) -> None:
    assert DEFAULT_SHORTLIST.size(torch.tensor(similarity), DEFAULT_TEMPERATURE) == expected


def test_a_shortlist_that_would_cover_every_label_is_plain_nli(engine: CountingNli) -> None:
    # Given a default rule whose k reaches the label count (a low threshold, a high minimum)
    saved = engine.default_shortlist, engine.shortlist_above
    engine.default_shortlist = AdaptiveShortlist(min_k=10, max_k=50, mass=0.99)
    engine.shortlist_above = 4
    try:
        engine.pairs.clear()
        [result] = engine.classify(ClassificationTask(texts=TEXTS[:1], labels=LABELS[:10]))
    finally:
        engine.default_shortlist, engine.shortlist_above = saved
    # Then every label is scored as the pipeline would, and the answer names no shortlist
    assert engine.pairs == [10]
    assert result.shortlist is None
    assert min(result.scores) > 0


def test_shortlisted_scores_are_plain_nli_over_the_shortlist(engine: CountingNli) -> None:
    # Given a shortlist of 5
    [result] = engine.classify(ClassificationTask(texts=TEXTS[:1], labels=LABELS, shortlist=5))
    assert result.shortlist is not None
    # When the same labels are asked for without a shortlist
    [plain] = engine.classify(ClassificationTask(texts=TEXTS[:1], labels=result.shortlist))
    # Then the scores are the same
    assert plain.labels == result.labels[:5]
    assert plain.scores == pytest.approx(result.scores[:5], abs=1e-6)


@pytest.mark.parametrize("shortlist", [False, len(LABELS), len(LABELS) + 10])
def test_no_shortlist_or_one_as_long_as_the_labels_is_plain_nli(
    engine: CountingNli, shortlist: int | bool
) -> None:
    engine.pairs.clear()
    [result] = engine.classify(ClassificationTask(texts=TEXTS[:1], labels=LABELS, shortlist=shortlist))
    assert engine.pairs == [len(LABELS)]
    assert result.shortlist is None
    assert "shortlist" not in result.to_json()
    assert sum(result.scores) == pytest.approx(1.0)
    assert min(result.scores) > 0


def test_few_labels_are_scored_in_full_by_default(engine: CountingNli) -> None:
    engine.pairs.clear()
    [result] = engine.classify(ClassificationTask(texts=TEXTS[:1], labels=LABELS[:SHORTLIST_ABOVE]))
    assert engine.pairs == [SHORTLIST_ABOVE]
    assert result.shortlist is None


def test_multi_label_evidence_and_top_k_with_a_shortlist(engine: CountingNli) -> None:
    task = ClassificationTask(
        texts=TEXTS[:1],
        labels=LABELS,
        multi_label=True,
        shortlist=6,
        top_k=4,
        threshold=0.0,
        return_evidence=True,
    )
    [result] = engine.classify(task)
    assert result.shortlist is not None
    assert len(result.shortlist) == 6
    assert result.labels == result.shortlist[:4]  # top_k caps what is listed
    assert result.evidence is not None
    assert [e.label for e in result.evidence] == list(result.labels)
    assert result.predicted_labels is not None
    assert len(result.predicted_labels) == len(LABELS)


def test_a_shortlist_without_a_retriever_fails_only_its_record_and_false_scores_every_label(
    engine: CountingNli,
) -> None:
    # Given an NLI endpoint without a retriever, and records asking for a shortlist, getting the default
    # one (more labels than the default's threshold), or saying shortlist false
    retriever, engine.retriever = engine.retriever, None
    try:
        asked = ClassificationTask(texts=TEXTS[:1], labels=LABELS, shortlist=5)
        defaulted = ClassificationTask(texts=TEXTS[:1], labels=LABELS)
        every = ClassificationTask(texts=TEXTS[:1], labels=LABELS, shortlist=False)
        with pytest.raises(ShortlistUnavailableError, match=r"parameters\.shortlist"):
            engine.classify(asked)
        failed, failed_default, plain = classify_each(engine, [asked, defaulted, every])
        # Then the two that need a ranking fail alone, saying how to score every label (the API
        # budgeted them for the shortlist, not for every label), and shortlist false scores them all
        for failure in (failed, failed_default):
            assert isinstance(failure, RecordFailure)
            assert "shortlist false" in failure.reason
        assert not isinstance(plain, RecordFailure)
        assert plain[0].shortlist is None
    finally:
        engine.retriever = retriever


def test_no_retriever_when_the_setting_says_none(tmp_path: Path) -> None:
    directory = build_tiny_bart_nli(tmp_path / "model")
    loaded = load_classifier(directory, environ={"ZSTC_RETRIEVER_DIR": "none"})
    assert isinstance(loaded, NliClassifier)
    assert loaded.retriever is None


def test_label_examples_add_the_retrievers_example_logit_to_the_labels_that_have_them(
    engine: CountingNli,
) -> None:
    # Given a multi-label task (a label's score is the sigmoid of its own logit), examples for one label
    labels = ("banking", "sports", "health")
    plain = ClassificationTask(texts=TEXTS, labels=labels, multi_label=True, is_batch=True)
    examples = (("my card was declined at the shop", "transfer money to my account"), (), ())
    steered = replace(plain, label_examples=examples)
    before, after = engine.classify(plain), engine.classify(steered)
    assert engine.retriever is not None
    [added] = engine.retriever.example_scores([steered])
    for text, (old, new) in enumerate(zip(before, after, strict=True)):
        old_logit = {label: _logit(score) for label, score in zip(old.labels, old.scores, strict=True)}
        new_logit = {label: _logit(score) for label, score in zip(new.labels, new.scores, strict=True)}
        # Then the label with examples moved by exactly weight x similarity / temperature; the others not
        expected = NLI_EXAMPLE_WEIGHT * float(added[text][0]) / engine.retriever.temperature
        assert new_logit["banking"] - old_logit["banking"] == pytest.approx(expected, abs=1e-3)
        assert new_logit["sports"] == pytest.approx(old_logit["sports"], abs=1e-5)
        assert new_logit["health"] == pytest.approx(old_logit["health"], abs=1e-5)


def _logit(score: float) -> float:
    return math.log(score / (1 - score))


def test_label_examples_without_a_retriever_fail_their_record_and_are_never_ignored(
    engine: CountingNli,
) -> None:
    retriever, engine.retriever = engine.retriever, None
    try:
        steered = ClassificationTask(texts=TEXTS[:1], labels=("a", "b"), label_examples=(("an example",), ()))
        plain = ClassificationTask(texts=TEXTS[:1], labels=("a", "b"))
        with pytest.raises(ExamplesUnavailableError, match=r"parameters\.label_examples"):
            engine.classify(steered)
        failed, answered = classify_each(engine, [steered, plain])
        assert isinstance(failed, RecordFailure)
        assert not isinstance(answered, RecordFailure)
    finally:
        engine.retriever = retriever


def test_a_shortlist_ranks_labels_with_their_examples(engine: CountingNli) -> None:
    # Given many labels, one of them ("label 7") steered by examples that match the text word for word
    examples = tuple((TEXTS[0],) if label == "label 7" else () for label in LABELS)
    task = ClassificationTask(texts=TEXTS[:1], labels=LABELS, shortlist=2, label_examples=examples)
    [result] = engine.classify(task)
    # Then the retriever put it in the shortlist the NLI model scored
    assert result.shortlist is not None
    assert "label 7" in result.shortlist


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"label_descriptions": (None, "\U00012000" * 40)}, "parameters.label_descriptions.b in the default"),
        (
            {"hypothesis_templates": ("x {}", "\U00012000" * 30 + " {}")},
            "candidate_labels[1] in hypothesis_template[1]",
        ),
    ],
    ids=["description", "template"],
)
def test_a_hypothesis_longer_than_the_input_is_a_request_error_naming_its_fields(
    engine: CountingNli, parameters: dict[str, tuple[str | None, ...]], field: str
) -> None:
    # Given a hypothesis of more byte-level tokens than the model's 128-token input
    labels = ("a", "\U00012000" * 2) if "hypothesis_templates" in parameters else ("a", "b")
    task = ClassificationTask(texts=("run",), labels=labels, **parameters)  # type: ignore[arg-type]
    # Then the engine refuses the request, naming what makes the hypothesis, instead of an IndexError
    with pytest.raises(RequestError, match=r"makes a hypothesis of \d+ tokens") as raised:
        engine.classify_many([task])
    assert field in str(raised.value)
    # and in a batch only that record fails
    failure, results = classify_each(engine, [task, ClassificationTask(texts=("run",), labels=("a", "b"))])
    assert isinstance(failure, RecordFailure)
    assert isinstance(results, list)
    assert results[0].labels
