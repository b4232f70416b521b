"""The interface real-time classification needs from a model endpoint (adapters implement it)."""

from __future__ import annotations

from typing import Any, Protocol

from zstc.contract.health import EndpointHealth


class ModelEndpoint(Protocol):
    """A model endpoint that answers the classification contract.

    :class:`zstc.realtime.endpoint.SageMakerEndpoint` is the production adapter; unit tests use
    small in-memory fakes.
    """

    endpoint_name: str

    def invoke_json(self, payload: dict[str, Any]) -> Any:
        """Send a JSON payload, return the decoded JSON answer.

        Raises :mod:`zstc.core.errors` domain errors (throttled, model error, unavailable, timeout).
        """
        ...

    def health(self) -> EndpointHealth:
        """The endpoint's status; ``ready`` is True only when it can serve requests."""
        ...
