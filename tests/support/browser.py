"""Headless Chromium for the console's browser tests: Debian's /usr/bin/chromium driven by Playwright.

Playwright never downloads a browser here: ``executable_path`` names the system's, started with the
flags a machine without a network needs (no background connections, no component updates).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("ZSTC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_VARIABLE = "ZSTC_CONSOLE_SCREENSHOTS"
"""A folder to write the docs' page screenshots to (``make console-screenshots``: docs/images)."""
DOCS_PAGES = frozenset({"playground", "jobs", "label-sets", "evaluate"})
"""The screenshots docs/console.md shows."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on exit; fails the test without one (`make setup` installs it)."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"no Chromium at {CHROMIUM}: `make setup` installs Debian's chromium (as root)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """Save the page under the test's tmp dir, and as docs/images/console-<name>.png when asked to."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    folder = os.environ.get(SCREENSHOTS_VARIABLE)
    if folder and name in DOCS_PAGES:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(folder) / f"console-{name}.png")
    return path
