"""Precision option and its agreement gate, thread choice: real models, real conversions.

The refusal case is a real BART whose logits differ by less than bf16 can resolve (a 1e4 bias on
every class): in bf16 every label ties, so the top label agrees with fp32 only by chance.
"""

from __future__ import annotations

import importlib.abc
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import BartForSequenceClassification

from tests.support.tiny_models import build_tiny_bart_nli
from zstc_engine.loading import ModelLoadError, load_classifier
from zstc_engine.precision import (
    PrecisionSettingError,
    calibration_tasks,
    min_agreement,
    native_bf16,
    requested_precision,
)
from zstc_engine.protocol import ClassificationTask
from zstc_engine.threads import ThreadSettingError, available_cpus, plan_threads

LABELS = ["Health", "Humor", "Personal Growth", "Finance", "Career"]
TEXTS = [
    "stay dedicated to yoga",
    "save money every month",
    "laugh more often",
    "learn Spanish",
    "get a new job",
    "read one book a week",
    "call my parents weekly",
    "run a marathon",
    "stop procrastinating",
    "volunteer at the shelter",
    "cook at home",
    "sleep eight hours",
]
needs_bf16 = pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bf16")


@pytest.fixture(scope="module")
def calibration_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calibration") / "calibration.jsonl"
    lines = [
        json.dumps({"id": i, "inputs": t, "parameters": {"candidate_labels": LABELS}})
        for i, t in enumerate(TEXTS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bart_nli(tmp_path_factory.mktemp("bart") / "model")


@pytest.fixture(scope="module")
def bf16_blind_bart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BART whose class logits sit at ~1e4: fp32 resolves their differences, bf16 (step 64) cannot."""
    directory = build_tiny_bart_nli(tmp_path_factory.mktemp("blind") / "model")
    model = BartForSequenceClassification.from_pretrained(directory)
    with torch.no_grad():
        model.classification_head.out_proj.bias.add_(1e4)
    model.save_pretrained(directory)
    return directory


def _env(calibration_file: Path, **values: str) -> dict[str, str]:
    return {"ZSTC_CALIBRATION_FILE": str(calibration_file), "ZSTC_TORCH_THREADS": "1", **values}


@needs_bf16
def test_the_gate_refuses_a_reduced_model_that_disagrees_with_fp32(
    bf16_blind_bart_dir: Path,
    calibration_file: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a model bf16 cannot represent faithfully, When it is loaded with ZSTC_PRECISION=bf16
    with caplog.at_level(logging.INFO, logger="zstc_engine"):
        classifier = load_classifier(
            bf16_blind_bart_dir, environ=_env(calibration_file, ZSTC_PRECISION="bf16")
        )
    # Then the gate refuses it: fp32 serves, an ERROR line says why, a metric records the refusal
    assert classifier.precision.startswith("fp32 (bf16 refused: agreement ")
    assert next(classifier.model.parameters()).dtype == torch.float32  # type: ignore[attr-defined]
    [refusal] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "precision bf16 refused" in refusal.getMessage()
    assert f"on {len(TEXTS)} calibration texts" in refusal.getMessage()
    [metric] = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
    ]
    assert metric["Precision"] == "bf16"
    assert metric["PrecisionRefused"] == 1
    assert metric["PrecisionAgreement"] < 0.99
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "zstc"
    # And fp32 still answers with distinct scores (the model itself is fine)
    [result] = classifier.classify(ClassificationTask(texts=(TEXTS[0],), labels=tuple(LABELS)))
    assert max(result.scores) - min(result.scores) > 1e-4


@needs_bf16
def test_a_reduced_model_that_meets_the_threshold_serves(bart_dir: Path, calibration_file: Path) -> None:
    # Given the tiny BART and a threshold it reaches (its random weights make near-ties, so not 0.99)
    env = _env(calibration_file, ZSTC_PRECISION="bf16", ZSTC_MIN_AGREEMENT="0.5")
    # When it is loaded in bf16
    classifier = load_classifier(bart_dir, environ=env)
    # Then bf16 serves
    assert classifier.precision == "bf16"
    assert next(classifier.model.parameters()).dtype == torch.bfloat16  # type: ignore[attr-defined]
    [result] = classifier.classify(ClassificationTask(texts=(TEXTS[0],), labels=tuple(LABELS)))
    assert len(result.scores) == len(LABELS)


@needs_bf16
def test_int8_minilm_passes_the_gate_on_the_bundled_calibration_sample() -> None:
    # Given the offline MiniLM, When it is loaded in int8 (per-group int8 weights, bf16 activations)
    classifier = load_classifier(environ={"ZSTC_PRECISION": "int8", "ZSTC_TORCH_THREADS": "1"})
    # Then it agrees with fp32 on >= 99% of the 100 calibration texts and serves in int8
    assert classifier.precision == "int8"
    layer = classifier.model.encoder.layer[0]  # type: ignore[attr-defined]

    # int8 weights in the attention projections; the sensitive feed-forward layers stay bf16
    assert _int8_weight(layer.attention.self.query.weight)
    assert _int8_weight(layer.attention.output.dense.weight)
    assert not _int8_weight(layer.intermediate.dense.weight)
    assert layer.intermediate.dense.weight.dtype == torch.bfloat16


def _int8_weight(weight: torch.Tensor) -> bool:
    """True for a torchao int8 weight, in any release (0.9: AffineQuantizedTensor, 0.18: Int8Tensor)."""
    stored = getattr(weight, "qdata", None)
    if stored is None:
        stored = getattr(getattr(weight, "tensor_impl", None), "int_data", None)
    from_torchao = type(weight).__module__.startswith("torchao.")
    return from_torchao and stored is not None and stored.dtype == torch.int8


class _AbsentTorchao(importlib.abc.MetaPathFinder):
    """Imports of torchao fail exactly as when it is not installed."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.split(".", maxsplit=1)[0] == "torchao":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_reduced_precision_falls_back_to_fp32_with_a_warning_where_the_hardware_has_no_bf16(
    bart_dir: Path,
    calibration_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    precision: str,
) -> None:
    # The one fake: hardware detection (we cannot take bf16 away from this CPU). Emulated bf16 is slower
    # than fp32, and int8's weight-only kernels with fp32 activations are no faster than fp32.
    monkeypatch.setattr("zstc_engine.precision.native_bf16", lambda: False)
    with caplog.at_level(logging.WARNING, logger="zstc_engine"):
        classifier = load_classifier(bart_dir, environ=_env(calibration_file, ZSTC_PRECISION=precision))
    assert classifier.precision == f"fp32 ({precision} fell back: no native bf16)"
    assert next(classifier.model.parameters()).dtype == torch.float32  # type: ignore[attr-defined]
    warning = f"precision {precision} requested but this hardware has no native bf16: serving fp32"
    assert any(warning in r.getMessage() for r in caplog.records)


def test_fp32_is_the_default_and_runs_no_gate(bart_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    classifier = load_classifier(bart_dir, environ={"ZSTC_TORCH_THREADS": "1"})
    assert classifier.precision == "fp32"
    assert '"_aws"' not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ZSTC_PRECISION", "fp16", "ZSTC_PRECISION must be one of fp32, bf16, int8"),
        ("ZSTC_MIN_AGREEMENT", "1.5", "ZSTC_MIN_AGREEMENT must be a number in"),
        ("ZSTC_MIN_AGREEMENT", "most", "ZSTC_MIN_AGREEMENT must be a number in"),
        ("ZSTC_TORCH_THREADS", "-2", "ZSTC_TORCH_THREADS must be a positive whole number"),
        ("SAGEMAKER_MODEL_SERVER_WORKERS", "0", "SAGEMAKER_MODEL_SERVER_WORKERS must be a positive"),
    ],
)
def test_bad_settings_fail_the_load_naming_the_variable(
    bart_dir: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ModelLoadError, match=message):
        load_classifier(bart_dir, environ={variable: value})


