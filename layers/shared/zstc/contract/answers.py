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
        results.append(result.sorted_by_score())
    return results
