"""JumpStart resolution rules that need no S3: versions, instance families, images, environment."""

from __future__ import annotations

import pytest

from zstc_deploy import jumpstart
from zstc_deploy.jumpstart import EcrSpecs, JumpStartError, ModelSpec


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("*", "2.10.0"), ("2.*", "2.10.0"), ("1.*", "1.2.0"), ("2.1.0", "2.1.0"), ("2.1", "2.1.0")],
)
def test_version_selection_compares_numbers_not_strings(requested: str, expected: str) -> None:
    available = ["1.0.0", "1.2.0", "2.1.0", "2.9.0", "2.10.0"]
    assert jumpstart.select_version("m", requested, available) == expected


def test_an_unknown_version_lists_what_exists() -> None:
    with pytest.raises(JumpStartError, match=r"no version matching '3\.\*' \(available: 1\.0\.0, 2\.0\.0\)"):
        jumpstart.select_version("m", "3.*", ["2.0.0", "1.0.0"])


@pytest.mark.parametrize(
    ("instance_type", "family"),
    [("ml.g5.2xlarge", "g5"), ("ml.m5.xlarge", "m5"), ("ml.inf2.xlarge", "inf2"), ("m5", "")],
)
def test_instance_family(instance_type: str, family: str) -> None:
    assert jumpstart.instance_family(instance_type) == family


def test_a_manifest_that_is_not_a_list_is_malformed() -> None:
    with pytest.raises(JumpStartError, match="malformed manifest"):
        jumpstart.resolve("m", "*", "us-east-1", None, lambda bucket, key: {"models": []})


def test_an_unknown_model_suggests_close_ids() -> None:
    manifest = [
        {"model_id": "huggingface-zstc-facebook-bart-large-mnli", "version": "1.0.0", "spec_key": "k"}
    ]
    with pytest.raises(JumpStartError, match="did you mean huggingface-zstc-facebook-bart-large-mnli"):
        jumpstart.resolve(
            "huggingface-zstc-facebook-bart-large", "*", "us-east-1", None, lambda b, k: manifest
        )


def test_hugging_face_images_in_china_use_the_cn_domain() -> None:
    ecr = EcrSpecs(
        framework="huggingface",
        framework_version="2.6.0",
        py_version="py312",
        huggingface_transformers_version="4.49.0",
    )
    uri = jumpstart.huggingface_image_uri(ecr, "cn-north-1", "ml.g5.xlarge")
    assert uri == (
        "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/huggingface-pytorch-inference:"
        "2.6.0-transformers4.49.0-gpu-py312-cu124-ubuntu22.04"
    )


@pytest.mark.parametrize(
    ("ecr", "message"),
    [
        (EcrSpecs(framework="pytorch", framework_version="2.1", py_version="py310"), "only huggingface"),
        (
            EcrSpecs(
                framework="huggingface",
                framework_version="9.9.9",
                py_version="py312",
                huggingface_transformers_version="4.49.0",
            ),
            "no Hugging Face inference image for transformers 4.49.0, PyTorch 9.9.9",
        ),
    ],
)
def test_image_specs_without_an_image_are_refused(ecr: EcrSpecs, message: str) -> None:
    with pytest.raises(JumpStartError, match=message):
        jumpstart.huggingface_image_uri(ecr, "us-east-1", "ml.m5.xlarge")


def test_neuron_instances_are_refused_for_hugging_face_pytorch_images() -> None:
    ecr = EcrSpecs(
        framework="huggingface",
        framework_version="2.6.0",
        py_version="py312",
        huggingface_transformers_version="4.49.0",
    )
    with pytest.raises(JumpStartError, match="Neuron"):
        jumpstart.huggingface_image_uri(ecr, "us-east-1", "ml.inf2.xlarge")


def test_variant_environment_overrides_family_then_type() -> None:
    spec = ModelSpec.model_validate(
        {
            "model_id": "m",
            "version": "1.0.0",
            "inference_environment_variables": [
                {"name": "A", "default": 1},
                {"name": "B", "default": "x"},
                {"name": "C", "default": True},
            ],
            "hosting_instance_type_variants": {
                "variants": {
                    "g5": {"properties": {"environment_variables": {"A": "2", "B": "family"}}},
                    "ml.g5.2xlarge": {"properties": {"environment_variables": {"B": "type"}}},
                }
            },
        }
    )
    assert jumpstart.environment(spec, "ml.g5.2xlarge") == {"A": "2", "B": "type", "C": "True"}
    assert jumpstart.environment(spec, "ml.m5.xlarge") == {"A": "1", "B": "x", "C": "True"}
