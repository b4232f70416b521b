"""Check a model's answer against the request it answers (real-time and batch alike).

The endpoint's answer is never passed through unchecked: it must hold one classification per
input text, in input order, over exactly the requested labels, with valid scores.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from zstc.contract.classification import Classification, ClassifyRequest
from zstc.core.errors import InvalidModelResponseError

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
        if len(result.labels) != len(expected_labels) or set(result.labels) != expected_labels:
            raise InvalidModelResponseError(
                f"classification {index} does not score exactly the candidate labels"
            )
        # With one label the NLI math is entailment vs contradiction (as transformers does): no sum rule.
        sums_to_one = not request.parameters.multi_label and len(expected_labels) > 1
        if sums_to_one and abs(sum(result.scores) - 1.0) > _SINGLE_LABEL_SUM_TOLERANCE:
            raise InvalidModelResponseError(
                f"classification {index}: single-label scores sum to {sum(result.scores):.4f}, not 1"
            )
        results.append(_checked_extras(request, index, result.sorted_by_score()))
    return results


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
        if result.predicted_labels is None or sorted(result.predicted_labels) != sorted(predicted):
            raise InvalidModelResponseError(
                f"classification {index}: predicted_labels do not follow the threshold rule"
            )
    evidence, windows = None, result.windows
    if parameters.return_evidence:
        if result.evidence is None or [item.label for item in result.evidence] != result.labels:
            raise InvalidModelResponseError(f"classification {index}: evidence must cover every label")
        if windows is None or any(not 0 <= e.start < e.end <= len(result.sequence) for e in result.evidence):
            raise InvalidModelResponseError(f"classification {index}: evidence spans are outside the text")
        evidence = result.evidence
    return result.model_copy(update={"predicted_labels": predicted, "evidence": evidence, "windows": windows})
