"""The embedding method with many labels: one matrix product and a segment max per task, cached label sets."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from zstc_engine.embedding import (
    EXAMPLE_TEMPERATURE,
    EXAMPLE_WEIGHT_MAX,
    EXAMPLE_WEIGHT_MIN,
    EmbeddingClassifier,
    distinct_rows,
    label_words,
    leave_one_out_weight,
    mix_examples,
)
from zstc_engine.loading import load_classifier
from zstc_engine.protocol import ClassificationResult, ClassificationTask
from zstc_engine.scoring import score_text

BANKING = Path(__file__).resolve().parents[4] / "shared" / "data" / "banking77-sample.csv"
COMPOUND = ("Health & Fitness", "Family/Friends/Relationships", "Finance", "Career", "Humor", "Sports")
TEXTS = (
    "I lost my card yesterday and the app still shows it as active.",
    "Going to the gym three times a week and eating better this year!",
    " ".join(["Markets fell sharply after the central bank raised rates."] * 60),  # several windows
)


@pytest.fixture(scope="module")
def minilm() -> EmbeddingClassifier:
    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier)
    return classifier


def _many_labels(count: int) -> tuple[str, ...]:
    labels = list(COMPOUND)
    if BANKING.is_file():
        with BANKING.open(encoding="utf-8", newline="") as handle:
            labels += sorted({row["category"] for row in csv.DictReader(handle)})
    labels += [f"topic number {index}" for index in range(count)]
    return tuple(dict.fromkeys(labels))[:count]


def _per_label_loop(classifier: EmbeddingClassifier, task: ClassificationTask) -> list[ClassificationResult]:
    """The scoring as it was: a Python loop over labels, one mask per label (the reference)."""
    hypotheses, owners = classifier._hypotheses(task)
    vectors = classifier.embed(hypotheses)
    results = []
    for text in task.texts:
        from zstc_engine.windows import token_windows  # noqa: PLC0415

        windows = token_windows(classifier.tokenizer, text, classifier.max_length - 2)
        similarity = classifier.embed([w.of(text) for w in windows]) @ vectors.T
        best = torch.stack(
            [similarity[:, owners == index].max(dim=1).values for index in range(len(task.labels))], dim=1
        )
        logits = (best - classifier.threshold if task.scored_alone else best) / classifier.temperature
        results.append(score_text(text, task, logits.unsqueeze(-1), windows, "max"))
    return results


@pytest.mark.parametrize("multi_label", [False, True])
@pytest.mark.parametrize("count", [1, 7, 120])
def test_vectorised_scores_equal_the_per_label_loop(
    minilm: EmbeddingClassifier, count: int, multi_label: bool
) -> None:
    # Given texts (one of several windows) and labels, compound ones among them
    task = ClassificationTask(
        texts=TEXTS,
        labels=_many_labels(count),
        multi_label=multi_label,
        is_batch=True,
        threshold=0.3,
        return_evidence=True,
    )
    # When the engine scores them, and the per-label loop does
    results, reference = minilm.classify(task), _per_label_loop(minilm, task)
    # Then labels, scores, decisions and evidence agree (float rounding of one matrix product aside)
    for result, expected in zip(results, reference, strict=True):
        assert result.labels[:3] == expected.labels[:3]
        by_label = dict(zip(expected.labels, expected.scores, strict=True))
        assert [by_label[label] for label in result.labels] == pytest.approx(list(result.scores), abs=1e-5)
        assert result.predicted_labels == expected.predicted_labels
        assert result.evidence is not None
        assert expected.evidence is not None
        spans = {e.label: (e.start, e.end) for e in expected.evidence}
        assert {e.label: (e.start, e.end) for e in result.evidence} == spans
        assert result.windows == expected.windows
        assert result.shortlist is None


def test_a_label_set_is_embedded_once_and_then_looked_up(minilm: EmbeddingClassifier) -> None:
    # Given 500 labels scored once
    task = ClassificationTask(texts=TEXTS[:2], labels=_many_labels(500), is_batch=True)
    minilm.classify(task)
    embedded: list[int] = []
    original = minilm.embed

    def spy(sentences: list[str]) -> torch.Tensor:
        embedded.append(len(sentences))
        return original(sentences)

    minilm.embed = spy  # type: ignore[method-assign,assignment]
    try:
        # When the same label set comes back with other texts
        minilm.classify(ClassificationTask(texts=("another text",), labels=task.labels))
    finally:
        minilm.embed = original  # type: ignore[method-assign]
    # Then only the text is embedded, and the caches hold the set (a few MB)
    assert embedded == [1]
    assert 0 < minilm.cache_bytes() < 64 * 1024**2


def test_an_explicit_shortlist_scores_the_models_own_top_k(minilm: EmbeddingClassifier) -> None:
    # Given a request asking for a shortlist of 5 of 40 labels
    labels = _many_labels(40)
    full = minilm.classify(ClassificationTask(texts=TEXTS[:1], labels=labels))[0]
    [result] = minilm.classify(ClassificationTask(texts=TEXTS[:1], labels=labels, shortlist=5))
    # Then the same top 5 are scored (softmax over them alone), the rest follow at 0 in ranking order
    assert result.shortlist == full.labels[:5]
    assert result.labels == full.labels
    assert sum(result.scores[:5]) == pytest.approx(1.0)
    assert set(result.scores[5:]) == {0.0}
    assert result.to_json()["shortlist"] == list(full.labels[:5])


def test_top_k_caps_the_labels_listed(minilm: EmbeddingClassifier) -> None:
    labels = _many_labels(30)
    full = minilm.classify(ClassificationTask(texts=TEXTS[:1], labels=labels, threshold=0.0))[0]
    [capped] = minilm.classify(ClassificationTask(texts=TEXTS[:1], labels=labels, threshold=0.0, top_k=3))
    assert capped.labels == full.labels[:3]
    assert capped.scores == full.scores[:3]
    assert capped.predicted_labels == full.predicted_labels  # the decision is made on every label


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("card_arrival", "card arrival"),
        ("cardArrival", "card Arrival"),
        ("Refund_not_showing_up", "Refund not showing up"),
        ("iPhone", "iPhone"),
        ("Health & Fitness", "Health & Fitness"),
        ("snake_case label", "snake_case label"),  # a phrase with spaces is the user's wording
        ("_", "_"),
    ],
)
def test_label_words(label: str, words: str) -> None:
    assert label_words(label) == words


def test_an_identifier_like_label_is_compared_as_words_and_answered_as_given(
    minilm: EmbeddingClassifier,
) -> None:
    text = ("where is the card you sent me?",)
    [spaced] = minilm.classify(ClassificationTask(texts=text, labels=("card arrival", "exchange rate")))
    [snake] = minilm.classify(ClassificationTask(texts=text, labels=("card_arrival", "exchange_rate")))
    assert snake.labels == tuple(label.replace(" ", "_") for label in spaced.labels)
    assert snake.scores == pytest.approx(spaced.scores)


WEIGHT = 0.6
"""A weight of the examples for the tests of :func:`mix_examples` (any in [0, 1])."""


def _mixture(
    examples: torch.Tensor, hypotheses: torch.Tensor, probability: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    return WEIGHT * probability(examples) + (1 - WEIGHT) * probability(hypotheses)


def test_mix_examples_softmax_at_the_methods_temperature_is_the_mixture_of_both_sources() -> None:
    # Given two windows' example and hypothesis cosines over three labels
    examples = torch.tensor([[0.62, 0.55, 0.30], [0.20, 0.41, 0.48]])
    hypotheses = torch.tensor([[0.21, 0.33, 0.18], [0.35, 0.12, 0.30]])
    # When they are mixed, single-label
    mixed = mix_examples(
        hypotheses, examples, weight=WEIGHT, scored_alone=False, threshold=0.25, temperature=0.05
    )
    # Then the method's softmax of each window scores it exactly the mixture of both sources' softmax
    expected = _mixture(examples, hypotheses, lambda s: torch.softmax(s / EXAMPLE_TEMPERATURE, dim=-1))
    assert torch.allclose(torch.softmax(mixed / 0.05, dim=-1), expected, atol=1e-6)


def test_mix_examples_scored_alone_sigmoid_is_the_mixture_of_both_sources_per_label() -> None:
    # Given example and hypothesis cosines of independently scored labels
    examples = torch.tensor([[0.62, 0.05, 0.30]])
    hypotheses = torch.tensor([[0.21, 0.33, 0.18]])
    # When they are mixed, scored alone, around a threshold of 0.25
    mixed = mix_examples(
        hypotheses, examples, weight=WEIGHT, scored_alone=True, threshold=0.25, temperature=0.05
    )
    # Then the method's sigmoid around the threshold scores each label the mixture of its own sigmoids
    expected = _mixture(examples, hypotheses, lambda s: torch.sigmoid((s - 0.25) / EXAMPLE_TEMPERATURE))
    assert torch.allclose(torch.sigmoid((mixed - 0.25) / 0.05), expected, atol=1e-6)
    # and a label does not depend on the others
    alone = mix_examples(
        hypotheses[:, :1], examples[:, :1], weight=WEIGHT, scored_alone=True, threshold=0.25, temperature=0.05
    )
    assert torch.allclose(alone, mixed[:, :1])


@pytest.mark.parametrize("scored_alone", [False, True])
def test_mix_examples_stays_finite_where_a_probability_would_underflow(scored_alone: bool) -> None:
    # Given cosines far apart (exp(-200) underflows in float32)
    examples = torch.tensor([[1.0, -1.0]])
    hypotheses = torch.tensor([[-1.0, 1.0]])
    # When they are mixed
    mixed = mix_examples(
        hypotheses, examples, weight=WEIGHT, scored_alone=scored_alone, threshold=0.25, temperature=0.05
    )
    # Then every similarity is finite and the ranking follows the heavier example source
    assert torch.isfinite(mixed).all()
    assert mixed[0, 0] > mixed[0, 1]


def _unit(*rows: list[float]) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.tensor(rows, dtype=torch.float32), dim=-1)


def test_distinct_rows_drops_a_later_repeat_within_its_owner_only() -> None:
    # Given rows whose owners interleave: a repeat of row 0 (owner 0), the same vector under owner 1,
    # a near-repeat of row 1 within float rounding, and a different row
    a, b = _unit([1, 0, 0, 0], [0, 1, 0, 0])
    near_b = torch.nn.functional.normalize(b + 1e-7, dim=-1)
    vectors = torch.stack([a, b, a, a, near_b, _unit([1, 1, 0, 0])[0]])
    owners = torch.tensor([0, 1, 1, 0, 1, 0])
    # Then each owner keeps its first of each vector, and nothing is compared across owners
    assert distinct_rows(vectors, owners).tolist() == [True, True, True, False, False, True]


def test_leave_one_out_weight_trusts_examples_that_resemble_their_own_label() -> None:
    # Given two labels whose examples cluster apart, and hypotheses that cannot tell them apart
    vectors = _unit([1, 0.1, 0, 0], [1, 0, 0.1, 0], [0, 1, 0, 0.1], [0.1, 1, 0, 0])
    owners = torch.tensor([0, 0, 1, 1])
    hypotheses = torch.full((4, 2), 0.2)
    # Then the examples get the largest weight
    assert leave_one_out_weight(vectors, owners, hypotheses) == EXAMPLE_WEIGHT_MAX


def test_leave_one_out_weight_drops_examples_that_resemble_another_label_more() -> None:
    # Given examples each nearer to the other label's examples than to its own, and hypotheses that
    # point to the right labels
    vectors = _unit([1, 0, 0, 0], [0, 1, 0.1, 0], [0, 1, 0, 0], [1, 0, 0.1, 0])
    owners = torch.tensor([0, 0, 1, 1])
    hypotheses = torch.tensor([[0.5, 0.1], [0.5, 0.1], [0.1, 0.5], [0.1, 0.5]])
    # Then the examples get the smallest weight: they still count, the hypotheses lead
    assert leave_one_out_weight(vectors, owners, hypotheses) == EXAMPLE_WEIGHT_MIN


def test_leave_one_out_weight_searches_from_the_floor_it_is_given() -> None:
    # Given the mixed-up examples above, whose best weight is below every floor
    vectors = _unit([1, 0, 0, 0], [0, 1, 0.1, 0], [0, 1, 0, 0], [1, 0, 0.1, 0])
    owners = torch.tensor([0, 0, 1, 1])
    hypotheses = torch.tensor([[0.5, 0.1], [0.5, 0.1], [0.1, 0.5], [0.1, 0.5]])
    # Then each floor is the answer, and a floor outside [0, the ceiling] is refused
    for floor in (0.0, 0.3, 0.5):
        assert leave_one_out_weight(vectors, owners, hypotheses, minimum=floor) == pytest.approx(floor)
    for floor in (-0.1, EXAMPLE_WEIGHT_MAX + 0.1):
        with pytest.raises(ValueError, match="minimum must be in"):
            leave_one_out_weight(vectors, owners, hypotheses, minimum=floor)


def test_leave_one_out_weight_takes_the_smallest_weight_for_a_lone_label() -> None:
    # Given one label whose two examples resemble each other (a softmax over one label is always 1)
    vectors = _unit([1, 0, 0, 0], [1, 0.1, 0, 0])
    owners = torch.tensor([0, 0])
    hypotheses = torch.tensor([[0.1], [0.1]])
    # Then the examples cannot be judged: the smallest weight, never the tie-broken largest
    assert leave_one_out_weight(vectors, owners, hypotheses) == EXAMPLE_WEIGHT_MIN


def test_leave_one_out_weight_takes_the_smallest_weight_when_no_label_has_two_examples() -> None:
    # Given one example per label, and a third label without examples
    vectors = _unit([1, 0, 0, 0], [0, 1, 0, 0])
    owners = torch.tensor([0, 1])
    hypotheses = torch.tensor([[0.1, 0.5, 0.3], [0.5, 0.1, 0.3]])
    # Then there is nothing to leave out: the smallest weight (one example per label is the riskiest)
    assert leave_one_out_weight(vectors, owners, hypotheses) == EXAMPLE_WEIGHT_MIN


def test_leave_one_out_weight_lets_a_label_without_examples_stand_in_with_its_hypotheses() -> None:
    # Given clean examples for two labels and a third label without examples that the hypotheses favour
    vectors = _unit([1, 0.1, 0, 0], [1, 0, 0.1, 0], [0, 1, 0, 0.1], [0.1, 1, 0, 0])
    owners = torch.tensor([0, 0, 1, 1])
    hypotheses = torch.tensor([[0.2, 0.2, 0.6]] * 4)
    # Then the weight is a grid value, finite: the third label's example source is its hypotheses
    weight = leave_one_out_weight(vectors, owners, hypotheses)
    assert EXAMPLE_WEIGHT_MIN <= weight <= EXAMPLE_WEIGHT_MAX
    assert weight == EXAMPLE_WEIGHT_MAX  # the examples still explain their labels better
