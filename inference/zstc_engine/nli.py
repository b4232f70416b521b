"""NLI cross-encoder zero-shot classification (Yin et al., 2019), batched.

Each (text, label) pair is a premise/hypothesis pair; the model's entailment logit ranks labels.
The math is exactly the transformers ``zero-shot-classification`` pipeline's: single-label scores
are a softmax of entailment logits over the labels; multi-label scores (and any request with one
label) are a softmax of [contradiction, entailment] per label. Unlike the pipeline, all pairs of a
request (or of several requests) are scored together in length-sorted, dynamically padded batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from zstc_engine.batching import DEFAULT_MAX_BATCH_TOKENS, length_sorted_batches
from zstc_engine.classifier import Classifier
from zstc_engine.protocol import ClassificationResult, ClassificationTask, sorted_result


def entailment_id(label2id: dict[str, int]) -> int:
    """The entailment class index, found as transformers does (a label starting with "entail")."""
    for label, index in label2id.items():
        if label.lower().startswith("entail"):
            return int(index)
    return -1


class NliClassifier(Classifier):
    """Zero-shot classification with a sequence-classification model trained on NLI."""

    method = "nli"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
        description: str = "NLI cross-encoder",
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_batch_tokens = max_batch_tokens
        self.description = description
        self.entailment_id = entailment_id(dict(model.config.label2id))
        if self.entailment_id == -1:
            raise ValueError("the model's label2id has no entailment label; it is not an NLI model")
        self.contradiction_id = -1 if self.entailment_id == 0 else 0
        # An encoder-decoder classifier (BART) runs one decoder step: its key/value cache is never reused.
        self._forward_options = {"use_cache": False} if model.config.is_encoder_decoder else {}
        if tokenizer.pad_token is None:  # as the pipeline does
            tokenizer.pad_token = tokenizer.eos_token

    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        """Score every pair of every task in shared batches, then apply each task's math."""
        pairs = [
            (text, hypothesis) for task in tasks for text in task.texts for hypothesis in task.hypotheses()
        ]
        logits = self._pair_logits(pairs)
        results: list[list[ClassificationResult]] = []
        offset = 0
        for task in tasks:
            size = len(task.texts) * len(task.labels)
            task_logits = logits[offset : offset + size].reshape(len(task.texts), len(task.labels), -1)
            offset += size
            scores = self._scores(task_logits, multi_label=task.multi_label or len(task.labels) == 1)
            results.append(
                [
                    sorted_result(text, task.labels, row.tolist())
                    for text, row in zip(task.texts, scores, strict=True)
                ]
            )
        return results

    def _scores(self, logits: torch.Tensor, *, multi_label: bool) -> torch.Tensor:
        if multi_label:
            pair = logits[..., [self.contradiction_id, self.entailment_id]]
            return torch.softmax(pair, dim=-1)[..., 1]
        return torch.softmax(logits[..., self.entailment_id], dim=-1)

    def _pair_logits(self, pairs: list[tuple[str, str]]) -> torch.Tensor:
        encoded = self._tokenize(pairs)
        lengths = [len(item["input_ids"]) for item in encoded]
        logits: list[torch.Tensor | None] = [None] * len(pairs)
        with torch.inference_mode():
            for batch in length_sorted_batches(lengths, self.max_batch_tokens):
                features = self.tokenizer.pad([encoded[i] for i in batch], padding=True, return_tensors="pt")
                output = self.model(
                    input_ids=features["input_ids"],
                    attention_mask=features["attention_mask"],
                    **self._forward_options,
                )
                for position, index in enumerate(batch):
                    logits[index] = output.logits[position].float()
        return torch.stack([row for row in logits if row is not None])

    def _tokenize(self, pairs: list[tuple[str, str]]) -> list[dict[str, list[int]]]:
        """Token ids per pair, truncating only the premise, as the pipeline does."""
        try:
            batch = self.tokenizer([list(p) for p in pairs], truncation="only_first")
            return _split(batch)
        except Exception as error:  # the pipeline's fallback: a hypothesis alone is too long
            if "too short" not in str(error):
                raise
        encoded = []
        for pair in pairs:
            try:
                encoded.extend(_split(self.tokenizer([list(pair)], truncation="only_first")))
            except Exception as error:
                if "too short" not in str(error):
                    raise
                encoded.extend(_split(self.tokenizer([list(pair)], truncation=False)))
        return encoded


def _split(batch: Any) -> list[dict[str, list[int]]]:
    keys = [key for key in ("input_ids", "attention_mask") if key in batch]
    return [{key: batch[key][i] for key in keys} for i in range(len(batch["input_ids"]))]
