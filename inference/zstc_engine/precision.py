"""Reduced-precision inference (bf16, int8) behind an agreement gate against fp32.

``ZSTC_PRECISION`` chooses the arithmetic of the model's forward pass:

- ``fp32`` (default): the model as trained.
- ``bf16``: weights and activations in bfloat16, only where the hardware has native bf16 (CPUs with
  AVX512-BF16/AMX or Arm BF16, GPUs torch reports as bf16-capable); elsewhere it falls back to fp32
  with a warning, since emulated bf16 is slower than fp32.
- ``int8``: int8 weights with one scale per output channel (torchao's ``Int8WeightOnlyConfig``) in
  the attention projections, the precision-sensitive feed-forward layers kept as they are, with
  bf16 activations; like bf16 it needs native bf16 (with fp32 activations the weight-only kernels
  are no faster than fp32) and falls back to fp32 elsewhere. Dynamic int8 *activations* (torch's
  ``quantize_dynamic``, torchao's ``Int8DynamicActivationInt8WeightConfig``) moved MiniLM's top label
  on 2-35% of texts, this scheme on under 1% (docs/decisions.md). Needs the ``torchao`` package
  (0.9 or newer, the release built for this torch; deployed endpoints get it under ``code/lib``);
  without it, or when it does not load with this torch, int8 falls back to fp32 with a warning.

Every reduced precision passes a gate before it serves: the fp32 model and the reduced one classify
a calibration sample (``calibration.jsonl`` beside this module: 50 resolutions and 50 AG News
texts with their label sets, in the endpoint's JSON Lines request shape; ``ZSTC_CALIBRATION_FILE``
names another), and the reduced model is refused, with an ERROR log line, when its top-1 label
agrees with fp32's on fewer than ``ZSTC_MIN_AGREEMENT`` of the texts (default 0.99). A refused
model is dropped and fp32 serves. Each gate writes one CloudWatch embedded-metric-format line
(namespace ``zstc``, metrics ``PrecisionAgreement`` and ``PrecisionRefused``) to stdout, where the
container's log stream carries it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zstc_engine.classifier import Classifier
from zstc_engine.protocol import ClassificationTask, decode

log = logging.getLogger("zstc_engine.precision")

PRECISIONS = ("fp32", "bf16", "int8")
X86_MACHINES = ("x86_64", "amd64", "i386", "i686")
DEFAULT_PRECISION = "fp32"
DEFAULT_MIN_AGREEMENT = 0.99
CALIBRATION_FILE = Path(__file__).with_name("calibration.jsonl")
METRIC_NAMESPACE = "zstc"
ATTENTION_MARKERS = ("attn", "attention")
"""int8 goes to the Linear layers under an attention block (query/key/value/output projections; BART's
``self_attn``/``encoder_attn``, BERT's ``attention``). The feed-forward layers (``fc1``/``fc2``,
``intermediate``/``output``) and classification heads stay in bf16/fp32: measured on MiniLM over 700
texts, int8 feed-forward layers flipped the top label of 11, int8 attention projections of 6, all
layers of 12 (docs/decisions.md)."""


class PrecisionSettingError(ValueError):
    """ZSTC_PRECISION, ZSTC_MIN_AGREEMENT or the calibration file is not usable; the message says why."""


@dataclass(frozen=True)
class GateResult:
    """A reduced precision's top-1 agreement with fp32 on the calibration sample."""

    precision: str
    agreement: float
    """Fraction of calibration texts whose top label is fp32's, 0..1."""
    texts: int
    threshold: float
    reference_seconds: float
    candidate_seconds: float

    @property
    def passed(self) -> bool:
        """True when the agreement reaches the threshold."""
        return self.agreement >= self.threshold

    @property
    def speedup(self) -> float:
        """fp32 time / reduced time on the calibration sample (a rough figure: one pass, cold caches)."""
        return self.reference_seconds / self.candidate_seconds if self.candidate_seconds else 0.0


@dataclass(frozen=True)
class PrecisionReport:
    """What was asked, what serves, and why they differ."""

    requested: str
    used: str
    reason: str
    gate: GateResult | None = None

    def describe(self) -> str:
        """One line for logs, /ping and the classifier's description."""
        return self.used if self.used == self.requested else f"{self.used} ({self.requested} {self.reason})"


