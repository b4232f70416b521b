"""The batch services over in-memory fakes, for every unit test of the batch package."""

from __future__ import annotations

import pytest

from tests.support.batch_services import Batch


@pytest.fixture
def batch() -> Batch:
    """The jobs API, start_batch and process_results sharing one set of fakes (a fresh one per test)."""
    return Batch()
