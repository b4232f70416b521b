"""The resolver agrees with the SageMaker Python SDK on the same JumpStart fixtures.

The SDK (~450 MB) lives in its own virtualenv (.venv-sdk, built by `make setup`); it reads the
fixtures through its local-override variables and prints its answers as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.jumpstart import DEBERTA_MODEL, FIXTURES, ZSTC_MODEL
from zstc_deploy import jumpstart

REPO = Path(__file__).resolve().parents[3]
CASES = [
    {"model_id": ZSTC_MODEL, "version": "*", "region": "us-east-1", "instance_type": "ml.m5.xlarge"},
    {"model_id": ZSTC_MODEL, "version": "2.0.0", "region": "eu-west-1", "instance_type": "ml.g5.2xlarge"},
    {"model_id": ZSTC_MODEL, "version": "2.*", "region": "us-west-2", "instance_type": "ml.g5.xlarge"},
    {"model_id": ZSTC_MODEL, "version": "2.1", "region": "us-east-1", "instance_type": "ml.c5.2xlarge"},
    {"model_id": ZSTC_MODEL, "version": "*", "region": "eu-west-1", "instance_type": "ml.p3.2xlarge"},
    {"model_id": DEBERTA_MODEL, "version": "1.1.0", "region": "eu-west-1", "instance_type": "ml.m5.xlarge"},
    {"model_id": DEBERTA_MODEL, "version": "*", "region": "ap-east-1", "instance_type": "ml.g4dn.xlarge"},
    {"model_id": DEBERTA_MODEL, "version": "1.*", "region": "cn-north-1", "instance_type": "ml.c5.2xlarge"},
    {"model_id": ZSTC_MODEL, "version": "1.0.0", "region": "us-east-1", "instance_type": "ml.m5.xlarge"},
    {
        "model_id": "huggingface-zstc-vulnerable-model",
        "version": "*",
        "region": "us-east-1",
        "instance_type": "ml.m5.xlarge",
    },
    {
        "model_id": "huggingface-zstc-no-such-model",
        "version": "*",
        "region": "us-east-1",
        "instance_type": "ml.m5.xlarge",
    },
    {"model_id": ZSTC_MODEL, "version": "*", "region": "sa-east-1", "instance_type": "ml.m5.xlarge"},
]


def _sdk_python() -> str:
    python = os.environ.get("ZSTC_SDK_PYTHON") or str(REPO / ".venv-sdk" / "bin" / "python")
    assert Path(python).exists(), f"SDK environment not found at {python}: run `make setup` (.venv-sdk)"
    return python


@pytest.fixture(scope="module")
def sdk_answers() -> list[dict[str, Any]]:
    result = subprocess.run(
        [_sdk_python(), str(REPO / "tests" / "sdk" / "resolve_with_sdk.py"), str(FIXTURES)],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers: list[dict[str, Any]] = json.loads(result.stdout)
    return answers


def _fetch(bucket: str, key: str) -> Any:
    path = FIXTURES / key
    if not path.exists():
        raise KeyError(key)
    return json.loads(path.read_text())


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: "-".join(CASES[i].values()))
def test_resolver_matches_the_sdk(sdk_answers: list[dict[str, Any]], index: int) -> None:
    case, sdk = CASES[index], sdk_answers[index]
    if "error" in sdk:
        # Then we refuse it too
        with pytest.raises(jumpstart.JumpStartError):
            jumpstart.resolve(
                case["model_id"], case["version"], case["region"], case["instance_type"], _fetch
            )
        return
    ours = jumpstart.resolve(case["model_id"], case["version"], case["region"], case["instance_type"], _fetch)
    assert ours.version == sdk["version"]
    assert ours.image_uri == sdk["image_uri"]
    assert ours.model_data_url == sdk["model_data_url"]
    assert ours.prepacked == sdk["prepacked"]
    assert ours.script_url == sdk["script_url"]
    assert ours.environment == sdk["environment"]
