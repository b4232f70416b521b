"""The classification answer (one per text) and the check of a model's answer against its request.

The endpoint's answer is never passed through unchecked (real-time and batch alike): it must hold one
classification per input text, in input order, over exactly the requested labels (the best ``top_k``
of them with ``top_k``), with valid scores; a ``shortlist`` names candidate labels, the others score 0.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from zstc.contract.request import ClassifyRequest
from zstc.core.errors import InvalidModelResponseError


class Evidence(BaseModel):
    """Where a label's score comes from: a character span of the text and that window's score."""

    label: str
    start: int = Field(ge=0, description="First character of the window (0-based).")
    end: int = Field(ge=0, description="One past the last character of the window.")
    score: float = Field(ge=0, le=1, description="The label's score on this window alone.")


class Classification(BaseModel):
    """The answer for one text: labels sorted by score, highest first (and the extras asked for)."""

    model_config = ConfigDict(extra="ignore", strict=False)

    sequence: str = Field(description="The classified text, as sent.")
    labels: list[str] = Field(description="Candidate labels, best first.")
    scores: list[float] = Field(description="Score of each label, in the order of labels.")
    predicted_labels: list[str] | None = Field(
        default=None, description="With a threshold: the labels predicted (single-label: one or none)."
    )
    windows: int | None = Field(
        default=None, ge=1, description="How many model windows the text took (with return_evidence)."
    )
    evidence: list[Evidence] | None = Field(
        default=None,
        description="With return_evidence: one per scored label listed, in the order of labels.",
    )
    shortlist: list[str] | None = Field(
        default=None,
        description=(
            "With a shortlist: the labels the model scored, best first; the other labels score 0. "
            "Absent: every label was scored."
        ),
    )

    @model_serializer(mode="wrap")
    def _leave_out_what_was_not_asked(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A request in the Hugging Face shape gets exactly the Hugging Face answer shape.
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None or key in _ALWAYS}

    @model_validator(mode="after")
    def _check_scores(self) -> Classification:
        if len(self.labels) != len(self.scores):
            raise ValueError(f"{len(self.labels)} labels but {len(self.scores)} scores")
        if not all(math.isfinite(score) and -1e-6 <= score <= 1 + 1e-6 for score in self.scores):
            raise ValueError("scores must be finite numbers between 0 and 1")
        return self

    def sorted_by_score(self) -> Classification:
        """A copy with labels, scores and evidence ordered by descending score (stable for ties)."""
        order = sorted(range(len(self.scores)), key=lambda i: -self.scores[i])
        evidence = None
        if self.evidence is not None:
            by_label = {item.label: item for item in self.evidence}
            evidence = [by_label[self.labels[i]] for i in order if self.labels[i] in by_label]
        return self.model_copy(
            update={
                "labels": [self.labels[i] for i in order],
                "scores": [self.scores[i] for i in order],
                "evidence": evidence,
            }
        )


_ALWAYS = frozenset({"sequence", "labels", "scores"})


_SINGLE_LABEL_SUM_TOLERANCE = 1e-3


def check_answer(request: ClassifyRequest, answer: Any) -> list[Classification]:
    """Validate the endpoint's ``answer`` against ``request``; raise ``InvalidModelResponseError``."""
    texts = request.texts
    items = answer if isinstance(answer, list) else [answer]
    if len(items) != len(texts):
        raise InvalidModelResponseError(
            f"the model answered {len(items)} classifications for {len(texts)} texts"
        )
    expected_labels = set(request.parameters.candidate_labels)
    results: list[Classification] = []
    for index, (item, text) in enumerate(zip(items, texts, strict=True)):
        try:
            result = Classification.model_validate(item)
        except ValidationError as error:
            reason = error.errors(include_input=False)[0]["msg"]
            raise InvalidModelResponseError(f"classification {index} is malformed: {reason}") from None
        if result.sequence != text:
            raise InvalidModelResponseError(
                f"classification {index} is for a different text than inputs[{index}]"
            )
        _check_labels(request, index, result, expected_labels)
        # With one label the NLI math is entailment vs contradiction (as transformers does): no sum rule.
        sums_to_one = not request.parameters.multi_label and len(expected_labels) > 1
        total = sum(result.scores)
        listed_all = len(result.labels) == len(expected_labels)
        if sums_to_one and (
            total > 1.0 + _SINGLE_LABEL_SUM_TOLERANCE
            or (listed_all and abs(total - 1.0) > _SINGLE_LABEL_SUM_TOLERANCE)
        ):
            raise InvalidModelResponseError(
                f"classification {index}: single-label scores sum to {total:.4f}, not 1"
            )
        results.append(_checked_extras(request, index, result.sorted_by_score()))
    return results


