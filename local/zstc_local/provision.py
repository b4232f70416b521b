"""Create the template's data resources in the AWS emulator, with the keys and indexes it declares."""

from __future__ import annotations

from typing import Any

from zstc_local.template import Template

LOCAL_RESOURCE_NAMES = {"DataBucket": "zstc-data-local", "JobsTable": "zstc-jobs-local"}
"""Physical names the local stack gives the template's named resources."""


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
    """The data bucket and the jobs table under their local names."""
    create_bucket(clients["s3"], names["DataBucket"])
    create_table(clients["dynamodb"], template, "JobsTable", names["JobsTable"])
