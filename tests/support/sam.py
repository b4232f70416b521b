"""Translate template.yaml with aws-sam-translator, as CloudFormation does on deploy.

CloudFormation runs AWS::LanguageExtensions before the SAM transform; here the Template reader
plays that part for the Fn::If the template uses on parameter conditions.
"""

from __future__ import annotations

import copy
from typing import Any

from samtranslator.translator.transform import transform

from zstc_local.template import Template


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def _resolve_language_extensions(template: Template, node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            condition, when_true, when_false = node["Fn::If"]
            chosen = when_true if template.condition(condition) else when_false
            return _resolve_language_extensions(template, chosen)
        return {key: _resolve_language_extensions(template, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_language_extensions(template, item) for item in node]
    return node


def translate(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template SAM generates for the given parameter values."""
    template = Template(parameters=parameters)
    document = copy.deepcopy(template.document)
    document["Transform"] = "AWS::Serverless-2016-10-31"
    document["Resources"] = _resolve_language_extensions(template, document["Resources"])
    for name, resource in document["Resources"].items():  # what `sam package` does to local paths
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://zstc-artifacts/{name}.zip"
    translated: dict[str, Any] = transform(document, dict(template.parameters), _NoManagedPolicies())
    return translated


def resources_of_type(translated: dict[str, Any], resource_type: str) -> dict[str, Any]:
    """The translated resources of one CloudFormation type, by logical id."""
    return {name: res for name, res in translated["Resources"].items() if res["Type"] == resource_type}
