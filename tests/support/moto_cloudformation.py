"""Prepare the SAM-translated template for moto's CloudFormation, and say what moto cannot deploy.

moto creates most of the stack's resources for real (buckets, table, queues, roles, functions from
zipped code in S3, the SageMaker model, endpoint config and endpoint, the EventBridge rule). The
resources below it cannot create are removed, and references to them become placeholder strings,
so everything else still deploys and can be inspected.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

NOT_DEPLOYABLE_IN_MOTO = {
    "Custom::JumpStartModel": "moto runs custom resources by invoking Lambda, which needs Docker; "
    "the test substitutes the attributes the real setup handler answered for the same fixtures",
    "AWS::ApiGateway::Deployment": "moto's RestApi ignores the OpenAPI Body SAM generates, so a "
    "deployment of it fails with 'The REST API doesn't contain any methods'",
    "AWS::ApiGateway::Stage": "not supported by moto's CloudFormation",
    "AWS::ApiGateway::UsagePlan": "needs the stage above",
    "AWS::ApiGateway::UsagePlanKey": "needs the usage plan above",
    "AWS::CloudWatch::Alarm": "not supported by moto's CloudFormation",
    "AWS::Lambda::EventInvokeConfig": "not supported by moto's CloudFormation",
    "AWS::S3::BucketPolicy": "not supported by moto's CloudFormation",
    "AWS::SQS::QueuePolicy": "not supported by moto's CloudFormation",
    "AWS::ApplicationAutoScaling::ScalableTarget": "moto's SageMaker has no variant to scale",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "needs the scalable target above",
    "AWS::Lambda::Alias": "not supported by moto's CloudFormation; references to the alias (the "
    "API's invoke permissions) point at its function instead",
}


def _placeholder(name: str, attribute: str | None = None) -> str:
    return f"{name}-{attribute or 'ref'}-not-in-moto".replace(".", "-")


def _replace(node: Any, dropped: set[str], attributes: Mapping[str, Mapping[str, str]]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in dropped:
            return _placeholder(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            name, attribute = (
                node["Fn::GetAtt"]
                if isinstance(node["Fn::GetAtt"], list)
                else (node["Fn::GetAtt"].split(".", 1))
            )
            if name in attributes:
                return attributes[name][attribute]
            if name in dropped:
                return _placeholder(name, attribute)
        if set(node) == {"Fn::Sub"}:
            text, variables = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]

            def fill(match: re.Match[str]) -> str:
                name, _, attribute = match.group(1).partition(".")
                if name in variables:
                    return match.group(0)
                if name in attributes and attribute:
                    return attributes[name][attribute]
                if name in dropped:
                    return _placeholder(name, attribute or None)
                return match.group(0)

            text = re.sub(r"\$\{([^}!]+)\}", fill, text)
            replaced = _replace(variables, dropped, attributes)
            return {"Fn::Sub": [text, replaced] if replaced else text}
        return {key: _replace(value, dropped, attributes) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace(item, dropped, attributes) for item in node]
    return node


def _unalias(node: Any, aliases: Mapping[str, Any]) -> Any:
    """``{"Ref": alias}`` -> the alias's ``FunctionName`` (moto has no aliases to point at)."""
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in aliases:
            return copy.deepcopy(aliases[node["Ref"]])
        return {key: _unalias(value, aliases) for key, value in node.items()}
    if isinstance(node, list):
        return [_unalias(item, aliases) for item in node]
    return node


def for_moto(
    translated: dict[str, Any], custom_attributes: Mapping[str, Mapping[str, str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(template moto can create, {removed logical id: why}).

    ``custom_attributes`` maps a custom resource's logical id to the attributes it answered.
    """
    template = copy.deepcopy(translated)
    aliases = {
        name: resource["Properties"]["FunctionName"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Alias"
    }
    template["Resources"] = _unalias(template["Resources"], aliases)
    resources = template["Resources"]
    removed = {
        name: NOT_DEPLOYABLE_IN_MOTO[resource["Type"]]
        for name, resource in resources.items()
        if resource["Type"] in NOT_DEPLOYABLE_IN_MOTO
    }
    for name in removed:
        del resources[name]
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::RestApi":
            resource["Properties"].setdefault("Name", "zstc")  # moto requires it; SAM names it in Body
        depends = resource.get("DependsOn")
        if depends:
            kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in removed]
            resource["DependsOn"] = kept
            if not kept:
                del resource["DependsOn"]
    template["Resources"] = _replace(resources, set(removed), custom_attributes)
    template["Outputs"] = _replace(template.get("Outputs", {}), set(removed), custom_attributes)
    return template, removed
