"""The console on the module's local stack, a Chromium, and a page signed in with the console's token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import chromium
from zstc_cli.client.api import HttpApiClient
from zstc_cli.client.target import AuthMode, Target
from zstc_cli.console.server import ConsoleServer
from zstc_local.stack import LocalStack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def console(stack: LocalStack) -> Iterator[ConsoleServer]:
    assert stack.api is not None
    with ConsoleServer(HttpApiClient(Target(api_url=stack.api.url, auth=AuthMode.NONE))) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Browser, console: ConsoleServer, tmp_path: Path) -> Iterator[Page]:
    """A new browser context that opened the console's URL (token -> cookie); its last view is saved."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []  # the console's page throws nothing and its server never answers 5xx

    def keep(text: str) -> None:
        if page.url.startswith(console.origin):
            errors.append(text)

    page.on("pageerror", lambda error: keep(str(error)))
    page.on(
        "response", lambda answer: keep(f"{answer.status} {answer.url}") if answer.status >= 500 else None
    )
    page.goto(console.url)
    try:
        yield page
    finally:
        page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
        context.close()
    assert not errors, errors
