"""SageMaker entry script for the Hugging Face PyTorch inference container (code/inference.py).

Implements the inference toolkit's handler contract with zstc's engine instead of the stock
zero-shot pipeline: JSON Lines with many records per request (MultiRecord batch transform), all
text/label pairs scored in shared batches, and errors that name the offending line.

Targets the Hugging Face PyTorch inference DLCs with transformers >= 4.37 and PyTorch >= 2.1
(e.g. huggingface-pytorch-inference:2.1-transformers4.37-cpu-py310 / -gpu-py310-cu118, and the
newer 2.x images JumpStart resolves for bart-large-mnli). It needs nothing installed at start (no
requirements.txt is shipped), so endpoints with network isolation work: the pure-Python packages
the images lack (torchao, for ``ZSTC_PRECISION=int8``; the packaged MiniLM that shortlists labels for
the NLI method) come staged under ``code/lib``, which is appended to ``sys.path`` so that a package the
image has itself wins.

Contract: ``application/json`` -> one request in the real-time shape, one answer;
``application/jsonlines`` -> one request per line (optional ``"id"``), one answer line per record,
in order, carrying the same ``id``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the engine ships beside this file
# Vendored pure-Python packages (zstc_deploy.model_artifacts.VENDOR_DIR), after the image's own.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

from zstc_engine.classifier import Classifier, classify_each
from zstc_engine.loading import load_classifier
from zstc_engine.protocol import ClassificationTask, decode, encode

Decoded = tuple[list[ClassificationTask], bool]


def model_fn(model_dir: str, context: Any = None) -> Classifier:
    """Load the model SageMaker unpacked into ``model_dir`` (method from its config or ZSTC_MODEL_METHOD)."""
    return load_classifier(model_dir)


def input_fn(input_data: bytes | str, content_type: str, context: Any = None) -> Decoded:
    """Parse the request body; a bad record raises with its line number (the toolkit answers 400)."""
    return decode(input_data, content_type)


def predict_fn(data: Decoded, model: Classifier, context: Any = None) -> tuple[Decoded, list[Any]]:
    """Classify every record; all pairs share batches; a JSON Lines record that fails gets an error answer."""
    tasks, json_lines = data
    return data, classify_each(model, tasks) if json_lines else model.classify_many(tasks)


def output_fn(prediction: tuple[Decoded, list[Any]], accept: str, context: Any = None) -> bytes:
    """Serialise in request order; JSON Lines answers keep each record's ``id``.

    The toolkit sets the response Content-Type to ``accept`` itself, so only the body is returned.
    """
    (tasks, json_lines), results = prediction
    body, _ = encode(tasks, results, json_lines, accept)
    return body