def test_precision_settings_parse() -> None:
    assert requested_precision({}) == "fp32"
    assert requested_precision({"ZSTC_PRECISION": " BF16 "}) == "bf16"
    assert requested_precision({"ZSTC_PRECISION": "bfloat16"}) == "bf16"
    assert min_agreement({}) == 0.99
    assert min_agreement({"ZSTC_MIN_AGREEMENT": "0.995"}) == 0.995
    with pytest.raises(PrecisionSettingError, match="ZSTC_MIN_AGREEMENT"):
        min_agreement({"ZSTC_MIN_AGREEMENT": "0"})


def test_the_bundled_calibration_sample_covers_both_domains() -> None:
    tasks = calibration_tasks({})
    assert len(tasks) == 100
    label_sets = {task.labels for task in tasks}
    assert len(label_sets) == 2  # resolutions (10 labels) and AG News (4 labels)
    assert sorted(len(labels) for labels in label_sets) == [4, 10]


def test_a_missing_or_broken_calibration_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PrecisionSettingError, match="cannot be read"):
        calibration_tasks({"ZSTC_CALIBRATION_FILE": str(tmp_path / "missing.jsonl")})
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"inputs": "x"}\n', encoding="utf-8")
    with pytest.raises(PrecisionSettingError, match="line 1"):
        calibration_tasks({"ZSTC_CALIBRATION_FILE": str(broken)})


