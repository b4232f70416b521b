"""The README's local commands run as written against a running local stack (only the ports differ)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from zstc_local.stack import LocalStack
from zstc_local.template import REPO_ROOT

MARKER = "<!-- readme-test: local -->"


def readme_blocks() -> list[str]:
    """Every bash block the README marks with ``<!-- readme-test: local -->``."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(re.escape(MARKER) + r"\n```bash\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_marks_its_local_commands() -> None:
    [block] = readme_blocks()
    assert "aws --endpoint-url" in block
    assert "--cli-binary-format" not in block  # AWS CLI v2 only; fileb:// works in v1 and v2


def test_the_readme_local_commands_run_as_written(stack: LocalStack, tmp_path: Path) -> None:
    # Given a working directory laid out like the repository (its .venv and examples)
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "examples").symlink_to(REPO_ROOT / "examples")
    settings = stack.settings
    [block] = readme_blocks()
    for default, port in (
        (3000, settings.api_port),
        (5000, settings.aws_port),
        (8080, settings.model_port),
        (3001, settings.lambda_port),
    ):
        block = block.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}")
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
    # Then every command succeeds and says what the README says it does
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"sequence": "Call my grandparents every Sunday"' in result.stdout.replace('":"', '": "')
    assert '"EndpointStatus": "InService"' in result.stdout
    assert ": Completed" in result.stdout
    assert "results/" in result.stdout  # the results CSV in the bucket listing