def requested_precision(environ: Mapping[str, str]) -> str:
    """``ZSTC_PRECISION`` normalised; raises ``PrecisionSettingError`` for an unknown value."""
    value = (environ.get("ZSTC_PRECISION") or DEFAULT_PRECISION).strip().lower()
    aliases = {"float32": "fp32", "bfloat16": "bf16", "qint8": "int8"}
    value = aliases.get(value, value)
    if value not in PRECISIONS:
        raise PrecisionSettingError(f"ZSTC_PRECISION must be one of {', '.join(PRECISIONS)}, got {value!r}")
    return value


def min_agreement(environ: Mapping[str, str]) -> float:
    """``ZSTC_MIN_AGREEMENT`` (0 < x <= 1, default 0.99)."""
    raw = environ.get("ZSTC_MIN_AGREEMENT", "").strip()
    if not raw:
        return DEFAULT_MIN_AGREEMENT
    try:
        value = float(raw)
    except ValueError:
        raise PrecisionSettingError(f"ZSTC_MIN_AGREEMENT must be a number in (0, 1], got {raw!r}") from None
    if not 0 < value <= 1:
        raise PrecisionSettingError(f"ZSTC_MIN_AGREEMENT must be a number in (0, 1], got {raw!r}")
    return value


def native_bf16() -> bool:
    """True when this hardware has bf16 arithmetic: a CUDA GPU with bf16, an x86 CPU with AVX512-BF16 or
    AMX (Cooper Lake, Sapphire Rapids and later, AMD Zen 4 and later), an Arm CPU with its BF16 extension
    (Graviton3 and later).

    On x86 oneDNN's own check (``torch.ops.mkldnn._is_mkldnn_bf16_supported``) is true for any AVX-512
    CPU, where it *emulates* bf16 (Skylake/Cascade Lake, e.g. ml.m5): slower than fp32, so the CPU's
    instruction flags decide there (``torch.cpu._is_avx512_bf16_supported``, ``_is_amx_tile_supported``).
    """
    import torch  # noqa: PLC0415

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    try:
        if platform.machine().lower() in X86_MACHINES:
            return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())  # Arm: true only with BF16 instructions
    except (AttributeError, RuntimeError):
        return False


def calibration_tasks(environ: Mapping[str, str]) -> list[ClassificationTask]:
    """The gate's sample: JSON Lines requests from ZSTC_CALIBRATION_FILE or the bundled file."""
    path = Path(environ.get("ZSTC_CALIBRATION_FILE") or CALIBRATION_FILE)
    try:
        body = path.read_bytes()
    except OSError as error:
        raise PrecisionSettingError(f"calibration file {path} cannot be read: {error.strerror}") from None
    try:
        tasks, _ = decode(body, "application/jsonlines")
    except ValueError as error:
        raise PrecisionSettingError(f"calibration file {path}: {error}") from None
    return tasks


def top1_agreement(
    reference: Classifier, candidate: Classifier, tasks: Sequence[ClassificationTask]
) -> tuple[float, int, float, float]:
    """``(agreement, texts, reference seconds, candidate seconds)``: how often the top labels match."""
    started = time.perf_counter()
    expected = reference.classify_many(tasks)
    middle = time.perf_counter()
    actual = candidate.classify_many(tasks)
    ended = time.perf_counter()
    pairs = [
        (ours.labels[0], theirs.labels[0])
        for want, got in zip(expected, actual, strict=True)
        for theirs, ours in zip(want, got, strict=True)
    ]
    agreeing = sum(ours == theirs for ours, theirs in pairs)
    return agreeing / len(pairs), len(pairs), middle - started, ended - middle


