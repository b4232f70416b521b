"""From raw per-window, per-hypothesis label logits to scores, thresholded labels and evidence.

Every scoring method produces, for one text, a tensor of label logits shaped
``[windows, labels, hypotheses]`` (a label has one hypothesis per template, or per template and
phrase). The rules, one place for all methods:

1. Hypotheses of a label combine into one logit per window: the **mean** (NLI: prompt ensembling of
   entailment logits, as Schick and Schuetze 2021 average their patterns) or the **max** (embedding
   similarity: a label matches when any of its phrasings does; measured in bench/quality.py).
2. Windows combine by **max**: a long text is about a label when some part of it is (the usual
   entailment-max over chunks).
3. Logits become scores as the transformers zero-shot pipeline does: single-label, a softmax over
   the labels; multi-label or a lone label, each label on its own (a sigmoid of its logit, which is
   the pipeline's softmax over [contradiction, entailment] when the logit is their difference).

With one window and one template this is exactly the pipeline's math.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from zstc_engine.protocol import ClassificationResult, ClassificationTask, Evidence, sorted_result
from zstc_engine.windows import Window

HypothesisPooling = Literal["mean", "max"]


def score_text(
    text: str,
    task: ClassificationTask,
    logits: torch.Tensor,
    windows: list[Window],
    pooling: HypothesisPooling,
    *,
    ranking: Sequence[int] | None = None,
) -> ClassificationResult:
    """One text's result from its ``[windows, labels, hypotheses]`` label logits.

    With a shortlist, ``ranking`` is the first stage's order of ``task.labels`` (indices, best first)
    and ``logits`` hold its first ``k`` labels only: those are scored (softmax over them alone for
    single-label), the rest follow with score 0.
    """
    per_window = logits.mean(dim=-1) if pooling == "mean" else logits.max(dim=-1).values
    label_logits, best_window = per_window.max(dim=0)
    scores = _normalise(label_logits, task.scored_alone)
    scored = list(range(len(task.labels))) if ranking is None else list(ranking[: logits.shape[1]])
    labels = tuple(task.labels[i] for i in scored)
    unscored = () if ranking is None else tuple(task.labels[i] for i in ranking[len(scored) :])
    evidence = None
    if task.return_evidence:
        window_scores = _normalise(per_window, task.scored_alone)
        evidence = [
            Evidence(
                label=label,
                start=windows[int(w)].start,
                end=windows[int(w)].end,
                score=float(window_scores[int(w), index]),
            )
            for index, (label, w) in enumerate(zip(labels, best_window, strict=True))
        ]
    return sorted_result(
        text,
        labels,
        scores.tolist(),
        task=task,
        evidence=evidence,
        windows=len(windows),
        unscored=unscored,
    )


def _normalise(logits: torch.Tensor, scored_alone: bool) -> torch.Tensor:
    return torch.sigmoid(logits) if scored_alone else torch.softmax(logits, dim=-1)
