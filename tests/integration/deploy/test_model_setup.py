"""The setup custom resource against JumpStart-shaped metadata in a real moto S3, answering a presigned URL.

The artifact it stages is unpacked and served by the entry script it carries, so the test shows
the deployed model would run our inference code on the JumpStart model's weights.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.jumpstart import DEBERTA_MODEL, STOCK_SCRIPT, ZSTC_MODEL, publish
from tests.support.moto import REGION, MotoHarness
from zstc_deploy.custom_resource import ResourceResult, answer_cloudformation
from zstc_deploy.model_artifacts import InferenceCode, vendored_packages
from zstc_deploy.model_setup import MODEL_ENVIRONMENT_DEFAULTS, ModelSetup, SetupProperties
from zstc_local.context import LocalLambdaContext
from zstc_local.handlers import load_handler
from zstc_local.template import Template

ARTIFACTS = "zstc-artifacts-test"
RESPONSES = "cfn-responses"
CPU_IMAGE = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:"
    "2.6.0-transformers4.49.0-cpu-py312-ubuntu22.04"
)

Invoke = Callable[..., dict[str, Any]]
ENTRY = "inference.py"


@pytest.fixture
def s3(moto: MotoHarness, tmp_path: Path) -> Any:
    client = boto3.client("s3", region_name=REGION)
    publish(client, REGION, tmp_path)
    client.create_bucket(Bucket=ARTIFACTS)
    client.create_bucket(Bucket=RESPONSES)
    return client


def _event(s3: Any, request_type: str, properties: dict[str, str], physical_id: str | None) -> dict[str, Any]:
    key = f"response-{uuid.uuid4()}"
    event = {
        "RequestType": request_type,
        "ResponseURL": s3.generate_presigned_url(
            "put_object", Params={"Bucket": RESPONSES, "Key": key}, ExpiresIn=600
        ),
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/zstc/abc",
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": "ModelSetup",
        "ResourceType": "Custom::JumpStartModel",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x",
            **properties,
        },
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def _response(s3: Any, event: dict[str, Any]) -> dict[str, Any]:
    key = event["ResponseURL"].split(f"/{RESPONSES}/", 1)[1].split("?", 1)[0]
    body: dict[str, Any] = json.loads(s3.get_object(Bucket=RESPONSES, Key=key)["Body"].read())
    return body


@pytest.fixture
def invoke(s3: Any) -> Invoke:
    """Run the setup function (loaded from template.yaml) for one request; returns CloudFormation's copy."""
    handler = load_handler(Template().function("SetupFunction"))

    def run(request_type: str = "Create", physical_id: str | None = None, **overrides: str) -> dict[str, Any]:
        properties = {
            "ModelId": ZSTC_MODEL,
            "ModelVersion": "*",
            "InstanceType": "ml.m5.xlarge",
            "InferenceCode": "zstc",
            "ArtifactsBucket": ARTIFACTS,
            **overrides,
        }
        event = _event(s3, request_type, properties, physical_id)
        handler(event, LocalLambdaContext(function_name="SetupFunction", timeout_seconds=900))
        response = _response(s3, event)
        assert response["RequestId"] == event["RequestId"]
        assert response["LogicalResourceId"] == "ModelSetup"
        return response

    return run


def _download(s3: Any, url: str) -> bytes:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def _unpack(data: bytes, target: Path) -> Path:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(target, filter="data")
    return target


