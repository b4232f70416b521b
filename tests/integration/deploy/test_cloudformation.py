"""The SAM-translated template deploys into moto's CloudFormation for each endpoint option.

The setup custom resource's attributes come from running the real setup code against the
JumpStart fixtures in the same moto server (moto cannot invoke a custom resource's Lambda without
Docker); tests.support.moto_cloudformation lists every other resource moto cannot create and why.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.jumpstart import publish
from tests.support.moto import REGION, MotoHarness
from tests.support.moto_cloudformation import NOT_DEPLOYABLE_IN_MOTO, for_moto
from tests.support.sam import translate
from zstc_deploy.model_artifacts import InferenceCode
from zstc_deploy.model_setup import ModelSetup, SetupProperties
from zstc_local.template import TEMPLATE_PATH

CODE_BUCKET = "zstc-artifacts"  # where tests.support.sam points every CodeUri
CODE_ROOT = TEMPLATE_PATH.parent / "functions" / "setup" / "inference"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

PROFILES = {
    "realtime": {},
    "realtime-autoscaling-vpc-kms": {
        "EnableAutoScaling": "true",
        "SubnetIds": "subnet-1,subnet-2",
        "SecurityGroupIds": "sg-1",
        "KmsKeyArn": KMS_KEY,
    },
    "serverless-own-role-jumpstart-code": {
        "EndpointType": "serverless",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/my-sagemaker-role",
        "InferenceCode": "jumpstart",
    },
    "existing-endpoint": {"ExistingEndpointName": "my-endpoint", "TransformModelName": "my-model"},
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _setup_attributes(s3: Any, parameters: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """What the setup custom resource answers for these parameters (run for real on the fixtures)."""
    publish(s3, REGION, tmp_path)
    s3.create_bucket(Bucket="setup-artifacts")
    properties = SetupProperties.model_validate(
        {
            "ModelId": "huggingface-zstc-facebook-bart-large-mnli",
            "ModelVersion": "*",
            "InstanceType": "ml.m5.xlarge",
            "InferenceCode": parameters.get("InferenceCode", "zstc"),
            "ArtifactsBucket": "setup-artifacts",
        }
    )
    return dict(ModelSetup(s3, REGION, InferenceCode(CODE_ROOT)).create(properties).data)


def _deploy(cloudformation: Any, template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    cloudformation.create_stack(
        StackName="zstc",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    for _ in range(60):
        stack: dict[str, Any] = cloudformation.describe_stacks(StackName="zstc")["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            return stack
        time.sleep(0.5)
    raise AssertionError("the stack did not finish")


def _physical_ids(cloudformation: Any) -> dict[str, str]:
    return {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in cloudformation.describe_stack_resources(StackName="zstc")["StackResources"]
        if "LogicalResourceId" in r
    }


@pytest.mark.parametrize("profile", PROFILES)
def test_the_stack_deploys_into_moto(moto: MotoHarness, tmp_path: Path, profile: str) -> None:
    parameters = PROFILES[profile]
    s3 = boto3.client("s3", region_name=REGION)
    attributes = _setup_attributes(s3, parameters, tmp_path)
    translated = translate(parameters)
    template, removed = for_moto(translated, {"ModelSetup": attributes})
    assert set(removed) == {
        name for name, r in translated["Resources"].items() if r["Type"] in NOT_DEPLOYABLE_IN_MOTO
    }
    s3.create_bucket(Bucket=CODE_BUCKET)
    for name in translated["Resources"]:
        s3.put_object(Bucket=CODE_BUCKET, Key=f"{name}.zip", Body=_zip())

    cloudformation = boto3.client("cloudformation", region_name=REGION)
    stack = _deploy(cloudformation, template, parameters)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    ids = _physical_ids(cloudformation)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    sagemaker = boto3.client("sagemaker", region_name=REGION)
    lambda_ = boto3.client("lambda", region_name=REGION)
    start_batch = lambda_.get_function_configuration(FunctionName=ids["StartBatchFunction"])
    api = lambda_.get_function_configuration(FunctionName=ids["ApiFunction"])
    batch_env = start_batch["Environment"]["Variables"]
    if profile == "existing-endpoint":
        assert not {"ZstcModel", "SetupFunction", "ArtifactsBucket"} & set(ids)
        assert sagemaker.list_models()["Models"] == []
        assert api["Environment"]["Variables"]["ENDPOINT_NAME"] == "my-endpoint"
        assert batch_env["TRANSFORM_MODEL_NAME"] == "my-model"
        return

    model_name = ids["ZstcModel"].rsplit("/", 1)[-1]
    model = sagemaker.describe_model(ModelName=model_name)
    container = model["PrimaryContainer"]
    assert container["Image"] == attributes["ImageUri"]
    assert container["ModelDataUrl"] == attributes["ModelDataUrl"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    vpc = model.get("VpcConfig") or {}
    if "SubnetIds" in parameters:
        assert vpc == {"Subnets": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}
    else:
        assert not vpc.get("Subnets")
    assert batch_env["TRANSFORM_MODEL_NAME"] == model_name
    assert batch_env["INFERENCE_CODE"] == parameters.get("InferenceCode", "zstc")
    assert api["Environment"]["Variables"]["ENDPOINT_NAME"] == "zstc-bart-large-mnli"
    if "ExecutionRoleArn" in parameters:
        assert model["ExecutionRoleArn"] == parameters["ExecutionRoleArn"]
        assert "ModelExecutionRole" not in ids
    # moto names the endpoint itself (it ignores EndpointName); the stack's physical id is its ARN
    endpoint = sagemaker.describe_endpoint(EndpointName=ids["ZstcEndpoint"].rsplit("/", 1)[-1])
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    [variant] = config["ProductionVariants"]
    if parameters.get("EndpointType") == "serverless":
        assert variant["ServerlessConfig"] == {"MemorySizeInMB": 6144, "MaxConcurrency": 5}
    else:
        assert variant["InstanceType"] == "ml.m5.xlarge"
    if "KmsKeyArn" in parameters:
        assert config["KmsKeyId"] == KMS_KEY
        assert batch_env["OUTPUT_KMS_KEY_ID"] == KMS_KEY
        encryption = s3.get_bucket_encryption(Bucket=ids["DataBucket"])
        rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0][
            "ApplyServerSideEncryptionByDefault"
        ]
        assert rule == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_KEY}
    assert outputs["ResolvedModelVersion"] == "2.1.0"