@contextlib.contextmanager
def quiet_optional_kernels() -> Iterator[None]:
    """Silence, while torchao is imported, its warnings about kernels for other hardware (CUDA, mxfp8)
    it cannot load and torch's about one of its enums: noise for the CPU path, on every model load
    (transformers imports torchao when it is installed)."""
    quiet = [logging.getLogger(name) for name in ("torchao", "torch.utils._pytree")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


class PrecisionUnavailable(RuntimeError):
    """This environment cannot run the requested precision; the message says why (for the log)."""


def convert(model: Any, precision: str) -> Any:
    """A copy of ``model`` in ``precision`` (the fp32 original is left as it is).

    Raises ``PrecisionUnavailable`` when int8's torchao is missing or does not load with this torch
    (a torchao release works only with the torch it was built for).
    """
    import torch  # noqa: PLC0415

    reduced = copy.deepcopy(model)
    if precision == "bf16":
        return reduced.to(torch.bfloat16)
    if precision == "int8":
        quantize_, config = _torchao_int8_weight_only()
        if native_bf16():
            reduced = reduced.to(torch.bfloat16)
        quantize_(reduced, config, filter_fn=_int8_layer)
        return reduced
    raise PrecisionSettingError(f"no conversion to {precision!r}")


def _torchao_int8_weight_only() -> tuple[Callable[..., Any], Any]:
    """torchao's ``quantize_`` and an ``Int8WeightOnlyConfig`` (the API since torchao 0.9)."""
    import torch  # noqa: PLC0415

    try:
        with quiet_optional_kernels():
            from torchao.quantization import Int8WeightOnlyConfig, quantize_  # noqa: PLC0415
    except ModuleNotFoundError as error:
        if error.name == "torchao":
            raise PrecisionUnavailable("torchao is not installed") from None
        raise PrecisionUnavailable(f"torchao does not load with torch {torch.__version__}: {error}") from None
    except Exception as error:  # a torchao built for another torch fails in many ways: no int8 here
        raise PrecisionUnavailable(
            f"torchao does not load with torch {torch.__version__}: {type(error).__name__}"
        ) from None
    return quantize_, Int8WeightOnlyConfig()


def apply_precision(
    model: Any, build: Callable[[Any], Classifier], environ: Mapping[str, str] | None = None
) -> tuple[Classifier, PrecisionReport]:
    """The classifier to serve: ``build(model)`` in the requested precision if it passes the gate.

    ``build`` makes a classifier from a model (the same settings for fp32 and reduced). Falls back to
    fp32, with a log line saying why, when the hardware, a package or the gate says no.
    """
    env = os.environ if environ is None else environ
    requested = requested_precision(env)
    threshold = min_agreement(env)
    fp32 = build(model)
    if requested == "fp32":
        return fp32, PrecisionReport("fp32", "fp32", "")
    if not native_bf16():
        # bf16 is emulated, and int8's weight-only kernels with fp32 activations ran at 0.95-0.97x
        # fp32 (MiniLM, torch 2.6 and 2.13): neither would be faster than fp32 here.
        log.warning("precision %s requested but this hardware has no native bf16: serving fp32", requested)
        return fp32, PrecisionReport(requested, "fp32", "fell back: no native bf16")
    tasks = calibration_tasks(env)
    try:
        candidate = build(convert(model, requested))
        agreement, texts, fp32_seconds, reduced_seconds = top1_agreement(fp32, candidate, tasks)
    except PrecisionUnavailable as error:
        log.warning("precision %s unavailable (%s): serving fp32", requested, error)
        return fp32, PrecisionReport(requested, "fp32", f"fell back: {error}")
    except Exception as error:  # a conversion or reduced forward pass that fails must not stop the endpoint
        reason = f"{type(error).__name__}: {str(error)[:200]}"
        log.warning("precision %s failed (%s): serving fp32", requested, reason)
        return fp32, PrecisionReport(requested, "fp32", f"fell back: {reason}")
    gate = GateResult(requested, agreement, texts, threshold, fp32_seconds, reduced_seconds)
    emit_gate_metric(gate)
    if not gate.passed:
        log.error(
            "precision %s refused: top-1 agreement with fp32 %.4f < %.4f on %d calibration texts; "
            "serving fp32",
            requested,
            agreement,
            threshold,
            texts,
        )
        return fp32, PrecisionReport(
            requested, "fp32", f"refused: agreement {agreement:.3f} < {threshold}", gate
        )
    log.info(
        "precision %s accepted: top-1 agreement with fp32 %.4f >= %.4f on %d calibration texts, %.2fx",
        requested,
        agreement,
        threshold,
        texts,
        gate.speedup,
    )
    return candidate, PrecisionReport(requested, requested, "", gate)


def emit_gate_metric(gate: GateResult) -> None:
    """One CloudWatch embedded-metric-format line on stdout for the gate's outcome."""
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": METRIC_NAMESPACE,
                    "Dimensions": [["Precision"]],
                    "Metrics": [
                        {"Name": "PrecisionAgreement", "Unit": "None"},
                        {"Name": "PrecisionRefused", "Unit": "Count"},
                    ],
                }
            ],
        },
        "Precision": gate.precision,
        "PrecisionAgreement": round(gate.agreement, 6),
        "PrecisionRefused": 0 if gate.passed else 1,
        "CalibrationTexts": gate.texts,
        "Threshold": gate.threshold,
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _int8_layer(module: Any, name: str) -> bool:
    """True for a Linear layer inside an attention block (see ATTENTION_MARKERS)."""
    import torch  # noqa: PLC0415

    parts = name.lower().split(".")
    return isinstance(module, torch.nn.Linear) and any(m in part for part in parts for m in ATTENTION_MARKERS)
