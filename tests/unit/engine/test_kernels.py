"""The oneDNN Linear kernel: used where it agrees with torch's, torch's own Linear everywhere else.

Parity of the engine with the transformers pipeline on the oneDNN path is in test_engine_parity.py
(its engine loads with ZSTC_LINEAR_KERNEL=onednn; the default, auto, keeps oneDNN only where faster).
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.support.tiny_models import build_tiny_bart_nli
from zstc_engine import onednn_linear
from zstc_engine.kernels import onednn_available, requested_kernel, use_onednn_linear
from zstc_engine.loading import ModelLoadError, load_classifier
from zstc_engine.nli import NliClassifier
from zstc_engine.onednn_linear import OneDnnLinear
from zstc_engine.precision import convert
from zstc_engine.protocol import ClassificationTask

LABELS = ("Health", "Humor", "Personal Growth", "Finance")
TEXTS = ("stay dedicated to yoga", "save money every month", "laugh more")
needs_onednn = pytest.mark.skipif(not onednn_available(), reason="this torch has no oneDNN linear")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bart_nli(tmp_path_factory.mktemp("tiny-bart-kernels") / "model")


def _load(model_dir: Path, **environ: str) -> NliClassifier:
    """The engine with ``ZSTC_LINEAR_KERNEL=onednn`` unless given (``auto`` depends on this CPU's speed)."""
    classifier = load_classifier(model_dir, environ={"ZSTC_LINEAR_KERNEL": "onednn", **environ})
    assert isinstance(classifier, NliClassifier)
    return classifier


def _scores(classifier: NliClassifier) -> list[list[float]]:
    task = ClassificationTask(texts=TEXTS, labels=LABELS, multi_label=True)
    return [list(result.scores) for result in classifier.classify(task)]


def _linear_types(model: Any) -> set[type]:
    return {type(m) for m in model.modules() if isinstance(m, torch.nn.Linear)}


def _max_difference(a: list[list[float]], b: list[list[float]]) -> float:
    return max(
        abs(x - y) for row_a, row_b in zip(a, b, strict=True) for x, y in zip(row_a, row_b, strict=True)
    )


@pytest.fixture(scope="module")
def torch_linear_scores(model_dir: Path) -> list[list[float]]:
    return _scores(_load(model_dir, ZSTC_LINEAR_KERNEL="default"))


@needs_onednn
def test_onednn_swaps_every_linear_and_keeps_the_scores(
    model_dir: Path, torch_linear_scores: list[list[float]]
) -> None:
    # Given ZSTC_LINEAR_KERNEL=onednn, When the engine loads
    classifier = _load(model_dir)
    # Then every Linear layer runs oneDNN, sharing the checkpoint's tensors, and scores stay within 1e-5
    assert classifier.linear_kernel == "onednn"
    assert _linear_types(classifier.model) == {OneDnnLinear}
    assert _max_difference(_scores(classifier), torch_linear_scores) <= 1e-5


def test_default_keeps_torchs_linear(model_dir: Path) -> None:
    classifier = _load(model_dir, ZSTC_LINEAR_KERNEL="off")
    assert classifier.linear_kernel == "default"
    assert _linear_types(classifier.model) == {torch.nn.Linear}


def _slower(*args: Any) -> torch.Tensor:
    time.sleep(SLOWDOWN)
    return ORIGINAL_OPERATOR(*args)


SLOWDOWN = 0.02
"""Seconds added per Linear call: ~0.4 s per probe pass of the tiny BART (which takes 2-9 ms), far beyond
the stalls a shared machine adds; both auto tests also run torch on one thread."""


@needs_onednn
def test_auto_keeps_torchs_linear_where_onednn_is_slower(
    model_dir: Path,
    torch_linear_scores: list[list[float]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a CPU where oneDNN's linear is slower than torch's (a real operator, slowed down)
    monkeypatch.setattr(onednn_linear, "_onednn_linear", _slower)
    # When the engine loads with the default setting (auto)
    with caplog.at_level(logging.INFO, logger="zstc_engine"):
        classifier = _load(model_dir, ZSTC_LINEAR_KERNEL="auto", ZSTC_TORCH_THREADS="1")
    # Then torch's Linear serves, and the INFO line and /ping say why with both timings
    assert classifier.linear_kernel.startswith("default (auto oneDNN 0.")
    assert _linear_types(classifier.model) == {torch.nn.Linear}
    [line] = [r.getMessage() for r in caplog.records if r.name == "zstc_engine.kernels"]
    assert "oneDNN was not 1.1x faster here (fastest probe pass " in line
    assert _max_difference(_scores(classifier), torch_linear_scores) <= 1e-5


@needs_onednn
def test_auto_keeps_onednn_where_torchs_linear_is_slower(
    model_dir: Path, torch_linear_scores: list[list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a CPU where torch's own Linear is the slow one (torch's linear, slowed down)
    linear = torch.nn.functional.linear

    def slow_linear(*args: Any, **kwargs: Any) -> torch.Tensor:
        time.sleep(SLOWDOWN)
        return linear(*args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "linear", slow_linear)
    # When the engine loads with the default setting (auto), Then oneDNN serves, at parity
    classifier = _load(model_dir, ZSTC_LINEAR_KERNEL="auto", ZSTC_TORCH_THREADS="1")
    monkeypatch.undo()
    assert classifier.linear_kernel.startswith("onednn (auto ")
    assert "x torch's on the probe" in classifier.linear_kernel
    assert _linear_types(classifier.model) == {OneDnnLinear}
    assert _max_difference(_scores(classifier), torch_linear_scores) <= 1e-5


def test_an_unknown_setting_fails_the_load_naming_the_variable(model_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="ZSTC_LINEAR_KERNEL"):
        load_classifier(model_dir, environ={"ZSTC_LINEAR_KERNEL": "fastest"})
    assert requested_kernel({"ZSTC_LINEAR_KERNEL": " MKLDNN "}) == "onednn"


def _assert_fell_back(
    classifier: NliClassifier,
    caplog: pytest.LogCaptureFixture,
    reason: str,
    torch_linear_scores: list[list[float]],
) -> None:
    assert classifier.linear_kernel.startswith("default (onednn fell back: ")
    assert reason in classifier.linear_kernel
    assert _linear_types(classifier.model) == {torch.nn.Linear}  # the original layers are back
    warnings = [r for r in caplog.records if r.name == "zstc_engine.kernels" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "serving torch's default Linear" in warnings[0].getMessage()
    assert _max_difference(_scores(classifier), torch_linear_scores) <= 1e-5


def test_a_torch_without_onednn_serves_torchs_linear_with_one_log_line(
    model_dir: Path,
    torch_linear_scores: list[list[float]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a torch built without oneDNN (the edge we cannot install here)
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    # When the engine loads with the default setting, Then it loads, on torch's Linear, and says why
    with caplog.at_level(logging.INFO):
        classifier = _load(model_dir)
    _assert_fell_back(classifier, caplog, "no oneDNN linear", torch_linear_scores)


def _changed_signature(*args: Any) -> torch.Tensor:
    raise RuntimeError("mkldnn::_linear_pointwise() expected at most 5 argument(s)")


def _off_by_a_little(*args: Any) -> torch.Tensor:
    return ORIGINAL_OPERATOR(*args) * 1.01


ORIGINAL_OPERATOR = onednn_linear._onednn_linear


@needs_onednn
@pytest.mark.parametrize(
    ("operator", "reason"),
    [
        (_changed_signature, "RuntimeError"),  # another torch whose operator changed its signature
        (_off_by_a_little, "probe outputs differ"),  # a kernel that computes something else on some CPU
    ],
    ids=["raises", "disagrees"],
)
def test_an_operator_that_fails_its_check_serves_torchs_linear(
    model_dir: Path,
    torch_linear_scores: list[list[float]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    operator: Any,
    reason: str,
) -> None:
    # Given a oneDNN linear that raises or disagrees with torch's Linear
    monkeypatch.setattr(onednn_linear, "_onednn_linear", operator)
    # When the engine loads, Then torch's Linear serves at parity and one line says why
    with caplog.at_level(logging.INFO):
        classifier = _load(model_dir)
    _assert_fell_back(classifier, caplog, reason, torch_linear_scores)


@needs_onednn
def test_reduced_precision_copies_of_a_swapped_model_run_torchs_own_path(model_dir: Path) -> None:
    # Given a model whose Linear layers were swapped (bench/precision.py converts the served fp32 model)
    swapped = _load(model_dir).model
    plain = _load(model_dir, ZSTC_LINEAR_KERNEL="default").model
    ids = torch.tensor([[0, 40, 41, 42, 2, 2, 50, 51, 2]])
    # When both are converted to bf16, Then they compute the same (OneDnnLinear defers to nn.Linear)
    with torch.inference_mode():
        ours = convert(swapped, "bf16")(input_ids=ids, use_cache=False).logits
        theirs = convert(plain, "bf16")(input_ids=ids, use_cache=False).logits
    assert torch.equal(ours, theirs)
    assert swapped.classification_head.dense.weight.dtype == torch.float32  # the original is untouched


@needs_onednn
def test_with_gradients_on_it_is_torchs_linear(model_dir: Path) -> None:
    # Training or gradient checks must not reach an operator without a backward formula
    model = copy.deepcopy(_load(model_dir).model)
    layer = model.classification_head.dense
    assert isinstance(layer, OneDnnLinear)
    output = layer(torch.randn(2, layer.in_features, requires_grad=True)).sum()
    output.backward()
    assert layer.weight.grad is not None


@needs_onednn
def test_the_swap_never_copies_weights(model_dir: Path) -> None:
    plain = _load(model_dir, ZSTC_LINEAR_KERNEL="default").model
    before = {name: p.data_ptr() for name, p in plain.named_parameters()}
    probe = {"input_ids": torch.tensor([[0, 40, 2, 2, 41, 2]])}
    report = use_onednn_linear(plain, probe, {"ZSTC_LINEAR_KERNEL": "onednn"})
    assert report.used == "onednn"
    assert report.layers == sum(1 for m in plain.modules() if isinstance(m, torch.nn.Linear))
    assert {name: p.data_ptr() for name, p in plain.named_parameters()} == before
