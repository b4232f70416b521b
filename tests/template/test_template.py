"""template.yaml: linted, valid for SAM, secure by default, and in step with the code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.sam import resources_of_type, translate
from zstc.schemas import ClassifyRequest
from zstc.settings import ApiSettings
from zstc_local.template import TEMPLATE_PATH, Template

REPO = TEMPLATE_PATH.parent


def _sam_cli() -> str:
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
        [_sam_cli(), "validate", "--lint", "--template", str(TEMPLATE_PATH)],
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
    assert len(methods) == 4
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
    assert sorted(model["required"]) == sorted(ClassifyRequest.model_json_schema()["required"])


def test_function_is_traced_arm64_python313_with_retained_logs(
    translated: tuple[str, dict[str, Any]],
) -> None:
    _, cfn = translated
    [function] = resources_of_type(cfn, "AWS::Lambda::Function").values()
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    [log_group] = resources_of_type(cfn, "AWS::Logs::LogGroup").values()
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    [stage] = resources_of_type(cfn, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["TracingEnabled"] is True


def test_api_function_may_only_touch_the_one_endpoint(translated: tuple[str, dict[str, Any]]) -> None:
    _, cfn = translated
    [role] = resources_of_type(cfn, "AWS::IAM::Role").values()
    statements = [
        s for policy in role["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]
    ]
    [statement] = statements
    assert sorted(statement["Action"]) == ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/${EndpointName}"
    }
    managed = role["Properties"]["ManagedPolicyArns"]
    assert all(
        "AWSLambdaBasicExecutionRole" in str(arn) or "AWSXrayWriteOnlyAccess" in str(arn) for arn in managed
    )


def test_environment_names_match_the_settings_model() -> None:
    environment = Template().function("ApiFunction").environment
    aliases = {field.alias for field in ApiSettings.model_fields.values()}
    assert {"ENDPOINT_NAME", "ENDPOINT_READ_TIMEOUT_SECONDS"} <= set(environment)
    assert {"ENDPOINT_NAME", "ENDPOINT_READ_TIMEOUT_SECONDS"} <= aliases
    ApiSettings.from_env(environment)  # the template's values are valid settings


def test_template_routes_match_the_handler_routes() -> None:
    events = Template().function("ApiFunction").events
    template_routes = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in events.values()}
    assert template_routes == {
        ("POST", "/classify"),
        ("GET", "/health"),
        ("GET", "/openapi.json"),
        ("GET", "/swagger"),
    }
