"""zstc's inference engine: the NLI and embedding classifiers, their request protocol, model loading."""

from zstc_engine.protocol import ClassificationResult, ClassificationTask, RequestError

__all__ = ["ClassificationResult", "ClassificationTask", "RequestError"]
