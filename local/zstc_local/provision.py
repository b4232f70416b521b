"""Create the template's data resources in the AWS emulator, with the keys and indexes it declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zstc_local.template import TEMPLATE_PATH, Template

LOCAL_RESOURCE_NAMES = {
    "DataBucket": "zstc-data-local",
    "JobsTable": "zstc-jobs-local",
    "LabelSetsTable": "zstc-label-sets-local",
}
"""Physical names the local stack gives the template's named resources."""

LOCAL_ENDPOINT_NAME = "zstc-bart-large-mnli"
LOCAL_PARAMETERS = {"ExistingEndpointName": LOCAL_ENDPOINT_NAME, "TransformModelName": LOCAL_ENDPOINT_NAME}
"""The local stack deploys the template as for an existing endpoint: the local model endpoint is
that endpoint, so the model resources (setup custom resource, SageMaker model, endpoint) are off."""


def local_template(path: Path = TEMPLATE_PATH, parameters: dict[str, str] | None = None) -> Template:
    """The template as the local stack reads it: local parameters (overridable) and resource names."""
    return Template(
        path, parameters={**LOCAL_PARAMETERS, **(parameters or {})}, resource_names=LOCAL_RESOURCE_NAMES
    )


def create_bucket(s3: Any, name: str) -> None:
    """A versioned bucket, as the template's DataBucket is."""
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def create_table(dynamodb: Any, template: Template, logical_id: str, name: str) -> None:
    """A table with the template's attribute definitions, key schema and global secondary indexes."""
    properties = template.resources[logical_id]["Properties"]
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
    }
    if properties.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    dynamodb.create_table(**request)


def provision(template: Template, clients: dict[str, Any], names: dict[str, str]) -> None:
    """The data bucket and the tables under their local names."""
    create_bucket(clients["s3"], names["DataBucket"])
    create_table(clients["dynamodb"], template, "JobsTable", names["JobsTable"])
    create_table(clients["dynamodb"], template, "LabelSetsTable", names["LabelSetsTable"])
