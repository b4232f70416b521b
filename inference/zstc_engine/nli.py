"""NLI cross-encoder zero-shot classification (Yin et al., 2019), batched.

Each (text, label) pair is a premise/hypothesis pair; the model's entailment logit ranks labels.
The math is exactly the transformers ``zero-shot-classification`` pipeline's: single-label scores
are a softmax of entailment logits over the labels; multi-label scores (and any request with one
label) are a softmax of [contradiction, entailment] per label. Unlike the pipeline, all pairs of a
request (or of several requests) are scored together in length-sorted, dynamically padded batches.

Extensions (:mod:`zstc_engine.scoring` has the rules): several templates are averaged in logit
space; a label description replaces the label in its hypotheses; a text longer than the model's
input is split into overlapping windows whose logits are max-pooled, instead of being truncated.

Many labels: a bi-encoder (the retriever, an :class:`EmbeddingClassifier` in the same process) ranks
every label per text and only the top ``k`` become pairs: the cost is ``k`` pairs per window whatever
the label count. ``k`` is a request's ``shortlist``, else, above :data:`SHORTLIST_ABOVE` labels, chosen
per text by :data:`DEFAULT_SHORTLIST` (an :class:`AdaptiveShortlist`: the fewest labels that hold most of
the retriever's softmax, within a minimum and a maximum). The others score 0 and the answer names the
scored labels. With ``k`` at least the label count it is plain NLI, so pipeline parity holds.

Label examples: the NLI model reads hypotheses, not examples, so examples go through the same
bi-encoder (the retriever). A label with examples gets, on every window and template, its NLI label
logit plus ``NLI_EXAMPLE_WEIGHT`` x the embedding method's logit of its example similarity (similarity
/ the retriever's temperature; :meth:`EmbeddingClassifier.example_scores`); the shortlist's ranking
uses the examples too (:meth:`EmbeddingClassifier.label_similarity`). An endpoint without a retriever
refuses a request with examples rather than ignore them. The weight is not measured with a real NLI
model (none is in the offline container): docs/inference.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from zstc_engine.batching import DEFAULT_MAX_BATCH_TOKENS, length_sorted_batches
from zstc_engine.classifier import Classifier
from zstc_engine.embedding import EmbeddingClassifier, rank_labels
from zstc_engine.protocol import (
    DEFAULT_HYPOTHESIS_TEMPLATE,
    ClassificationResult,
    ClassificationTask,
    RequestError,
)
from zstc_engine.scoring import score_text
from zstc_engine.windows import DEFAULT_MAX_WINDOWS, Window, token_windows


@dataclass(frozen=True)
class AdaptiveShortlist:
    """A shortlist whose size depends on the text: the fewest of the retriever's best labels that hold
    ``mass`` of its softmax over labels (similarity / the retriever's temperature, so with label
    examples the softmax of a single-label request is the retriever's mixture), at least ``min_k``
    and at most ``max_k``. A text the retriever is sure about sends few labels to the NLI model, an
    ambiguous one up to ``max_k``: the cost per text is at most ``max_k`` pairs per window (the API
    budgets that)."""

    min_k: int
    max_k: int
    mass: float

    def size(self, similarity: torch.Tensor, temperature: float) -> int:
        """``k`` for one text from the retriever's similarity of each label, ``[labels]`` (a label's best
        window, :meth:`EmbeddingClassifier.label_similarity`), and the retriever's ``temperature``
        (cosine units): within ``min_k..max_k`` and never more than the labels."""
        held = torch.softmax(similarity.double() / temperature, dim=-1).sort(descending=True).values
        k = int((held.cumsum(0) < self.mass).sum()) + 1
        return min(max(k, self.min_k), self.max_k, len(similarity))


def text_shortlists(
    plan: Sequence[tuple[str, Sequence[Window]]],
    similarity: torch.Tensor,
    rule: int | AdaptiveShortlist,
    temperature: float,
) -> list[tuple[list[int], int]]:
    """Per text of ``plan`` (texts with their windows, as :meth:`EmbeddingClassifier.label_similarity`
    answers them, with ``similarity`` ``[windows of all texts, labels]``): the retriever's label
    indices best first and the ``k`` that ``rule`` (a fixed ``k``, or an :class:`AdaptiveShortlist` at
    the retriever's ``temperature``) gives the text; ``k`` may reach the label count."""
    answers = []
    offset = 0
    for _, windows in plan:
        per_window = similarity[offset : offset + len(windows)]  # [windows, labels]
        offset += len(windows)
        k = rule if isinstance(rule, int) else rule.size(per_window.max(dim=0).values, temperature)
        answers.append((rank_labels(per_window), k))
    return answers


SHORTLIST_ABOVE = 32
"""Label counts up to this are scored in full by default: every request of up to 32 labels (the
limit before shortlists) is answered as before, at pipeline parity."""
DEFAULT_SHORTLIST = AdaptiveShortlist(min_k=12, max_k=32, mass=0.99)
"""The shortlist of a request with more than :data:`SHORTLIST_ABOVE` labels that says nothing. On the
BANKING77 sample (77 labels, bench/labels.py) it holds the true label for 0.97 of the texts on each
half at a mean k of about 22, where a fixed k = 32 held it for 0.98 at 32 (docs/decisions.md).
``max_k`` is the API's budget of scored labels (``zstc.core.limits.DEFAULT_SHORTLIST_MAX_K``)."""
NLI_EXAMPLE_WEIGHT = 0.5
"""The weight of a label's example logit (retriever similarity / its temperature) added to its NLI
label logit. Not measured with a real NLI model here: a tiny random BART only tests the mechanics."""
_UNBOUNDED_LENGTH = 1_000_000  # tokenizers without a model_max_length report ~1e30


def entailment_id(label2id: dict[str, int]) -> int:
    """The entailment class index, found as transformers does (a label starting with "entail")."""
    for label, index in label2id.items():
        if label.lower().startswith("entail"):
            return int(index)
    return -1


class ShortlistUnavailableError(RequestError):
    """A request asks for (or by its label count gets) a shortlist and the endpoint has no retriever."""


class ExamplesUnavailableError(RequestError):
    """A request with label examples on an endpoint without a bi-encoder (retriever) to embed them."""


class NliClassifier(Classifier):
    """Zero-shot classification with a sequence-classification model trained on NLI."""

    method = "nli"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
        max_windows: int = DEFAULT_MAX_WINDOWS,
        description: str = "NLI cross-encoder",
        retriever: EmbeddingClassifier | None = None,
        default_shortlist: AdaptiveShortlist | None = DEFAULT_SHORTLIST,
        shortlist_above: int = SHORTLIST_ABOVE,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_batch_tokens = max_batch_tokens
        self.max_windows = max_windows
        self.description = description
        self.retriever = retriever
        """The bi-encoder that ranks labels for a shortlist (None: every label is scored)."""
        self.default_shortlist = default_shortlist
        """The shortlist of a request above ``shortlist_above`` labels without one (None: every label)."""
        self.shortlist_above = shortlist_above
        self.entailment_id = entailment_id(dict(model.config.label2id))
        if self.entailment_id == -1:
            raise ValueError("the model's label2id has no entailment label; it is not an NLI model")
        self.contradiction_id = -1 if self.entailment_id == 0 else 0
        # An encoder-decoder classifier (BART) runs one decoder step: its key/value cache is never reused.
        self._forward_options = {"use_cache": False} if model.config.is_encoder_decoder else {}
        if tokenizer.pad_token is None:  # as the pipeline does
            tokenizer.pad_token = tokenizer.eos_token

    default_templates = (DEFAULT_HYPOTHESIS_TEMPLATE,)
    """The pipeline's default template."""

    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        """Score every pair of every task in shared batches, then apply each task's math.

        A task with a shortlist (:meth:`shortlist_rule`) first has its labels ranked per text by the
        retriever; only each text's top ``k`` labels become premise/hypothesis pairs.
        """
        shortlists = self._shortlists(tasks)
        example_logits = self._example_logits(tasks)
        pairs: list[tuple[str, str]] = []
        plans: list[list[tuple[str, list[Window], Shortlist | None]]] = []
        for task, task_shortlists in zip(tasks, shortlists, strict=True):
            templates = task.templates(self.default_templates)
            hypotheses = [[template.format(phrase) for template in templates] for phrase in task.phrases()]
            budget = self._premise_budget(task, hypotheses)
            plan = []
            for position, text in enumerate(task.texts):
                windows = token_windows(self.tokenizer, text, budget, max_windows=self.max_windows)
                shortlist = task_shortlists[position] if task_shortlists is not None else None
                plan.append((text, windows, shortlist))
                pairs += [
                    (window.of(text), hypothesis)
                    for window in windows
                    for label in _scored(task, shortlist)
                    for hypothesis in hypotheses[label]
                ]
            plans.append(plan)
        logits = self._pair_logits(pairs) if pairs else torch.empty(0)
        results: list[list[ClassificationResult]] = []
        offset = 0
        for task, plan, task_examples in zip(tasks, plans, example_logits, strict=True):
            template_count = len(task.templates(self.default_templates))
            task_results = []
            for position, (text, windows, shortlist) in enumerate(plan):
                scored = _scored(task, shortlist)
                size = len(windows) * len(scored) * template_count
                raw = logits[offset : offset + size].reshape(len(windows), len(scored), template_count, -1)
                offset += size
                label_logits = self._label_logits(raw, task)
                if task_examples is not None:
                    label_logits = label_logits + task_examples[position][scored].view(1, -1, 1)
                ranking = shortlist.ranking if shortlist is not None else None
                task_results.append(score_text(text, task, label_logits, windows, "mean", ranking=ranking))
            results.append(task_results)
        return results

    def _example_logits(self, tasks: Sequence[ClassificationTask]) -> list[list[torch.Tensor] | None]:
        """Per task with examples, per text: what each label's examples add to its NLI logit,
        ``[labels]`` (``NLI_EXAMPLE_WEIGHT`` x the retriever's example similarity / its temperature).

        Raises :class:`ExamplesUnavailableError` when the endpoint has no retriever.
        """
        wanted = [index for index, task in enumerate(tasks) if any(task.label_examples)]
        answers: list[list[torch.Tensor] | None] = [None] * len(tasks)
        if not wanted:
            return answers
        if self.retriever is None:
            raise ExamplesUnavailableError(
                "parameters.label_examples: this endpoint has no bi-encoder to embed examples with; "
                "send the request without label_examples"
            )
        scores = self.retriever.example_scores([tasks[index] for index in wanted])
        scale = NLI_EXAMPLE_WEIGHT / self.retriever.temperature
        for index, per_text in zip(wanted, scores, strict=True):
            answers[index] = [similarity * scale for similarity in per_text]
        return answers

    def shortlist_rule(self, task: ClassificationTask) -> int | AdaptiveShortlist | None:
        """How many labels of ``task`` each text scores after ranking: a fixed ``k`` (the request's
        ``shortlist``, below its label count), the default rule (more than ``shortlist_above`` labels,
        no ``shortlist``: ``k`` per text), or None for every label.

        A request that asks for a shortlist, or gets the default one, fails on an endpoint without a
        retriever (:class:`ShortlistUnavailableError`, a :class:`RequestError`): ``shortlist: false``
        scores all.
        """
        rule: int | AdaptiveShortlist | None = task.shortlist_size(None, 0)  # an explicit k, or None
        if task.shortlist is None and len(task.labels) > self.shortlist_above:
            rule = self.default_shortlist
        # the default applies with or without a retriever: without one, a large label set is refused
        # rather than scored whole, since the API budgeted the request for the shortlist's size
        if rule is not None and self.retriever is None:
            raise ShortlistUnavailableError(
                "parameters.shortlist: this endpoint has no retriever model to rank "
                f"{len(task.labels)} labels with; send shortlist false to score every label"
            )
        return rule

    def _shortlists(self, tasks: Sequence[ClassificationTask]) -> list[list[Shortlist | None] | None]:
        """Per task with a shortlist, per text: its labels best first by the retriever (its own
        templates; a label description is what it compares, as for the NLI model) and how many of them
        the model scores (None for a text whose ``k`` covers every label: plain NLI)."""
        wanted = [
            (index, rule)
            for index, task in enumerate(tasks)
            if (rule := self.shortlist_rule(task)) is not None
        ]
        shortlists: list[list[Shortlist | None] | None] = [None] * len(tasks)
        if not wanted or self.retriever is None:
            return shortlists
        ranked = self.retriever.label_similarity(
            [replace(tasks[index], hypothesis_templates=()) for index, _ in wanted]
        )
        for (index, rule), (plan, similarity) in zip(wanted, ranked, strict=True):
            labels = len(tasks[index].labels)
            shortlists[index] = [
                Shortlist(ranking, k) if k < labels else None
                for ranking, k in text_shortlists(plan, similarity, rule, self.retriever.temperature)
            ]
        return shortlists

    def _label_logits(self, raw: torch.Tensor, task: ClassificationTask) -> torch.Tensor:
        """Per pair: the entailment logit (single-label), or entailment minus contradiction (scored alone)."""
        entailment = raw[..., self.entailment_id]
        if task.scored_alone:
            return entailment - raw[..., self.contradiction_id]
        return entailment

    def _premise_budget(self, task: ClassificationTask, hypotheses: list[list[str]]) -> int:
        """Premise tokens per window: the model's input length minus the longest hypothesis and specials.

        ``hypotheses[i][j]`` is label ``i``'s phrase in template ``j``. Raises :class:`RequestError`
        naming the phrase's and the template's fields when a hypothesis leaves no room for the text
        (the API refuses those before the model: ``zstc.core.limits.MAX_HYPOTHESIS_TOKENS``).
        """
        limit = int(getattr(self.tokenizer, "model_max_length", 0) or 0)
        if not 0 < limit < _UNBOUNDED_LENGTH:
            limit = int(getattr(self.model.config, "max_position_embeddings", 0) or 0)
        if limit <= 0:
            return 0
        flat = [hypothesis for label in hypotheses for hypothesis in label]
        lengths = [len(ids) for ids in self.tokenizer(flat, add_special_tokens=False)["input_ids"]]
        longest = max(lengths)
        specials = int(self.tokenizer.num_special_tokens_to_add(pair=True))
        budget = limit - longest - specials
        if budget <= 0:
            label, template = divmod(lengths.index(longest), len(hypotheses[0]))
            raise RequestError(
                f"parameters.{_phrase_field(task, label)} in {_template_field(task, template)} makes a "
                f"hypothesis of {longest} tokens; with {specials} special tokens that leaves no room for the "
                f"text in the model's {limit}-token input: shorten it"
            )
        # Hypotheses that leave less than a quarter of the input for the text: no windows, the text goes
        # whole and the model truncates it as the pipeline would.
        return budget if budget >= limit // 4 else 0

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
        """Token ids per pair, truncating only the premise, as the pipeline does (every hypothesis fits
        beside at least one premise token: :meth:`_premise_budget` refuses one that does not)."""
        return _split(self.tokenizer([list(p) for p in pairs], truncation="only_first"))


@dataclass(frozen=True)
class Shortlist:
    """One text's shortlist: every label index best first by the retriever, and how many of the first
    the NLI model scores (``k``, below the label count)."""

    ranking: list[int]
    k: int


def _scored(task: ClassificationTask, shortlist: Shortlist | None) -> list[int]:
    """The label indices the NLI model scores for one text: its shortlist's first ``k``, else all."""
    return shortlist.ranking[: shortlist.k] if shortlist is not None else list(range(len(task.labels)))


def _phrase_field(task: ClassificationTask, index: int) -> str:
    """The request field label ``index``'s hypotheses are built from: its description, else its name."""
    if task.label_descriptions and task.label_descriptions[index]:
        return f"label_descriptions.{task.labels[index]}"
    return f"candidate_labels[{index}]"


def _template_field(task: ClassificationTask, index: int) -> str:
    """The request field of template ``index`` (the default template when the request has none)."""
    return f"hypothesis_template[{index}]" if task.hypothesis_templates else "the default hypothesis template"


def _split(batch: Any) -> list[dict[str, list[int]]]:
    keys = [key for key in ("input_ids", "attention_mask") if key in batch]
    return [{key: batch[key][i] for key in keys} for i in range(len(batch["input_ids"]))]