@pytest.mark.parametrize(
    ("environ", "cpus", "threads", "source"),
    [
        ({}, 4, 4, "cpus // workers"),
        ({"SAGEMAKER_MODEL_SERVER_WORKERS": "2"}, 4, 2, "cpus // workers"),
        ({"SAGEMAKER_MODEL_SERVER_WORKERS": "4"}, 2, 1, "cpus // workers"),  # never below one
        ({"ZSTC_WORKERS": "2"}, 2, 1, "cpus // workers"),
        ({"ZSTC_TORCH_THREADS": "3", "SAGEMAKER_MODEL_SERVER_WORKERS": "2"}, 8, 3, "ZSTC_TORCH_THREADS"),
        ({"ZSTC_TORCH_THREADS": "auto", "OMP_NUM_THREADS": "5"}, 8, 8, "cpus // workers"),
        ({"OMP_NUM_THREADS": "5"}, 8, 5, "OMP_NUM_THREADS"),
    ],
)
def test_threads_per_worker_never_oversubscribe(
    environ: dict[str, str], cpus: int, threads: int, source: str
) -> None:
    plan = plan_threads(environ, cpus=cpus)
    assert (plan.threads, plan.source) == (threads, source)
    if source == "cpus // workers":
        assert plan.threads * plan.workers <= max(cpus, plan.workers)


def test_a_bad_thread_setting_names_the_variable() -> None:
    with pytest.raises(ThreadSettingError, match="OMP_NUM_THREADS"):
        plan_threads({"OMP_NUM_THREADS": "many"}, cpus=2)


def test_loading_sets_torch_threads_from_the_workers(bart_dir: Path) -> None:
    load_classifier(bart_dir, environ={"ZSTC_WORKERS": "2"})
    assert torch.get_num_threads() == max(1, available_cpus() // 2)


@needs_bf16
def test_int8_without_torchao_serves_fp32_and_says_so(
    bart_dir: Path, calibration_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an image without torchao: a finder ahead of the others answers as for an absent package
    for name in [name for name in sys.modules if name.split(".")[0] == "torchao"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_AbsentTorchao(), *sys.meta_path])
    with caplog.at_level(logging.WARNING, logger="zstc_engine"):
        classifier = load_classifier(bart_dir, environ=_env(calibration_file, ZSTC_PRECISION="int8"))
    # Then fp32 serves, and the log line says what is missing
    assert classifier.precision == "fp32 (int8 fell back: torchao is not installed)"
    assert any(
        "precision int8 unavailable (torchao is not installed)" in r.getMessage() for r in caplog.records
    )


BROKEN_TORCHAO = {
    # built for another torch, its import fails inside torchao (here: an AttributeError)
    "import fails": (
        "import torch\ntorch._C._torchao_kernel_built_for_another_torch\n",
        "",
        "fp32 (int8 fell back: torchao does not load with torch {torch}: AttributeError)",
        "precision int8 unavailable (torchao does not load",
    ),
    # it imports, but its quantize_ raises (a kernel this torch lacks)
    "quantize_ fails": (
        "",
        "class Int8WeightOnlyConfig:\n    pass\n\n"
        "def quantize_(model, config, filter_fn=None):\n"
        "    raise NotImplementedError('aten::_weight_int8pack_mm is not available for this torch')\n",
        "fp32 (int8 fell back: NotImplementedError: aten::_weight_int8pack_mm is not available for this "
        "torch)",
        "precision int8 failed (NotImplementedError",
    ),
}


@needs_bf16
@pytest.mark.parametrize("case", sorted(BROKEN_TORCHAO))
def test_int8_with_a_torchao_that_fails_here_serves_fp32(
    bart_dir: Path,
    calibration_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    # Given a torchao that fails on this torch (a real package on sys.path, ahead of the installed one)
    init, quantization, precision, warning = BROKEN_TORCHAO[case]
    package = tmp_path / "site" / "torchao"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(init)
    (package / "quantization.py").write_text(quantization)
    for name in [name for name in sys.modules if name.split(".")[0] == "torchao"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(package.parent))
    with caplog.at_level(logging.WARNING, logger="zstc_engine"):
        classifier = load_classifier(bart_dir, environ=_env(calibration_file, ZSTC_PRECISION="int8"))
    # Then the endpoint still starts, on fp32, and the reason and the log line say what failed
    assert classifier.precision == precision.format(torch=torch.__version__)
    assert next(classifier.model.parameters()).dtype == torch.float32  # type: ignore[attr-defined]
    assert any(warning in r.getMessage() for r in caplog.records)


def test_an_avx512_cpu_without_bf16_instructions_is_not_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an x86 CPU like ml.m5's (AVX-512, where oneDNN says bf16 is supported by emulating it,
    # but neither AVX512-BF16 nor AMX): the one fake is the CPU's instruction flags
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert native_bf16() is False
    # And with either instruction set it is
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert native_bf16() is True


def test_loading_a_model_prints_none_of_torchaos_hardware_warnings() -> None:
    # transformers imports torchao (installed for int8) while loading any model; its import warns about
    # CUDA/mxfp8 kernels and torch about its enums: none of that may open an fp32 CPU log
    code = (
        "from zstc_engine.loading import load_classifier as load\nload(environ={'ZSTC_TORCH_THREADS': '1'})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Failed to load" not in result.stderr
    assert "register_constant" not in result.stderr
