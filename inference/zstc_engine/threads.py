"""Torch's thread count, chosen together with the model server's worker count (no oversubscription).

A model server that starts W worker processes, each running torch with one intra-op thread per core,
runs W x cores threads on cores CPUs: measured on 2 cores (bench/engine.py), 2 processes x 2
threads ran at 0.49-0.86x of 2 x 1 or 1 x 2. So each worker takes its share of the CPUs the process
may run on: ``threads = max(1, cpus // workers)``.

Settings (environment): ``ZSTC_TORCH_THREADS`` a positive number, or ``auto``/``0``/unset for the
share above; ``OMP_NUM_THREADS`` is honoured when ZSTC_TORCH_THREADS is unset (someone chose it);
workers are read from ``SAGEMAKER_MODEL_SERVER_WORKERS`` (the SageMaker inference toolkit's own
setting) or ``ZSTC_WORKERS`` (the local endpoint's), default 1.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger("zstc_engine.threads")

WORKER_VARIABLES = ("SAGEMAKER_MODEL_SERVER_WORKERS", "ZSTC_WORKERS")
"""Where the worker count is read, first match wins."""


class ThreadSettingError(ValueError):
    """A thread or worker setting is not a positive whole number; the message names it."""


@dataclass(frozen=True)
class ThreadPlan:
    """How many torch intra-op threads one worker runs, and why."""

    threads: int
    workers: int
    cpus: int
    source: str
    """``ZSTC_TORCH_THREADS``, ``OMP_NUM_THREADS`` or ``cpus // workers``."""


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which containers narrow), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def plan_threads(environ: Mapping[str, str], cpus: int | None = None) -> ThreadPlan:
    """The thread count for one worker from ``environ``; raises ``ThreadSettingError`` on a bad value."""
    cpus = available_cpus() if cpus is None else cpus
    workers = 1
    for name in WORKER_VARIABLES:
        if environ.get(name, "").strip():
            workers = _positive(environ[name], name)
            break
    explicit = environ.get("ZSTC_TORCH_THREADS", "").strip().lower()
    if explicit not in {"", "auto", "0"}:
        return ThreadPlan(_positive(explicit, "ZSTC_TORCH_THREADS"), workers, cpus, "ZSTC_TORCH_THREADS")
    if not explicit and environ.get("OMP_NUM_THREADS", "").strip():
        return ThreadPlan(
            _positive(environ["OMP_NUM_THREADS"], "OMP_NUM_THREADS"), workers, cpus, "OMP_NUM_THREADS"
        )
    return ThreadPlan(max(1, cpus // workers), workers, cpus, "cpus // workers")


def apply_threads(environ: Mapping[str, str] | None = None) -> ThreadPlan:
    """Set torch's intra-op threads (and one inter-op thread) for this worker; log the choice."""
    import torch  # noqa: PLC0415 - the engine's loader imports torch only when loading a model

    plan = plan_threads(os.environ if environ is None else environ)
    torch.set_num_threads(plan.threads)
    # One forward pass at a time per worker; RuntimeError: already set, or inter-op work has started.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    log.info(
        "torch threads: %d per worker (%s; %d workers on %d cpus)",
        plan.threads,
        plan.source,
        plan.workers,
        plan.cpus,
    )
    return plan


def _positive(value: str, name: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ThreadSettingError(f"{name} must be a positive whole number, got {value!r}") from None
    if number < 1:
        raise ThreadSettingError(f"{name} must be a positive whole number, got {value!r}")
    return number
