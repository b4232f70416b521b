"""template.yaml: linted, valid for SAM, secure by default, and in step with the code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.sam import resources_of_type, translate
from zstc.batch import layout
from zstc.contract.request import ClassifyBody
from zstc.core.settings import ApiSettings
from zstc.labelsets import layout as label_set_layout
from zstc_local.provision import local_template
from zstc_local.template import TEMPLATE_PATH, Template

REPO = TEMPLATE_PATH.parent


def sam_cli() -> str:
    """The SAM CLI of .venv-sam (or $SAM_CLI)."""
    sam = os.environ.get("SAM_CLI") or str(REPO / ".venv-sam" / "bin" / "sam")
    assert Path(sam).exists(), f"SAM CLI not found at {sam}: run `make setup` (it builds .venv-sam)"
    return sam


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), str(TEMPLATE_PATH)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_is_clean() -> None:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [sam_cli(), "validate", "--lint", "--template", str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.fixture(scope="module", params=["IAM", "API_KEY"])
def translated(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, translate({"ApiAuth": request.param})


def test_every_api_method_is_authenticated(translated: tuple[str, dict[str, Any]]) -> None:
    auth, cfn = translated
    [api] = resources_of_type(cfn, "AWS::ApiGateway::RestApi").values()
    methods = [op for path in api["Properties"]["Body"]["paths"].values() for op in path.values()]
    assert len(methods) == 12
    for method in methods:
        if auth == "IAM":
            assert method["security"] == [{"AWS_IAM": []}]
            assert "credentials" not in method["x-amazon-apigateway-integration"]  # not the caller's identity
        else:
            assert method["security"] == [{"api_key": []}]
    usage_plans = resources_of_type(cfn, "AWS::ApiGateway::UsagePlan")
    if auth == "API_KEY":
        [plan] = usage_plans.values()
        assert plan["Properties"]["Throttle"] == {"RateLimit": "20", "BurstLimit": "40"}
        assert plan["Properties"]["Quota"]["Period"] == "DAY"
    else:
        assert not usage_plans


def test_classify_body_is_validated_by_api_gateway(translated: tuple[str, dict[str, Any]]) -> None:
    _, cfn = translated
    [api] = resources_of_type(cfn, "AWS::ApiGateway::RestApi").values()
    body = api["Properties"]["Body"]
    post = body["paths"]["/classify"]["post"]
    assert post["x-amazon-apigateway-request-validator"] == "body-only"
    model = body["definitions"]["classifyrequestbody"]  # SAM lower-cases model names
    # API Gateway checks the outline; it must agree with the pydantic schema, the source of truth.
    assert sorted(model["required"]) == sorted(ClassifyBody.model_json_schema()["required"])


def test_functions_are_traced_arm64_python313_with_retained_logs(
    translated: tuple[str, dict[str, Any]],
) -> None:
    _, cfn = translated
    functions = resources_of_type(cfn, "AWS::Lambda::Function")
    assert set(functions) == {"ApiFunction", "StartBatchFunction", "ProcessResultsFunction", "SetupFunction"}
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert "LoggingConfig" in props
    for log_group in resources_of_type(cfn, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    [stage] = resources_of_type(cfn, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["TracingEnabled"] is True


def _statements(cfn: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = [
        *cfn["Resources"][role]["Properties"].get("Policies", []),
        *(
            p["Properties"]
            for p in resources_of_type(cfn, "AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
        ),
    ]
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def test_no_function_policy_uses_wildcard_resources(translated: tuple[str, dict[str, Any]]) -> None:
    _, cfn = translated
    for role in (
        "ApiFunctionRole",
        "StartBatchFunctionRole",
        "ProcessResultsFunctionRole",
        "SetupFunctionRole",
    ):
        for statement in _statements(cfn, role):
            if statement.get("Effect") == "Allow" and "sqs:SendMessage" not in str(statement["Action"]):
                assert statement["Resource"] != "*", (role, statement)


def test_api_function_may_only_touch_the_one_endpoint(translated: tuple[str, dict[str, Any]]) -> None:
    _, cfn = translated
    sagemaker = [s for s in _statements(cfn, "ApiFunctionRole") if "sagemaker" in str(s["Action"])]
    [statement] = sagemaker
    assert sorted(statement["Action"]) == ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]
    assert statement["Resource"] == {
        "Fn::Sub": [
            "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/${Name}",
            {
                "Name": {"Ref": "EndpointName"}
            },  # the created endpoint (an existing one: tests/template matrix)
        ]
    }
    managed = cfn["Resources"]["ApiFunctionRole"]["Properties"]["ManagedPolicyArns"]
    assert all(
        "AWSLambdaBasicExecutionRole" in str(arn) or "AWSXrayWriteOnlyAccess" in str(arn) for arn in managed
    )


def test_environment_names_match_the_settings_model() -> None:
    environment = local_template().function("ApiFunction").environment
    aliases = {field.alias for field in ApiSettings.model_fields.values()}
    assert {"ENDPOINT_NAME", "ENDPOINT_READ_TIMEOUT_SECONDS"} <= set(environment)
    assert {"ENDPOINT_NAME", "ENDPOINT_READ_TIMEOUT_SECONDS"} <= aliases
    ApiSettings.from_env(environment)  # the template's values are valid settings


def test_template_routes_match_the_handler_routes() -> None:
    events = local_template().function("ApiFunction").events
    template_routes = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in events.values()}
    assert template_routes == {
        ("POST", "/classify"),
        ("GET", "/health"),
        ("GET", "/openapi.json"),
        ("GET", "/swagger"),
        ("POST", "/jobs"),
        ("GET", "/jobs"),
        ("GET", "/jobs/{job_id}"),
        ("GET", "/jobs/{job_id}/results"),
        ("POST", "/label-sets"),
        ("GET", "/label-sets"),
        ("GET", "/label-sets/{name}"),
        ("DELETE", "/label-sets/{name}"),
    }


def test_bucket_prefixes_match_the_code_layout() -> None:
    prefixes = Template().document["Mappings"]["Batch"]["Prefixes"]
    assert prefixes == {
        "Input": layout.INPUT_PREFIX,
        "Staging": layout.STAGING_PREFIX,
        "Output": layout.OUTPUT_PREFIX,
        "Results": layout.RESULTS_PREFIX,
        "Errors": layout.ERRORS_PREFIX,
        "LabelSets": label_set_layout.LABEL_SETS_PREFIX,
    }


def test_jobs_table_index_matches_the_code() -> None:
    table = Template().resources["JobsTable"]["Properties"]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == layout.STATUS_INDEX
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["status", "created_at"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_label_sets_table_index_matches_the_code() -> None:
    table = Template().resources["LabelSetsTable"]["Properties"]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == label_set_layout.NAME_INDEX
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["listed", "name"]
    assert "TimeToLiveSpecification" not in table  # versions are kept until the set is deleted


def test_api_function_reaches_only_the_label_sets_table_and_prefix(
    translated: tuple[str, dict[str, Any]],
) -> None:
    _, cfn = translated
    statements = {s.get("Sid"): s for s in _statements(cfn, "ApiFunctionRole") if "Sid" in s}
    table = statements["LabelSetsTable"]
    assert table["Resource"] == [
        {"Fn::GetAtt": ["LabelSetsTable", "Arn"]},
        {"Fn::Sub": "${LabelSetsTable.Arn}/index/*"},
    ]
    assert not any(action.endswith(("Scan", "DeleteTable", "*")) for action in table["Action"])
    objects = statements["LargeLabelSetVersions"]
    assert sorted(objects["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert "LabelSets" in str(objects["Resource"])
    listing = statements["ListLargeLabelSetVersions"]
    assert "LabelSets" in str(listing["Condition"])


def test_data_is_encrypted_private_and_tls_only(translated: tuple[str, dict[str, Any]]) -> None:
    _, cfn = translated
    buckets = resources_of_type(cfn, "AWS::S3::Bucket")
    assert set(buckets) == {"DataBucket", "ArtifactsBucket"}
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]
    policies = resources_of_type(cfn, "AWS::S3::BucketPolicy")
    assert {p["Properties"]["Bucket"]["Ref"] for p in policies.values()} == set(buckets)
    for policy in policies.values():
        [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for queue in resources_of_type(cfn, "AWS::SQS::Queue").values():
        assert queue["Properties"].get("SqsManagedSseEnabled") is True
    tables = resources_of_type(cfn, "AWS::DynamoDB::Table")
    assert set(tables) == {"JobsTable", "LabelSetsTable"}
    for table in tables.values():
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_async_functions_have_dead_letter_queues_with_alarms(translated: tuple[str, dict[str, Any]]) -> None:
    _, cfn = translated
    functions = resources_of_type(cfn, "AWS::Lambda::Function")
    for name in ("StartBatchFunction", "ProcessResultsFunction"):
        assert "DeadLetterConfig" in functions[name]["Properties"], name
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in resources_of_type(cfn, "AWS::CloudWatch::Alarm").values()
    }
    assert alarmed >= {"StartBatchDeadLetterQueue", "ProcessResultsDeadLetterQueue"}


def test_transform_state_rule_matches_only_our_finished_jobs(translated: tuple[str, dict[str, Any]]) -> None:
    _, cfn = translated
    [rule] = resources_of_type(cfn, "AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.sagemaker"]
    assert pattern["detail-type"] == ["SageMaker Transform Job State Change"]
    assert pattern["detail"]["TransformJobStatus"] == ["Completed", "Failed", "Stopped"]
    assert pattern["detail"]["TransformJobName"] == [{"prefix": {"Ref": "JobNamePrefix"}}]


def test_only_the_setup_function_carries_the_deployment_layer(translated: tuple[str, dict[str, Any]]) -> None:
    # Given the translated template, When each function's layers are read, Then the deploy layer is the
    # setup function's alone and every function has the shared layer
    _, cfn = translated
    functions = resources_of_type(cfn, "AWS::Lambda::Function")
    layers = {
        name: [ref["Ref"] for ref in fn["Properties"].get("Layers", [])] for name, fn in functions.items()
    }
    # SAM names each layer version <LogicalId><content hash>
    assert {name for name, refs in layers.items() if any(r.startswith("DeployLayer") for r in refs)} == {
        "SetupFunction"
    }
    assert all(any(r.startswith("SharedLayer") for r in refs) for refs in layers.values())


def test_the_api_function_starts_from_a_snapstart_snapshot_through_its_alias() -> None:
    # SnapStart applies to published versions only: API Gateway must invoke the alias, not $LATEST.
    cfn = translate()
    function = cfn["Resources"]["ApiFunction"]["Properties"]
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert function["Runtime"] in {"python3.12", "python3.13"}  # SnapStart for Python starts at 3.12
    [alias] = resources_of_type(cfn, "AWS::Lambda::Alias").values()
    assert alias["Properties"]["FunctionName"] == {"Ref": "ApiFunction"}
    [api] = resources_of_type(cfn, "AWS::ApiGateway::RestApi").values()
    uris = [
        op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        for path in api["Properties"]["Body"]["paths"].values()
        for op in path.values()
    ]
    assert uris
    assert all("${ApiFunctionAliaslive}" in uri for uri in uris)
    permissions = resources_of_type(cfn, "AWS::Lambda::Permission").values()
    assert all(
        p["Properties"]["FunctionName"] == {"Ref": "ApiFunctionAliaslive"}
        for p in permissions
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    )
