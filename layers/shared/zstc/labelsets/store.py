"""DynamoDB adapter of :class:`zstc.labelsets.interfaces.LabelSetStore`: one table, keys from
:mod:`zstc.labelsets.layout`.

A set is a head item (``HEAD``: latest version, summary, ``listed`` while live) and one item per
version (``V#0000000001``...). A version and its head are written in one transaction conditioned on
the head read before, so two writers never take the same version number.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from zstc.core import aws
from zstc.labelsets import layout
from zstc.labelsets.interfaces import InvalidPageKeyError, LabelSetHead, PageKey, StoredVersion

BATCH_WRITE_SIZE = 25
_MAX_KEY_VALUE_CHARS = 1024


def _item(values: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item from strings, ints and bools (None left out)."""
    item: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            item[name] = {"BOOL": value}
        elif isinstance(value, int):
            item[name] = {"N": str(value)}
        else:
            item[name] = {"S": str(value)}
    return item


def _values(item: dict[str, Any]) -> dict[str, Any]:
    """The plain values of an item written by :func:`_item`."""
    values: dict[str, Any] = {}
    for name, typed in item.items():
        kind, value = next(iter(typed.items()))
        values[name] = int(value) if kind == "N" else value
    return values


def _key(name: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": layout.set_pk(name)}, "sk": {"S": sk}}


def _head_condition(previous: LabelSetHead | None) -> tuple[str, dict[str, Any]]:
    if previous is None:
        return "attribute_not_exists(pk)", {}
    return "latest_version = :latest", {":latest": {"N": str(previous.latest_version)}}


class DynamoLabelSetStore:
    """Label set heads and versions in ``table_name``."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def _dynamodb(self) -> Any:
        return aws.client("dynamodb")

    def head(self, name: str) -> LabelSetHead | None:
        """The set's head (strongly consistent), or None."""
        response = self._dynamodb.get_item(
            TableName=self.table_name, Key=_key(name, layout.HEAD_SK), ConsistentRead=True
        )
        return LabelSetHead.model_validate(_values(response["Item"])) if "Item" in response else None

    def version(self, name: str, version: int) -> StoredVersion | None:
        """One version item, or None (versions never change: an eventually consistent read is enough
        once the head names it, but the head was read first, so read it consistently)."""
        response = self._dynamodb.get_item(
            TableName=self.table_name, Key=_key(name, layout.version_sk(version)), ConsistentRead=True
        )
        return StoredVersion.model_validate(_values(response["Item"])) if "Item" in response else None

    def add_version(self, stored: StoredVersion, previous: LabelSetHead | None) -> bool:
        """The version item and the new head in one transaction, if the head is still ``previous``."""
        condition, values = _head_condition(previous)
        head = _item(
            {
                "pk": layout.set_pk(stored.name),
                "sk": layout.HEAD_SK,
                "listed": layout.LISTED,
                "name": stored.name,
                "latest_version": stored.version,
                "labels": stored.labels,
                "note": stored.note,
                "created_at": stored.created_at,
            }
        )
        version = _item(
            {
                "pk": layout.set_pk(stored.name),
                "sk": layout.version_sk(stored.version),
                **stored.model_dump(),
            }
        )
        put_head: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": head,
            "ConditionExpression": condition,
        }
        if values:
            put_head["ExpressionAttributeValues"] = values
        try:
            self._dynamodb.transact_write_items(
                TransactItems=[{"Put": {"TableName": self.table_name, "Item": version}}, {"Put": put_head}]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def mark_deleted(self, name: str) -> LabelSetHead | None:
        """Mark the head deleted and drop it from the listing; the head as it was, or None."""
        try:
            response = self._dynamodb.update_item(
                TableName=self.table_name,
                Key=_key(name, layout.HEAD_SK),
                UpdateExpression="SET deleted = :true REMOVE listed",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(deleted)",
                ExpressionAttributeValues={":true": {"BOOL": True}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return LabelSetHead.model_validate(_values(response["Attributes"]))

    def delete_versions(self, name: str, up_to: int) -> None:
        """Delete version items 1..``up_to`` (batch writes; what DynamoDB leaves unprocessed is retried)."""
        keys = [_key(name, layout.version_sk(version)) for version in range(1, up_to + 1)]
        for start in range(0, len(keys), BATCH_WRITE_SIZE):
            pending = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_WRITE_SIZE]]
            for _ in range(8):
                response = self._dynamodb.batch_write_item(RequestItems={self.table_name: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table_name, [])
                if not pending:
                    break

    def list_heads(self, limit: int, start: PageKey | None) -> tuple[list[LabelSetHead], PageKey | None]:
        """Live sets by name (the sparse by-name index) and the key to continue from."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": layout.NAME_INDEX,
            "Limit": limit,
            "KeyConditionExpression": "listed = :listed",
            "ExpressionAttributeValues": {":listed": {"S": layout.LISTED}},
        }
        if start is not None:
            if set(start) != layout.NAME_PAGE_KEY_NAMES or not all(
                isinstance(value, dict)
                and set(value) == {"S"}
                and isinstance(value["S"], str)
                and 0 < len(value["S"]) <= _MAX_KEY_VALUE_CHARS
                for value in start.values()
            ):
                raise InvalidPageKeyError("not a key of this listing")
            request["ExclusiveStartKey"] = dict(start)
        try:
            response = self._dynamodb.query(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ValidationException" and start is not None:
                raise InvalidPageKeyError("DynamoDB refused the start key") from None
            raise
        heads = [LabelSetHead.model_validate(_values(item)) for item in response.get("Items", [])]
        return heads, response.get("LastEvaluatedKey")
