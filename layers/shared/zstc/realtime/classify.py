"""Real-time classification: send a validated request to the model endpoint and check its answer."""

from __future__ import annotations

from zstc.contract.answer import Classification, check_answer
from zstc.contract.request import ClassifyRequest
from zstc.realtime.interfaces import ModelEndpoint


def classify(request: ClassifyRequest, endpoint: ModelEndpoint) -> list[Classification]:
    """Classify every text of ``request``: one checked classification per text, in input order.

    Raises the endpoint's domain errors (:mod:`zstc.core.errors`) and ``InvalidModelResponseError``
    (502) when the answer does not fit the request.
    """
    answer = endpoint.invoke_json(request.to_endpoint_payload())
    return check_answer(request, answer)
