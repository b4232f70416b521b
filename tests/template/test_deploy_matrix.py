"""Every combination of the deployment options yields a template CloudFormation can deploy.

For each combination the SAM-translated template is reduced to what CloudFormation would create
(resources and outputs whose Condition holds, the chosen branch of each Fn::If), then checked:
no reference points at a resource that is not created, and each option took effect.
"""

from __future__ import annotations

import graphlib
import itertools
import re
from typing import Any

import pytest

from tests.support.sam import translate
from zstc_deploy.model_setup import MODEL_ENVIRONMENT_DEFAULTS
from zstc_engine.kernels import DEFAULT_KERNEL, KERNELS
from zstc_engine.precision import DEFAULT_PRECISION, PRECISIONS
from zstc_local.template import Template

PSEUDO = {
    "AWS::Region",
    "AWS::AccountId",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::StackName",
    "AWS::NoValue",
}
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/my-sagemaker-role"

OPTIONS: dict[str, list[Any]] = {
    "endpoint": ["realtime", "serverless", "existing"],
    "autoscaling": [False, True],
    "role": [False, True],
    "vpc": [False, True],
    "kms": [False, True],
    "code": ["zstc", "jumpstart"],
}


def _parameters(choice: dict[str, Any]) -> dict[str, str]:
    parameters = {"InferenceCode": choice["code"], "EnableAutoScaling": str(choice["autoscaling"]).lower()}
    if choice["endpoint"] == "existing":
        parameters |= {"ExistingEndpointName": "my-endpoint", "TransformModelName": "my-model"}
    else:
        parameters["EndpointType"] = choice["endpoint"]
    if choice["role"]:
        parameters["ExecutionRoleArn"] = ROLE
    if choice["vpc"]:
        parameters |= {"SubnetIds": "subnet-1,subnet-2", "SecurityGroupIds": "sg-1"}
    if choice["kms"]:
        parameters["KmsKeyArn"] = KMS_KEY
    return parameters


