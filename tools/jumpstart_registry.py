"""Regenerate layers/deploy/zstc_deploy/jumpstart_registry.json from the SageMaker SDK's bundled config.

The setup custom resource cannot ship the ~1 GB SDK, so it reads this extract of two SDK facts:
the regions JumpStart is launched in (with their metadata bucket), and the Hugging Face PyTorch
inference image registry (accounts per region, tag components per version) for JumpStart specs
that only carry ``hosting_ecr_specs`` (no per-instance image variants).

Run in an environment with the SDK (``make sdk-env``):
    .venv-sdk/bin/python tools/jumpstart_registry.py
"""

from __future__ import annotations

import json
from pathlib import Path

from sagemaker.core import image_uris
from sagemaker.core.jumpstart.constants import JUMPSTART_REGION_NAME_TO_LAUNCHED_REGION_DICT

TARGET = Path(__file__).resolve().parents[1] / "layers/deploy/zstc_deploy/jumpstart_registry.json"


def main() -> None:
    """Write the PyTorch inference part of the SDK's huggingface.json, sorted, to TARGET."""
    config = image_uris.config_for_framework("huggingface")["inference"]
    versions: dict[str, dict[str, object]] = {}
    registries: dict[str, str] = {}
    for transformers_version, by_framework in config["versions"].items():
        for framework, entry in by_framework.items():
            if not framework.startswith("pytorch") or "container_version" not in entry:
                continue
            versions.setdefault(transformers_version, {})[framework.removeprefix("pytorch")] = {
                "py_versions": entry["py_versions"],
                "container_version": entry["container_version"],
            }
            registries.update(entry["registries"])
    extract = {
        "source": "sagemaker-core: jumpstart/region_config.json, image_uri_config/huggingface.json",
        "jumpstart_buckets": {
            region: info.content_bucket
            for region, info in sorted(JUMPSTART_REGION_NAME_TO_LAUNCHED_REGION_DICT.items())
        },
        "huggingface_inference": {
            "repository": "huggingface-pytorch-inference",
            "registries": dict(sorted(registries.items())),
            "versions": versions,
        },
    }
    TARGET.write_text(json.dumps(extract, indent=1, sort_keys=False) + "\n")
    print(f"wrote {TARGET}: {len(versions)} transformers versions, {len(registries)} image regions")


if __name__ == "__main__":
    main()
