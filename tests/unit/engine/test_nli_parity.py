"""The NLI engine agrees with the transformers zero-shot pipeline (max abs difference <= 1e-5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from transformers import pipeline

from tests.support.tiny_models import build_tiny_bart_nli
from zstc_engine.kernels import onednn_available
from zstc_engine.loading import load_classifier
from zstc_engine.nli import NliClassifier
from zstc_engine.protocol import ClassificationTask
from zstc_engine.windows import Window, token_windows

LABELS = ("Health", "Humor", "Personal Growth", "Finance", "Career")
LONG_TEXT = "I will read one book a week and stop scrolling before breakfast. " * 6  # > 64 tokens
FITTING_TEXT = "read a book a week"  # byte-level tokens: fits beside the longest hypothesis


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bart_nli(tmp_path_factory.mktemp("tiny-bart") / "model")


@pytest.fixture(scope="module")
def engine(tiny_model_dir: Path) -> NliClassifier:
    # 96 tokens per batch forces many batches; the oneDNN Linear kernel (zstc_engine.kernels, which
    # the default `auto` uses where it is faster) is what these parity tests check
    environ = {"ZSTC_MAX_BATCH_TOKENS": "96", "ZSTC_LINEAR_KERNEL": "onednn"}
    classifier = load_classifier(tiny_model_dir, environ=environ)
    assert isinstance(classifier, NliClassifier)
    assert classifier.linear_kernel == (
        "onednn" if onednn_available() else "default (onednn fell back: this torch has no oneDNN linear)"
    )
    return classifier


@pytest.fixture(scope="module")
def reference(tiny_model_dir: Path) -> Any:
    return pipeline("zero-shot-classification", model=str(tiny_model_dir), device="cpu")


def _as_list(answer: Any) -> list[dict[str, Any]]:
    return answer if isinstance(answer, list) else [answer]


CASES = [
    pytest.param(("stay dedicated to yoga",), LABELS, "This example is {}.", False, id="single-label"),
    pytest.param(("stay dedicated to yoga",), LABELS, "This example is {}.", True, id="multi-label"),
    pytest.param(
        ("save money", "laugh more", "learn Spanish"),
        LABELS,
        "This resolution is about {}.",
        False,
        id="list-custom-template",
    ),
    pytest.param(("save money", "laugh more"), LABELS[:2], "{}", True, id="list-multi-bare-template"),
    pytest.param((FITTING_TEXT, "short"), LABELS, "This example is {}.", False, id="text-that-fits"),
    pytest.param(
        (FITTING_TEXT,),
        ("only one label",),
        "This example is {}.",
        False,
        id="one-label-uses-entail-vs-contra",
    ),
]


@pytest.mark.parametrize(("texts", "labels", "template", "multi_label"), CASES)
def test_engine_matches_the_pipeline(
    engine: NliClassifier,
    reference: Any,
    texts: tuple[str, ...],
    labels: tuple[str, ...],
    template: str,
    multi_label: bool,
) -> None:
    # Given the same model, texts and labels
    task = ClassificationTask(
        texts=texts, labels=labels, hypothesis_templates=(template,), multi_label=multi_label
    )
    # When both the engine and the transformers pipeline classify
    ours = engine.classify(task)
    theirs = _as_list(
        reference(
            list(texts), candidate_labels=list(labels), hypothesis_template=template, multi_label=multi_label
        )
    )
    # Then every text gets the same label order and scores within 1e-5
    assert len(ours) == len(theirs) == len(texts)
    for mine, expected in zip(ours, theirs, strict=True):
        assert mine.sequence == expected["sequence"]
        assert list(mine.labels) == expected["labels"]
        assert max(abs(a - b) for a, b in zip(mine.scores, expected["scores"], strict=True)) <= 1e-5


def _windows(engine: NliClassifier, labels: tuple[str, ...]) -> list[Window]:
    task = ClassificationTask(texts=(LONG_TEXT,), labels=labels)
    budget = engine._premise_budget(task, [[f"This example is {label}."] for label in labels])
    return token_windows(engine.tokenizer, LONG_TEXT, budget)


@pytest.mark.parametrize(
    ("labels", "multi_label"),
    [(LABELS, True), (("only one label",), False)],
    ids=["multi-label", "lone-label"],
)
def test_a_long_text_is_windowed_and_each_label_takes_its_best_window(
    engine: NliClassifier, reference: Any, labels: tuple[str, ...], multi_label: bool
) -> None:
    # Given a text longer than the tiny model's 64-token input (the pipeline would truncate it)
    assert len(engine.tokenizer(LONG_TEXT)["input_ids"]) > engine.tokenizer.model_max_length
    windows = _windows(engine, labels)
    assert len(windows) > 1
    assert windows[0].start == 0
    assert windows[-1].end >= len(LONG_TEXT.rstrip())
    # When the engine classifies it with evidence
    [result] = engine.classify(
        ClassificationTask(texts=(LONG_TEXT,), labels=labels, multi_label=multi_label, return_evidence=True)
    )
    # Then each label's score is the pipeline's score on its best window, and the evidence points there
    per_window = [
        dict(zip(answer["labels"], answer["scores"], strict=True))
        for answer in (
            reference(window.of(LONG_TEXT), candidate_labels=list(labels), multi_label=True)
            for window in windows
        )
    ]
    assert result.windows == len(windows)
    assert result.evidence is not None
    for label, score, evidence in zip(result.labels, result.scores, result.evidence, strict=True):
        best = max(range(len(windows)), key=lambda w: per_window[w][label])
        assert abs(score - per_window[best][label]) <= 1e-5
        assert (evidence.label, evidence.start, evidence.end) == (
            label,
            windows[best].start,
            windows[best].end,
        )
        assert abs(evidence.score - score) <= 1e-5


def test_scores_differ_between_labels(engine: NliClassifier) -> None:
    # A parity test on constant scores would prove nothing: the tiny model must discriminate a little.
    [result] = engine.classify(ClassificationTask(texts=("stay dedicated to yoga",), labels=LABELS))
    assert max(result.scores) - min(result.scores) > 1e-3


def test_batching_across_requests_changes_nothing(engine: NliClassifier) -> None:
    tasks = [
        ClassificationTask(texts=("save money",), labels=LABELS),
        ClassificationTask(texts=(LONG_TEXT, "laugh more"), labels=LABELS[:3], multi_label=True),
    ]
    together = engine.classify_many(tasks)
    alone = [engine.classify(task) for task in tasks]
    for joint, single in zip(together, alone, strict=True):
        for a, b in zip(joint, single, strict=True):
            assert a.labels == b.labels
            assert max(abs(x - y) for x, y in zip(a.scores, b.scores, strict=True)) <= 1e-5


def test_forward_passes_respect_the_token_budget(
    engine: NliClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a budget of 96 padded tokens per forward pass, When a request with long and short texts runs
    shapes: list[tuple[int, ...]] = []
    original = engine.model.forward

    def spy(*args: Any, **kwargs: Any) -> Any:
        shapes.append(tuple(kwargs["input_ids"].shape))
        return original(*args, **kwargs)

    monkeypatch.setattr(engine.model, "forward", spy)
    engine.classify(ClassificationTask(texts=("a", "bb cc", LONG_TEXT, "short one"), labels=LABELS))
    # Then every batch stays within the budget (a lone sequence longer than it gets a batch of its own)
    assert sum(rows for rows, _ in shapes) == (3 + len(_windows(engine, LABELS))) * len(LABELS)
    assert len(shapes) > 1
    assert all(rows * width <= 96 or rows == 1 for rows, width in shapes)


def test_the_decoder_runs_without_a_key_value_cache(
    engine: NliClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A one-step classification never reuses the decoder's cache: building it is wasted work.
    seen: list[Any] = []
    original = engine.model.forward

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("use_cache"))
        output = original(*args, **kwargs)
        seen.append(getattr(output, "past_key_values", None))
        return output

    monkeypatch.setattr(engine.model, "forward", spy)
    engine.classify(ClassificationTask(texts=("save money",), labels=LABELS[:2]))
    assert seen == [False, None]
