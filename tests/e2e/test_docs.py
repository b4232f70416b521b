"""The command blocks README.md and docs/ mark as runnable run as written against a running local stack.

Only the ports differ: the stack under test listens on free ports, so ``127.0.0.1:<default>`` in a
block is rewritten to the stack's port before the block runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zstc_local.stack import LocalStack
from zstc_local.template import REPO_ROOT

MARKER = "<!-- docs-test: local -->"

# Each page with a runnable block, and what its output must show for the block to do what the page says.
RUNNABLE_PAGES: dict[str, tuple[str, ...]] = {
    "README.md": (
        '"sequence": "Pay off the credit card before summer"',
        "Family",  # the zstc classify table
    ),
    "docs/local.md": (
        '"sequence": "Call my grandparents every Sunday"',
        '"EndpointStatus": "InService"',
        ": Completed",
        "results/",  # the results CSV in the bucket listing
    ),
}


def marked_blocks(page: str) -> list[str]:
    """Every bash block ``page`` (relative to the repository root) marks with the docs-test marker."""
    text = (REPO_ROOT / page).read_text(encoding="utf-8")
    return re.findall(re.escape(MARKER) + r"\n```bash\n(.*?)```", text, flags=re.DOTALL)


def test_only_the_listed_pages_mark_runnable_blocks() -> None:
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    marked = {
        str(page.relative_to(REPO_ROOT)) for page in pages if marked_blocks(str(page.relative_to(REPO_ROOT)))
    }  # a page may name the marker in prose (docs/decisions.md does); a marked block is what counts
    assert marked == set(RUNNABLE_PAGES)


def test_the_local_page_uses_commands_both_aws_cli_versions_take() -> None:
    [block] = marked_blocks("docs/local.md")
    assert "aws --endpoint-url" in block
    assert "--cli-binary-format" not in block  # AWS CLI v2 only; fileb:// works in v1 and v2


@pytest.mark.parametrize("page", sorted(RUNNABLE_PAGES))
def test_the_marked_commands_run_as_written(page: str, stack: LocalStack, tmp_path: Path) -> None:
    # Given a working directory laid out like the repository (its .venv and examples)
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "examples").symlink_to(REPO_ROOT / "examples")
    settings = stack.settings
    [block] = marked_blocks(page)
    ports = {
        "3000": settings.api_port,
        "5000": settings.aws_port,
        "8080": settings.model_port,
        "3001": settings.lambda_port,
    }
    # one pass over the defaults: a stack port such as 30011 must not be rewritten again as "3001" + "1"
    block = re.sub(r"127\.0\.0\.1:(\d+)\b", lambda found: f"127.0.0.1:{ports.get(found[1], found[1])}", block)
    assert stack.api is not None
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ZSTC_"))}
    environment["ZSTC_API_URL"] = stack.api.url  # what `zstc` finds on port 3000 by default
    environment["HOME"] = str(tmp_path)  # no ~/.aws of the machine
    # When the block runs in bash, stopping at the first failing command
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Then every command succeeds and says what the page says it does
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout.replace('":"', '": "')
    for expected in RUNNABLE_PAGES[page]:
        assert expected in output, result.stdout