def test_create_stages_a_model_that_runs_our_inference_code(invoke: Invoke, s3: Any, tmp_path: Path) -> None:
    # Given JumpStart's metadata with a prepacked artifact (carrying JumpStart's own handler)
    # When CloudFormation creates the resource with the default settings
    response = invoke()
    # Then it succeeds with the newest version, the CPU image for ml.m5.xlarge and the spec's environment
    assert response["Status"] == "SUCCESS", response["Reason"]
    data = response["Data"]
    assert data["ModelVersion"] == "2.1.0"
    assert data["ImageUri"] == CPU_IMAGE
    assert set(MODEL_ENVIRONMENT_DEFAULTS) <= set(data)
    assert data["SAGEMAKER_PROGRAM"] == "inference.py"
    assert data["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    assert response["PhysicalResourceId"].startswith(f"s3://{ARTIFACTS}/models/{ZSTC_MODEL}/2.1.0/zstc-")
    assert data["ModelDataUrl"] == response["PhysicalResourceId"] + "model.tar.gz"
    assert data["SubmitDirectory"] == response["PhysicalResourceId"] + "sourcedir.tar.gz"
    # And the staged artifact holds the model's weights with our code (not JumpStart's) under code/
    model_dir = _unpack(_download(s3, data["ModelDataUrl"]), tmp_path / "model")
    assert (model_dir / "config.json").exists()
    assert (model_dir / "code" / "inference.py").read_bytes() != STOCK_SCRIPT
    assert (model_dir / "code" / "zstc_engine" / "nli.py").exists()
    sourcedir = _unpack(_download(s3, data["SubmitDirectory"]), tmp_path / "sourcedir")
    assert sorted(p.name for p in sourcedir.iterdir()) == ["inference.py", "zstc_engine"]
    # And the entry script inside it serves a JSON Lines request on those weights, as the container would
    spec = importlib.util.spec_from_file_location("staged_inference", model_dir / "code" / "inference.py")
    assert spec is not None
    assert spec.loader is not None
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    model = entry.model_fn(str(model_dir))
    request = (
        b'{"id": "a", "inputs": "I will run more", "parameters": {"candidate_labels": ["health", "money"]}}\n'
    )
    answer = entry.output_fn(
        entry.predict_fn(entry.input_fn(request, "application/jsonlines"), model), "application/jsonlines"
    )
    [line] = [json.loads(line) for line in answer.splitlines()]
    assert line["id"] == "a"
    assert sorted(line["labels"]) == ["health", "money"]


def test_vendored_packages_are_staged_under_code_lib_for_the_entry_script(s3: Any, tmp_path: Path) -> None:
    # Given a deploy layer carrying a pure-Python package (torchao comes so: layers/deploy/requirements.txt)
    layer = tmp_path / "layer"
    (layer / "zstc_vendored_probe").mkdir(parents=True)
    (layer / "zstc_vendored_probe" / "__init__.py").write_text("ANSWER = 42\n")
    code = InferenceCode(
        Path(__file__).resolve().parents[3] / "inference",
        vendored_packages(layer, ("zstc_vendored_probe", "torchao")),
    )
    properties = {"ModelId": ZSTC_MODEL, "InstanceType": "ml.m5.xlarge", "InferenceCode": "zstc"}
    # When the resource stages the model
    result = ModelSetup(s3, REGION, code).create(
        SetupProperties.model_validate({**properties, "ArtifactsBucket": ARTIFACTS})
    )
    # Then the package sits under code/lib of the artifact, beside our code
    model_dir = _unpack(_download(s3, result.data["ModelDataUrl"]), tmp_path / "model")
    assert (model_dir / "code" / "lib" / "zstc_vendored_probe" / "__init__.py").is_file()
    assert not (model_dir / "code" / "lib" / "torchao").exists()  # only what the layer has
    # And, as in the container (a fresh interpreter that loads code/inference.py), it imports
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('entry', {str(model_dir / 'code' / ENTRY)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "import zstc_vendored_probe\n"
        "print(zstc_vendored_probe.ANSWER, sys.path[-1])\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True
    )
    # appended last: a package the image has itself is found first
    assert answer.stdout.split() == ["42", str(model_dir / "code" / "lib")]


def test_create_again_reuses_the_staged_artifact(invoke: Invoke, s3: Any) -> None:
    # Given a created resource, When CloudFormation retries the same Create
    first = invoke()
    key = first["Data"]["ModelDataUrl"].split(f"{ARTIFACTS}/", 1)[1]
    staged_at = s3.head_object(Bucket=ARTIFACTS, Key=key)["LastModified"]
    time.sleep(1.1)
    second = invoke()
    # Then the answer is the same and the artifact was not rebuilt
    assert second["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert second["Data"] == first["Data"]
    assert s3.head_object(Bucket=ARTIFACTS, Key=key)["LastModified"] == staged_at


def test_gpu_instance_types_get_the_gpu_image_and_variant_environment(invoke: Invoke) -> None:
    response = invoke(InstanceType="ml.g5.2xlarge", ModelVersion="2.0.0")
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert "-gpu-py312-cu124-" in response["Data"]["ImageUri"]
    assert response["Data"]["SAGEMAKER_MODEL_SERVER_WORKERS"] == "4"  # the instance type's override wins
    assert response["Data"]["ModelVersion"] == "2.0.0"


def test_delete_removes_only_what_the_resource_staged(invoke: Invoke, s3: Any) -> None:
    # Given a created resource and an object someone else put beside its artifacts
    created = invoke()
    prefix = created["PhysicalResourceId"].removeprefix(f"s3://{ARTIFACTS}/")
    s3.put_object(Bucket=ARTIFACTS, Key=prefix + "notes.txt", Body=b"keep me")
    # When CloudFormation deletes it
    deleted = invoke("Delete", physical_id=created["PhysicalResourceId"])
    # Then its two tarballs are gone and the other object stays
    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    remaining = [item["Key"] for item in s3.list_objects_v2(Bucket=ARTIFACTS).get("Contents", [])]
    assert remaining == [prefix + "notes.txt"]


def test_delete_of_a_failed_create_is_a_no_op(invoke: Invoke, s3: Any) -> None:
    failed = invoke(ModelId="no-such-model")
    deleted = invoke("Delete", physical_id=failed["PhysicalResourceId"], ModelId="no-such-model")
    assert deleted["Status"] == "SUCCESS"


def test_jumpstart_code_with_a_prepacked_artifact_uses_it_as_is(invoke: Invoke, s3: Any) -> None:
    response = invoke(InferenceCode="jumpstart")
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"]["ModelDataUrl"].startswith(
        "s3://jumpstart-cache-prod-us-east-1/huggingface-infer/prepack/"
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=ARTIFACTS)  # nothing staged


def test_jumpstart_code_without_a_prepacked_artifact_is_repacked_with_its_script(
    invoke: Invoke, s3: Any, tmp_path: Path
) -> None:
    # Given an older spec (hosting_ecr_specs, artifact + script, no image variants)
    response = invoke(ModelId=DEBERTA_MODEL, InferenceCode="jumpstart")
    assert response["Status"] == "SUCCESS", response["Reason"]
    # Then the image comes from the Hugging Face registry and the artifact carries JumpStart's script
    assert response["Data"]["ImageUri"].endswith(
        "/huggingface-pytorch-inference:1.13.1-transformers4.26.0-cpu-py39-ubuntu20.04"
    )
    model_dir = _unpack(_download(s3, response["Data"]["ModelDataUrl"]), tmp_path / "model")
    assert (model_dir / "code" / "inference.py").read_bytes() == STOCK_SCRIPT


@pytest.mark.parametrize(
    ("overrides", "region", "expected"),
    [
        ({"ModelId": "huggingface-zstc-facebook-bart-large"}, REGION, "unknown model id"),
        ({"ModelId": "huggingface-zstc-missing-spec"}, REGION, "missing spec"),
        ({"ModelId": "huggingface-zstc-malformed-spec"}, REGION, "malformed spec"),
        ({"ModelVersion": "1.0.0"}, REGION, "is deprecated: Version 1.0.0 uses an end-of-life container"),
        ({"ModelId": "huggingface-zstc-vulnerable-model"}, REGION, "known inference vulnerabilities"),
        ({"ModelVersion": "3.*"}, REGION, "no version matching '3.*'"),
        ({"InstanceType": "ml.inf2.xlarge"}, REGION, "no inference image for instance type ml.inf2.xlarge"),
        ({"InstanceType": "m5"}, REGION, "invalid property InstanceType"),
        ({}, "xx-nowhere-1", "unsupported region 'xx-nowhere-1'"),
        ({}, "eu-central-1", "unsupported region 'eu-central-1'"),  # launched, but no metadata served
    ],
)
def test_each_failure_answers_failed_with_a_reason_that_says_which(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, str], region: str, expected: str
) -> None:
    monkeypatch.setenv("AWS_REGION", region)
    response = invoke(**overrides)
    assert response["Status"] == "FAILED"
    assert expected in response["Reason"]
    assert response["PhysicalResourceId"]  # CloudFormation requires one, even for a failed Create


class _Context:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


def test_an_unexpected_exception_still_answers_failed(s3: Any) -> None:
    def broken(event: Any) -> ResourceResult:
        raise RuntimeError("something nobody expected")

    event = _event(s3, "Update", {}, "s3://bucket/models/x/")
    assert answer_cloudformation(event, _Context(60), broken) is None
    response = _response(s3, event)
    assert response["Status"] == "FAILED"
    assert response["Reason"] == "RuntimeError: something nobody expected"
    assert response["PhysicalResourceId"] == "s3://bucket/models/x/"


def test_a_handler_that_runs_out_of_time_answers_failed_once(s3: Any) -> None:
    # Given a handler slower than the time left minus the margin
    def slow(event: Any) -> ResourceResult:
        time.sleep(1.5)
        return ResourceResult("late")

    event = _event(s3, "Create", {}, None)
    # When it runs with 0.5 s to spare
    result = answer_cloudformation(event, _Context(15.5), slow, timeout_margin_seconds=15.0)
    # Then CloudFormation got FAILED from the timer, and the late success was not sent over it
    assert result is None
    response = _response(s3, event)
    assert response["Status"] == "FAILED"
    assert "did not finish within the function's time limit" in response["Reason"]
