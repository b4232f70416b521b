"""Resolve JumpStart fixture models with the SageMaker Python SDK (runs in .venv-sdk, not .venv).

Reads cases as JSON on stdin: [{"model_id", "version", "region", "instance_type"}], and the
fixture directory from argv[1]; prints one answer per case as JSON: the image, model and script
URIs and the default environment the SDK resolves, or the SDK's error.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from sagemaker.core import image_uris
from sagemaker.core.jumpstart.accessors import JumpStartModelsAccessor
from sagemaker.core.jumpstart.artifacts import environment_variables, model_uris, script_uris
from sagemaker.core.jumpstart.artifacts.image_uris import _retrieve_image_uri
from sagemaker.core.jumpstart.enums import JumpStartScriptScope


def _configure(fixtures: str) -> None:
    """Point the SDK at the fixture directory (read when specs are first fetched, not at import)."""
    # Both overrides, or the SDK silently reads JumpStart's real buckets.
    os.environ["AWS_JUMPSTART_MANIFEST_LOCAL_ROOT_DIR_OVERRIDE"] = fixtures
    os.environ["AWS_JUMPSTART_SPECS_LOCAL_ROOT_DIR_OVERRIDE"] = fixtures
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


def _resolve(case: dict[str, str]) -> dict[str, Any]:
    JumpStartModelsAccessor.reset_cache()
    common = {"model_id": case["model_id"], "model_version": case["version"], "region": case["region"]}
    inference = JumpStartScriptScope.INFERENCE
    specs = JumpStartModelsAccessor.get_model_specs(
        region=case["region"], model_id=case["model_id"], version=case["version"]
    )
    if specs.hosting_instance_type_variants:
        image = _retrieve_image_uri(image_scope=inference, instance_type=case["instance_type"], **common)
    else:
        ecr = specs.hosting_ecr_specs
        image = image_uris.retrieve(
            "huggingface",
            region=case["region"],
            version=ecr.huggingface_transformers_version,
            base_framework_version=f"pytorch{ecr.framework_version}",
            py_version=ecr.py_version,
            instance_type=case["instance_type"],
            image_scope="inference",
        )
    return {
        "version": specs.version,
        "image_uri": image,
        "model_data_url": model_uris._retrieve_model_uri(
            model_scope=inference, instance_type=case["instance_type"], **common
        ),
        "prepacked": not specs.use_inference_script_uri(),
        "script_url": script_uris._retrieve_script_uri(script_scope=inference, **common)
        if specs.hosting_script_key
        else None,
        "environment": environment_variables._retrieve_default_environment_variables(
            instance_type=case["instance_type"], **common
        ),
    }


def main() -> None:
    """Answer every case on stdin."""
    _configure(sys.argv[1])
    answers = []
    for case in json.load(sys.stdin):
        try:
            answers.append(_resolve(case))
        except Exception as error:
            answers.append({"error": f"{type(error).__name__}: {error}"})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
