"""Running the zstc command in-process, and calling the local stack's API beside it, for tests/e2e/cli/."""

from __future__ import annotations

import csv
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from zstc_cli.main import main
from zstc_local.stack import LocalStack
from zstc_local.template import REPO_ROOT

SAMPLE = REPO_ROOT / "examples" / "resolutions-sample.csv"


LABELS = "Health,Finance,Career,Family"


def run_zstc(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def call_api(method: str, url: str, payload: Any = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def write_sample(tmp_path: Path, rows: int) -> Path:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))[:rows]
    path = tmp_path / "sample.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "category"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: record[key] for key in ("id", "text", "category")} for record in records)
    return path


def api_results(api_url: str, job_id: str) -> list[dict[str, Any]]:
    results, token = [], None
    while True:
        query = "limit=7" + (f"&next_token={token}" if token else "")
        page = call_api("GET", f"{api_url}/jobs/{job_id}/results?{query}")
        results += page["results"]
        token = page["next_token"]
        if not token:
            return results


def stack_port_flags(stack: LocalStack) -> list[str]:
    """The running stack's ports as the flags every local command takes (the same four everywhere)."""
    settings = stack.settings
    return [
        *("--api-port", str(settings.api_port), "--aws-port", str(settings.aws_port)),
        *("--model-port", str(settings.model_port), "--lambda-port", str(settings.lambda_port)),
    ]
