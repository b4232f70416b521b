"""``zstc eval --local``: the engine in this process, behind the contract's own request validation."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from zstc.contract.request import ClassifyRequest
from zstc_cli.errors import CliError, ExitCode
from zstc_cli.evaluation.variants import Classify
from zstc_engine.loading import ModelLoadError, load_classifier
from zstc_engine.protocol import parse_request


def local_classifier(model_dir: str | None, model_method: str | None) -> Classify:
    """Load the model (the offline MiniLM unless ``model_dir``) and return a classify function.

    Raises ``CliError`` (exit 1) when the model cannot be loaded; the function raises it (exit 3)
    for a request the API would refuse.
    """
    try:
        classifier = load_classifier(model_dir, model_method)
    except ModelLoadError as error:
        raise CliError(str(error)) from None

    def run(payload: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            request = ClassifyRequest.model_validate(payload)
        except ValidationError as error:
            first = error.errors(include_input=False)[0]
            raise CliError(f"invalid request: {first['msg']}", ExitCode.API_REFUSED) from None
        task = parse_request(request.to_endpoint_payload())
        return [result.to_json() for result in classifier.classify(task)]

    return run
