"""DynamoDB adapter for jobs and their results (one table; keys from :mod:`zstc.layout`).

Every write is idempotent: result items have deterministic keys, status changes are conditional,
so a duplicate or replayed S3 / EventBridge delivery leaves exactly the same items.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from zstc import aws, layout
from zstc.errors import InvalidRequestError
from zstc.job_models import JobStatus

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
BATCH_WRITE_SIZE = 25
MAX_BATCH_WRITE_ATTEMPTS = 8


def now_iso() -> str:
    """UTC now as ISO 8601 with milliseconds (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (None values dropped, floats as Decimal)."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a plain dict (numbers as int or float)."""
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def encode_token(key: dict[str, Any] | None) -> str | None:
    """An opaque pagination token for a DynamoDB LastEvaluatedKey."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_token(token: str | None, allowed_keys: set[str]) -> dict[str, Any] | None:
    """The ExclusiveStartKey inside ``token``; a token we did not make is a 400."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequestError("next_token is not a token this API issued") from None
    if (
        not isinstance(key, dict)
        or set(key) != allowed_keys
        or not all(isinstance(v, dict) for v in key.values())
    ):
        raise InvalidRequestError("next_token is not a token this API issued")
    return key


class JobStore:
    """Reads and writes job and result items in ``table_name``."""

    def __init__(self, table_name: str, client_factory: Callable[..., Any] = aws.client) -> None:
        self.table_name = table_name
        self._client_factory = client_factory

    @property
    def _dynamodb(self) -> Any:
        return self._client_factory("dynamodb")

    # --- jobs -------------------------------------------------------------------------------------

    def create_job(self, job_id: str, attributes: dict[str, Any]) -> bool:
        """Create the job item; False when it already exists (a duplicate delivery)."""
        timestamp = now_iso()
        item = {
            "pk": layout.job_pk(job_id),
            "sk": layout.JOB_SK,
            "job_id": job_id,
            "created_at": timestamp,
            "updated_at": timestamp,
            "label_histogram": {},
            **attributes,
        }
        try:
            self._dynamodb.put_item(
                TableName=self.table_name,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """The job item, or None."""
        response = self._dynamodb.get_item(
            TableName=self.table_name,
            Key=serialize({"pk": layout.job_pk(job_id), "sk": layout.JOB_SK}),
            ConsistentRead=True,
        )
        return deserialize(response["Item"]) if "Item" in response else None

    def update_job(
        self,
        job_id: str,
        attributes: dict[str, Any],
        *,
        expected: dict[str, Any] | None = None,
        remove: Sequence[str] = (),
    ) -> bool:
        """Set ``attributes`` if every ``expected`` attribute currently has its value; False otherwise."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets = []
        for index, (name, value) in enumerate({**attributes, "updated_at": now_iso()}.items()):
            names[f"#a{index}"] = name
            values[f":a{index}"] = value
            sets.append(f"#a{index} = :a{index}")
        expression = "SET " + ", ".join(sets)
        for index, name in enumerate(remove):
            names[f"#r{index}"] = name
        if remove:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        conditions = ["attribute_exists(pk)"]
        for index, (name, value) in enumerate((expected or {}).items()):
            names[f"#e{index}"] = name
            if isinstance(value, list | tuple | set | frozenset):
                options = []
                for option_index, option in enumerate(value):
                    values[f":e{index}_{option_index}"] = option
                    options.append(f":e{index}_{option_index}")
                conditions.append(f"#e{index} IN ({', '.join(options)})")
            else:
                values[f":e{index}"] = value
                conditions.append(f"#e{index} = :e{index}")
        try:
            self._dynamodb.update_item(
                TableName=self.table_name,
                Key=serialize({"pk": layout.job_pk(job_id), "sk": layout.JOB_SK}),
                UpdateExpression=expression,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    k: _serializer.serialize(_to_dynamo(v)) for k, v in values.items()
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def transition(
        self,
        job_id: str,
        from_statuses: Iterable[JobStatus],
        to_status: JobStatus,
        attributes: dict[str, Any] | None = None,
    ) -> bool:
        """Move the job to ``to_status`` only from one of ``from_statuses``; False when it was elsewhere."""
        return self.update_job(
            job_id,
            {**(attributes or {}), "status": to_status.value},
            expected={"status": [status.value for status in from_statuses]},
        )

    def list_jobs(
        self, status: JobStatus, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Jobs with ``status``, newest first, and the key to continue from."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": layout.STATUS_INDEX,
            "Limit": limit,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": status.value}},
            "ScanIndexForward": False,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        response = self._dynamodb.query(**request)
        return [deserialize(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")

    # --- results ----------------------------------------------------------------------------------

    def put_results(self, job_id: str, results: Sequence[dict[str, Any]], expires_at: int | None) -> None:
        """Write result items (keyed by input position) with batch writes, retrying what is unprocessed."""
        pk = layout.job_pk(job_id)
        requests = [
            {
                "PutRequest": {
                    "Item": serialize(
                        {
                            "pk": pk,
                            "sk": layout.result_sk(result["position"]),
                            "expires_at": expires_at,
                            **result,
                        }
                    )
                }
            }
            for result in results
        ]
        for start in range(0, len(requests), BATCH_WRITE_SIZE):
            self._batch_write(requests[start : start + BATCH_WRITE_SIZE])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        for attempt in range(MAX_BATCH_WRITE_ATTEMPTS):
            response = self._dynamodb.batch_write_item(RequestItems={self.table_name: pending})
            pending = response.get("UnprocessedItems", {}).get(self.table_name, [])
            if not pending:
                return
            time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
        raise RuntimeError(
            f"DynamoDB left {len(pending)} items unprocessed after {MAX_BATCH_WRITE_ATTEMPTS} tries"
        )

    def query_results(
        self, job_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Results in input order and the key to continue from."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Limit": limit,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :r)",
            "ExpressionAttributeValues": {
                ":pk": {"S": layout.job_pk(job_id)},
                ":r": {"S": layout.RESULT_SK_PREFIX},
            },
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        response = self._dynamodb.query(**request)
        return [deserialize(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")
