"""zstc's inference engine: zero-shot classification for the SageMaker endpoint and the local stack.

Importable without AWS. Two methods behind one interface (:class:`Classifier`): an NLI
cross-encoder (Yin et al., 2019; the production method) and bi-encoder embedding similarity (the
offline default). Nothing here downloads anything: models load from local directories only.
"""

from zstc_engine.protocol import ClassificationResult, ClassificationTask, RequestError

__all__ = ["ClassificationResult", "ClassificationTask", "RequestError"]