def _effective(node: Any, template: Template) -> Any:
    """The node with each Fn::If replaced by its chosen branch (AWS::NoValue dropped)."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            condition, when_true, when_false = node["Fn::If"]
            return _effective(when_true if template.condition(condition) else when_false, template)
        result = {key: _effective(value, template) for key, value in node.items()}
        return {key: value for key, value in result.items() if value != {"Ref": "AWS::NoValue"}}
    if isinstance(node, list):
        return [_effective(item, template) for item in node if item != {"Ref": "AWS::NoValue"}]
    return node


def _references(node: Any) -> set[str]:
    """Logical ids and parameters named by Ref, Fn::GetAtt and Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                found.add(str(value))
            elif key == "Fn::GetAtt":
                found.add(str(value[0] if isinstance(value, list) else value.split(".")[0]))
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                names = {n.split(".")[0] for n in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= names - set(variables)
                found |= _references(variables)
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def _as_list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def deployed(choice: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation creates for ``choice``: resources and outputs, conditions applied."""
    parameters = _parameters(choice)
    template = Template(parameters=parameters)
    cfn = translate(parameters)
    created = {
        name: _effective(resource, template)
        for name, resource in cfn["Resources"].items()
        if "Condition" not in resource or template.condition(resource["Condition"])
    }
    outputs = {
        name: _effective(output, template)
        for name, output in cfn.get("Outputs", {}).items()
        if "Condition" not in output or template.condition(output["Condition"])
    }
    return {"Resources": created, "Outputs": outputs, "Parameters": cfn["Parameters"]}


COMBINATIONS = [
    dict(zip(OPTIONS, values, strict=True))
    # autoscaling only applies to a realtime endpoint; other endpoint types take the flag and ignore it
    for values in itertools.product(*OPTIONS.values())
]


@pytest.mark.parametrize("choice", COMBINATIONS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_every_combination_references_only_what_it_creates(choice: dict[str, Any]) -> None:
    stack = deployed(choice)
    known = set(stack["Resources"]) | set(stack["Parameters"]) | PSEUDO
    dangling = _references(stack) - known
    assert not dangling, f"{choice}: references to resources not created: {sorted(dangling)}"

    resources = stack["Resources"]
    # CloudFormation rejects circular dependencies (cfn-lint does not see them through conditions)
    graph = {
        name: (_references(resource) | set(_as_list(resource.get("DependsOn")))) & set(resources)
        for name, resource in resources.items()
    }
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as cycle:
        pytest.fail(f"{choice}: circular dependency {cycle.args[1]}")
    types = {name: resource["Type"] for name, resource in resources.items()}
    creates_model = choice["endpoint"] != "existing"
    assert ("ZstcModel" in types) is creates_model
    assert ("ModelSetup" in types) is creates_model
    assert ("SetupFunction" in types) is creates_model
    assert ("EndpointScalableTarget" in types) is (choice["endpoint"] == "realtime" and choice["autoscaling"])
    assert ("ModelExecutionRole" in types) is (not choice["role"])
    assert ("DataKeyAccessPolicy" in types) is choice["kms"]

    start_batch = resources["StartBatchFunction"]["Properties"]["Environment"]["Variables"]
    api = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    if creates_model:
        model = resources["ZstcModel"]["Properties"]
        expected_role = (
            {"Ref": "ExecutionRoleArn"} if choice["role"] else {"Fn::GetAtt": ["ModelExecutionRole", "Arn"]}
        )
        assert model["ExecutionRoleArn"] == expected_role
        assert ("VpcConfig" in model) is choice["vpc"]
        assert start_batch["TRANSFORM_MODEL_NAME"] == {"Fn::GetAtt": ["ZstcModel", "ModelName"]}
        assert api["ENDPOINT_NAME"] == {"Ref": "EndpointName"}
        config = resources["ZstcEndpointConfig"]["Properties"]
        [variant] = config["ProductionVariants"]
        if choice["endpoint"] == "serverless":
            assert "ServerlessConfig" in variant
            assert "InstanceType" not in variant
            assert "KmsKeyId" not in config  # serverless endpoints take no volume key
        else:
            assert variant["InstanceType"] == {"Ref": "EndpointInstanceType"}
            assert ("KmsKeyId" in config) is choice["kms"]
    else:
        assert start_batch["TRANSFORM_MODEL_NAME"] == {"Ref": "TransformModelName"}
        assert api["ENDPOINT_NAME"] == {"Ref": "ExistingEndpointName"}
    assert start_batch["INFERENCE_CODE"] == {"Ref": "InferenceCode"}
    assert start_batch["OUTPUT_KMS_KEY_ID"] == ({"Ref": "KmsKeyArn"} if choice["kms"] else "")
    encryption = resources["DataBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    expected_sse = "aws:kms" if choice["kms"] else "AES256"
    assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == expected_sse


TEMPLATE_OWNED_MODEL_ENVIRONMENT = {
    # Workers and torch threads are chosen together by the template and zstc_engine.threads, never
    # taken from the JumpStart spec; precision is the template's choice too (zstc_engine.precision).
    "SAGEMAKER_MODEL_SERVER_WORKERS": {"Ref": "ModelServerWorkers"},
    "ZSTC_TORCH_THREADS": {"Ref": "ModelTorchThreads"},
    "ZSTC_PRECISION": {"Ref": "ModelPrecision"},
    "ZSTC_LINEAR_KERNEL": {"Ref": "ModelLinearKernel"},
}


def test_model_environment_is_what_the_setup_resource_answers() -> None:
    environment = Template().resources["ZstcModel"]["Properties"]["PrimaryContainer"]["Environment"]
    assert set(environment) == set(MODEL_ENVIRONMENT_DEFAULTS) | set(TEMPLATE_OWNED_MODEL_ENVIRONMENT)
    for name, value in environment.items():
        if name in TEMPLATE_OWNED_MODEL_ENVIRONMENT:
            assert value == TEMPLATE_OWNED_MODEL_ENVIRONMENT[name]
        else:
            assert value in ({"Fn::GetAtt": f"ModelSetup.{name}"}, {"Fn::GetAtt": ["ModelSetup", name]})


def test_model_threads_and_precision_parameters_match_the_engine() -> None:
    parameters = Template().document["Parameters"]
    assert parameters["ModelServerWorkers"]["Default"] == 1  # one copy of a large model, all vCPUs
    assert parameters["ModelTorchThreads"]["Default"] == "auto"
    assert parameters["ModelPrecision"]["Default"] == DEFAULT_PRECISION
    assert tuple(parameters["ModelPrecision"]["AllowedValues"]) == PRECISIONS
    assert parameters["ModelLinearKernel"]["Default"] == DEFAULT_KERNEL
    assert tuple(parameters["ModelLinearKernel"]["AllowedValues"]) == KERNELS
    for good in ("auto", "1", "48"):
        assert re.fullmatch(parameters["ModelTorchThreads"]["AllowedPattern"], good)
    for bad in ("0", "-1", "two", ""):
        assert not re.fullmatch(parameters["ModelTorchThreads"]["AllowedPattern"], bad)


def test_api_may_only_call_the_existing_endpoint_when_one_is_given() -> None:
    stack = deployed({**dict.fromkeys(OPTIONS, False), "endpoint": "existing", "code": "zstc"})
    [statement] = [
        s
        for policy in stack["Resources"]["ApiFunctionRole"]["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if "sagemaker:InvokeEndpoint" in s["Action"]
    ]
    assert statement["Resource"]["Fn::Sub"][1] == {"Name": {"Ref": "ExistingEndpointName"}}
