"""fp32 Linear layers through oneDNN instead of torch's default CPU GEMM, checked against it at load.

On CPU, torch's fp32 ``nn.Linear`` calls the BLAS it was built with (MKL on x86). oneDNN, which
torch also ships, ran BART's GEMM shapes 1.9-2.2x faster on this repository's AMD EPYC (one thread:
65-107 vs 121-240 GFLOPS; MKL seems to take its AVX2 path on non-Intel CPUs), the whole forward pass
1.8-1.9x faster (BART shape and MiniLM; bench/engine.py, docs/decisions.md) with scores within 1e-6.
The gain depends on the CPU: on Intel Xeons MKL has its AVX-512 path and the difference is unmeasured
here. So by default the serving CPU decides:

``ZSTC_LINEAR_KERNEL``: ``auto`` (default: oneDNN where it agrees with torch's Linear *and* ran the
probe faster, timed side by side at load), ``onednn`` (wherever it agrees) or ``default`` (torch's own
``nn.Linear``; also ``off``).

``use_onednn_linear`` replaces each ``torch.nn.Linear`` of the model by
:class:`zstc_engine.onednn_linear.OneDnnLinear`, a
subclass sharing the same weight and bias tensors (no copy, no extra memory; ``state_dict``,
``deepcopy`` and ``.to()`` work as before) whose forward calls oneDNN's linear for fp32 CPU tensors
when gradients are off and defers to ``nn.Linear`` otherwise (bf16, int8 tensor subclasses, GPU,
training). It then runs a probe batch through the model before and after and keeps the swap only if
the outputs agree (``PARITY_TOLERANCE``) and nothing raised; otherwise it puts the original layers
back and logs one line saying why. ``auto`` then times the probe with each kernel, alternating,
``SPEED_ROUNDS`` warm passes each, and keeps oneDNN only if its fastest pass is at least
``SPEED_MARGIN`` faster than torch's fastest (the minimum: other work on the host only adds time); the
INFO line gives both. Torch's oneDNN linear is an
internal operator (the one its compiler's weight prepacking calls), so its absence or a changed
signature in another torch is expected and handled the same way: torch's own Linear serves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

log = logging.getLogger("zstc_engine.kernels")

KERNELS = ("auto", "onednn", "default")
DEFAULT_KERNEL = "auto"
SPEED_ROUNDS = 3
"""Warm probe passes per kernel for ``auto`` (alternating, fastest of each): seconds for bart-large-mnli."""
PARITY_TOLERANCE = 1e-4
"""Largest difference allowed between the probe's outputs (logits or hidden states) with and without
oneDNN, relative to the largest output (absolute below 1). Measured: ~1e-6 on BART and MiniLM; a wrong
kernel is off by orders of magnitude."""
SPEED_MARGIN = 1.1
"""``auto`` leaves torch's Linear only for a clear gain: oneDNN's fastest probe pass must be at least this
much faster (close kernels would otherwise be chosen by noise, worker by worker)."""


class KernelSettingError(ValueError):
    """ZSTC_LINEAR_KERNEL has an unknown value; the message names it."""


@dataclass(frozen=True)
class KernelReport:
    """Which Linear kernel serves, and why."""

    requested: str
    used: str
    reason: str = ""
    layers: int = 0
    """Linear layers swapped (0 when torch's own serve)."""
    difference: float = 0.0
    """Largest absolute difference between the probe's outputs (0 when not checked)."""

    def describe(self) -> str:
        """One line for logs and /ping: ``onednn (auto 1.92x ...)``, ``default (... fell back ...)``."""
        return self.used if self.used == self.requested else f"{self.used} ({self.requested} {self.reason})"


def requested_kernel(environ: Mapping[str, str]) -> str:
    """``ZSTC_LINEAR_KERNEL`` normalised; raises ``KernelSettingError`` for an unknown value."""
    value = (environ.get("ZSTC_LINEAR_KERNEL") or DEFAULT_KERNEL).strip().lower()
    value = {"off": "default", "torch": "default", "mkldnn": "onednn"}.get(value, value)
    if value not in KERNELS:
        raise KernelSettingError(
            f"ZSTC_LINEAR_KERNEL must be one of {', '.join(KERNELS)} (or off), got {value!r}"
        )
    return value


def onednn_available() -> bool:
    """True when this torch has oneDNN enabled and its fp32 linear operator."""
    import torch  # noqa: PLC0415 - settings are read without torch; torch comes with the model

    available = torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
    return bool(available) and hasattr(torch.ops.mkldnn, "_linear_pointwise")


def use_onednn_linear(
    model: Any,
    probe: Mapping[str, torch.Tensor] | Callable[[], Mapping[str, torch.Tensor]],
    environ: Mapping[str, str],
) -> KernelReport:
    """Swap ``model``'s Linear layers (in place) for :class:`OneDnnLinear` when asked and safe.

    ``probe``: keyword inputs for one forward pass (e.g. a tokenized pair batch), or a function making
    them (called only when the kernel is wanted, inside the check). Never raises for a kernel or probe
    problem: it logs one line and leaves torch's Linear in place. Raises ``KernelSettingError`` for a
    bad setting.
    """
    import torch  # noqa: PLC0415

    from zstc_engine.onednn_linear import OneDnnLinear  # noqa: PLC0415 - defines a torch module

    requested = requested_kernel(environ)
    if requested == "default":
        return KernelReport(requested, "default")
    if not onednn_available():
        return _fell_back(requested, "this torch has no oneDNN linear")
    if _dtype(model) != torch.float32:
        return KernelReport(requested, "default", "not used: the model is not fp32")
    layers = _linear_layers(model)
    replacements = [(parent, name, linear, OneDnnLinear.sharing(linear)) for parent, name, linear in layers]

    def use(onednn: bool) -> None:
        for parent, name, linear, fast in replacements:
            setattr(parent, name, fast if onednn else linear)

    torch_seconds: list[float] = []
    onednn_seconds: list[float] = []
    try:
        inputs = probe() if callable(probe) else probe
        with torch.inference_mode():
            expected = _first_output(model(**inputs))  # torch's Linear; also its warm-up
            use(True)
            actual = _first_output(model(**inputs))  # oneDNN; also its warm-up
            for _ in range(SPEED_ROUNDS if requested == "auto" else 0):
                use(False)
                torch_seconds.append(_seconds(model, inputs))
                use(True)
                onednn_seconds.append(_seconds(model, inputs))
        difference = float((expected - actual).abs().max())
        allowed = PARITY_TOLERANCE * max(1.0, float(expected.abs().max()))
    except Exception as error:  # an internal operator: any failure means "do not use it here"
        use(False)
        return _fell_back(requested, f"{type(error).__name__}: {str(error)[:200]}")
    if not difference <= allowed:  # also catches NaN
        use(False)
        return _fell_back(requested, f"probe outputs differ by {difference:.2e} > {allowed:.1e}")
    if requested == "auto":
        return _faster_of_the_two(layers, difference, torch_seconds, onednn_seconds, use)
    log.info("linear kernel onednn: %d Linear layers, probe within %.1e of torch's", len(layers), difference)
    return KernelReport(requested, "onednn", layers=len(layers), difference=difference)


def _faster_of_the_two(
    layers: list[Any],
    difference: float,
    torch_seconds: list[float],
    onednn_seconds: list[float],
    use: Callable[[bool], None],
) -> KernelReport:
    """``auto``: keep oneDNN (already in place) only if its fastest probe pass clearly beats torch's."""
    torch_best, onednn_best = min(torch_seconds), min(onednn_seconds)
    speedup = torch_best / onednn_best if onednn_best > 0 else 0.0
    timing = f"fastest probe pass {onednn_best:.3f} s vs torch's {torch_best:.3f} s"
    if not speedup >= SPEED_MARGIN:
        use(False)
        log.info(
            "linear kernel auto: torch's default Linear; oneDNN was not %.1fx faster here (%s)",
            SPEED_MARGIN,
            timing,
        )
        return KernelReport("auto", "default", f"oneDNN {speedup:.2f}x torch's on the probe")
    log.info(
        "linear kernel auto: oneDNN for %d Linear layers, %.2fx torch's (%s)", len(layers), speedup, timing
    )
    return KernelReport(
        "auto", "onednn", f"{speedup:.2f}x torch's on the probe", layers=len(layers), difference=difference
    )


def _seconds(model: Any, probe: Mapping[str, torch.Tensor]) -> float:
    """Seconds of one forward pass of the probe."""
    started = time.perf_counter()
    model(**probe)
    return time.perf_counter() - started


def _fell_back(requested: str, why: str) -> KernelReport:
    # expected under `auto` (e.g. an image whose torch lacks the operator); a surprise when asked for
    level = logging.INFO if requested == "auto" else logging.WARNING
    log.log(level, "linear kernel %s not used (%s): serving torch's default Linear", requested, why)
    return KernelReport(requested, "default", f"fell back: {why}")


def _linear_layers(model: Any) -> list[tuple[Any, str, torch.nn.Linear]]:
    """Each exact ``nn.Linear`` without hooks (subclasses, hooks may change its forward), with its parent."""
    import torch  # noqa: PLC0415

    found = []
    for parent in model.modules():
        for name, child in parent.named_children():
            hooked = child._forward_hooks or child._forward_pre_hooks  # e.g. accelerate's offload hooks
            if type(child) is torch.nn.Linear and not hooked:
                found.append((parent, name, child))
    return found


def _dtype(model: Any) -> Any:
    for parameter in model.parameters():
        return parameter.dtype
    return None


def _first_output(output: Any) -> torch.Tensor:
    """Logits of a classifier, last hidden state of an encoder: the output's first tensor."""
    first = output[0] if isinstance(output, tuple | list) else next(iter(output.values()))
    tensor: torch.Tensor = first.float()
    return tensor
