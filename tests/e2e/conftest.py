"""The running local stack the end-to-end modules share: one per module, on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.moto import free_port
from zstc_local.stack import LocalStack, StackSettings


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """A started local stack for the module (moto keeps state per process: one stack at a time)."""
    settings = StackSettings(
        api_port=free_port(), aws_port=free_port(), model_port=free_port(), lambda_port=free_port()
    )
    with LocalStack(settings) as running:
        yield running