def _check_labels(request: ClassifyRequest, index: int, result: Classification, expected: set[str]) -> None:
    """Exactly the candidate labels (the best ``top_k`` of them with ``top_k``); a shortlist names
    distinct candidate labels of the model's choosing, and every other label listed scores 0."""
    listed = set(result.labels)
    top_k = request.parameters.top_k
    count = len(expected) if top_k is None else min(top_k, len(expected))
    if len(result.labels) != count or len(listed) != count or not listed <= expected:
        raise InvalidModelResponseError(f"classification {index} does not score exactly the candidate labels")
    if result.shortlist is None:
        return
    scored = set(result.shortlist)
    if len(scored) != len(result.shortlist) or not scored <= expected or not result.shortlist:
        raise InvalidModelResponseError(f"classification {index}: the shortlist is not of candidate labels")
    if any(
        score != 0 for label, score in zip(result.labels, result.scores, strict=True) if label not in scored
    ):
        raise InvalidModelResponseError(f"classification {index}: a label outside the shortlist has a score")


def predicted_labels(
    labels: list[str], scores: list[float], threshold: float, *, multi_label: bool
) -> list[str]:
    """The threshold rule, for labels sorted by score: multi-label, every label scoring at least
    ``threshold``; single-label, the top label if it reaches it, else none (abstain).

    The engine applies the same rule (``zstc_engine.protocol.predicted_labels``); a test keeps them equal.
    """
    if multi_label:
        return [label for label, score in zip(labels, scores, strict=True) if score >= threshold]
    return labels[:1] if scores and scores[0] >= threshold else []


def _checked_extras(request: ClassifyRequest, index: int, result: Classification) -> Classification:
    """Check what the options asked for is there and consistent; drop what was not asked for."""
    parameters = request.parameters
    predicted = None
    if parameters.threshold is not None:
        predicted = predicted_labels(
            result.labels, result.scores, parameters.threshold, multi_label=parameters.multi_label
        )
        given = result.predicted_labels
        # top_k lists fewer labels than the rule was applied to: beyond them, only candidate labels
        # scoring no more than the last one listed can be predicted
        unlisted = set(given or []) - set(result.labels)
        capped = len(result.labels) < len(parameters.candidate_labels)
        if (
            given is None
            or sorted(set(given) - unlisted) != sorted(predicted)
            or (unlisted and not (capped and unlisted <= set(parameters.candidate_labels)))
        ):
            raise InvalidModelResponseError(
                f"classification {index}: predicted_labels do not follow the threshold rule"
            )
        predicted = list(given)
    evidence, windows = None, result.windows
    if parameters.return_evidence:
        scored = [label for label in result.labels if result.shortlist is None or label in result.shortlist]
        if result.evidence is None or [item.label for item in result.evidence] != scored:
            raise InvalidModelResponseError(f"classification {index}: evidence must cover every scored label")
        if windows is None or any(not 0 <= e.start < e.end <= len(result.sequence) for e in result.evidence):
            raise InvalidModelResponseError(f"classification {index}: evidence spans are outside the text")
        evidence = result.evidence
    return result.model_copy(update={"predicted_labels": predicted, "evidence": evidence, "windows": windows})
