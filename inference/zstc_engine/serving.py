"""One invocation end to end (decode, classify, encode), for the local endpoint server.

``zstc_local.endpoint`` serves it (and tests call it as the model container); the SageMaker entry
script (``inference/inference.py``) does not: the inference toolkit calls the same steps one by
one, as ``input_fn``, ``predict_fn`` and ``output_fn``, so the script calls the protocol directly.
"""

from __future__ import annotations

import threading

from zstc_engine.classifier import Classifier, classify_each
from zstc_engine.protocol import check_accept, decode, encode

_predict_lock = threading.Lock()


def invoke(
    classifier: Classifier, body: bytes, content_type: str | None, accept: str | None
) -> tuple[bytes, str]:
    """Decode, classify and encode one invocation: ``(response body, response content type)``.

    Raises :class:`zstc_engine.protocol.RequestError` for a request it cannot run.
    """
    check_accept(accept)
    tasks, json_lines = decode(body, content_type)
    with _predict_lock:  # one forward pass at a time: torch already uses every core
        results = classify_each(classifier, tasks) if json_lines else classifier.classify_many(tasks)
    return encode(tasks, results, json_lines, accept)
