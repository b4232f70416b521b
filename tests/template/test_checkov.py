"""checkov's CloudFormation checks: every finding is fixed, or skipped in the template with a reason."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.template.test_template import REPO
from zstc_local.template import TEMPLATE_PATH, Template


def _checkov() -> str:
    checkov = os.environ.get("CHECKOV_CLI") or str(REPO / ".venv-checkov" / "bin" / "checkov")
    assert Path(checkov).exists(), (
        f"checkov not found at {checkov}: run `make setup` (it builds .venv-checkov)"
    )
    return checkov


def test_checkov_finds_nothing_unexplained() -> None:
    result = subprocess.run(
        [
            _checkov(),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "-f",
            str(TEMPLATE_PATH),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(result.stdout)
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    assert not failed, failed
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 0


def test_every_checkov_skip_has_a_written_reason() -> None:
    skips = [
        (name, skip)
        for name, resource in Template().resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert len(skip.get("comment", "")) > 30, (name, skip)
