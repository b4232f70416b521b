"""The API URL of the module's running local stack, as the zstc command finds it."""

from __future__ import annotations

import pytest

from zstc_local.stack import LocalStack


@pytest.fixture
def api_url(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> str:
    assert stack.api is not None
    monkeypatch.setenv("ZSTC_API_URL", stack.api.url)
    monkeypatch.setenv("COLUMNS", "120")
    return stack.api.url
