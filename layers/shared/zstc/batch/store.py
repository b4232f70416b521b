"""DynamoDB adapter of :class:`zstc.batch.interfaces.JobStore`: one table, keys from `zstc.batch.layout`.

Every write is idempotent: result items have deterministic keys, status changes are conditional,
so a duplicate or replayed S3 / EventBridge delivery leaves exactly the same items.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from zstc.batch import layout
from zstc.batch.interfaces import ForeignPageKeyError, InvalidPageKeyError, PageKey
from zstc.batch.items import JobChanges, JobItem
from zstc.contract.jobs import JobStatus
from zstc.contract.results import JobResult
from zstc.core import aws
from zstc.core.clock import now_iso

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
BATCH_WRITE_SIZE = 25
MAX_BATCH_WRITE_ATTEMPTS = 8


DYNAMODB_MIN_MAGNITUDE = Decimal("1e-130")
"""DynamoDB numbers smaller than this in magnitude (other than 0) are refused; they are stored as 0."""


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        number = Decimal(repr(value))
        return number if abs(number) >= DYNAMODB_MIN_MAGNITUDE or not number else Decimal(0)
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


def _job_key(job_id: str) -> dict[str, Any]:
    return serialize({"pk": layout.job_pk(job_id), "sk": layout.JOB_SK})


def _is_conditional_check_failure(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


_MAX_KEY_VALUE_CHARS = 1024


def _check_page_key(
    start: PageKey | None,
    names: frozenset[str],
    pk: str | None = None,
    status: str | None = None,
    sk_prefix: str | None = None,
) -> None:
    """Refuse a key this store did not issue for the listing (a hand-made or another job's token).

    Every attribute of our keys is a DynamoDB string: ``{"S": "<text>"}`` and nothing else, so a
    value of another type (which DynamoDB answers with a ValidationException) never reaches it.
    """
    if start is None:
        return
    if set(start) != names or not all(
        isinstance(value, dict)
        and set(value) == {"S"}
        and isinstance(value["S"], str)
        and 0 < len(value["S"]) <= _MAX_KEY_VALUE_CHARS
        for value in start.values()
    ):
        raise InvalidPageKeyError("not a key of this listing")
    if pk is not None and start["pk"] != {"S": pk}:
        raise ForeignPageKeyError("a key of another job's listing")
    if status is not None and start["status"] != {"S": status}:
        raise ForeignPageKeyError("a key of another status's listing")
    if sk_prefix is not None and not start["sk"]["S"].startswith(sk_prefix):
        # outside the query's key condition: DynamoDB refuses it, moto starts anywhere
        raise InvalidPageKeyError("not a key of this listing")


def _is_invalid_start_key(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ValidationException")


class DynamoJobStore:
    """Job and result items in ``table_name``; the job item and its results share a partition."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @property
    def _dynamodb(self) -> Any:
        return aws.client("dynamodb")

    # --- jobs -------------------------------------------------------------------------------------

    def create(self, job: JobItem) -> bool:
        """Store a new job; False when it already exists (a duplicate delivery)."""
        item = {"pk": layout.job_pk(job.job_id), "sk": layout.JOB_SK, **job.model_dump(mode="json")}
        try:
            self._dynamodb.put_item(
                TableName=self.table_name,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _is_conditional_check_failure(error):
                return False
            raise
        return True

    def get(self, job_id: str) -> JobItem | None:
        """The job, or None."""
        response = self._dynamodb.get_item(
            TableName=self.table_name, Key=_job_key(job_id), ConsistentRead=True
        )
        return self._job(response["Item"]) if "Item" in response else None

    def update(
        self,
        job_id: str,
        changes: JobChanges,
        *,
        expected_statuses: Collection[JobStatus] | None = None,
        expected_checkpoint: int | None = None,
    ) -> bool:
        """Set the attributes ``changes`` sets if the job is as expected; False otherwise."""
        attributes = {**changes.model_dump(mode="json", exclude_unset=True), "updated_at": now_iso()}
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets = []
        for index, (name, value) in enumerate(attributes.items()):
            names[f"#a{index}"] = name
            values[f":a{index}"] = value
            sets.append(f"#a{index} = :a{index}")
        conditions = ["attribute_exists(pk)"]
        if expected_statuses is not None:
            names["#status"] = "status"
            options = []
            for index, status in enumerate(expected_statuses):
                values[f":s{index}"] = status.value
                options.append(f":s{index}")
            conditions.append(f"#status IN ({', '.join(options)})")
        if expected_checkpoint is not None:
            names["#checkpoint"] = "checkpoint"
            values[":checkpoint"] = expected_checkpoint
            conditions.append("#checkpoint = :checkpoint")
        try:
            self._dynamodb.update_item(
                TableName=self.table_name,
                Key=_job_key(job_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    k: _serializer.serialize(_to_dynamo(v)) for k, v in values.items()
                },
            )
        except ClientError as error:
            if _is_conditional_check_failure(error):
                return False
            raise
        return True

    def list_by_status(
        self, status: JobStatus, limit: int, start: PageKey | None
    ) -> tuple[list[JobItem], PageKey | None]:
        """Jobs with ``status``, newest first (the by-status index), and the key to continue from."""
        _check_page_key(start, layout.JOB_PAGE_KEY_NAMES, status=status.value)
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": layout.STATUS_INDEX,
            "Limit": limit,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": status.value}},
            "ScanIndexForward": False,
        }
        response = self._query(request, start)
        return [self._job(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")

    def page_key_after(self, job: JobItem) -> PageKey:
        """The by-status index's LastEvaluatedKey of a page ending with ``job``: the table key and the
        index key (status, created_at), as DynamoDB writes it."""
        key = {"pk": layout.job_pk(job.job_id), "sk": layout.JOB_SK, "status": job.status.value}
        return serialize({**key, "created_at": job.created_at})

    def _query(self, request: dict[str, Any], start: PageKey | None) -> Any:
        """One Query; a start key DynamoDB refuses is an ``InvalidPageKeyError``, not a crash."""
        if not start:
            return self._dynamodb.query(**request)
        try:
            return self._dynamodb.query(**request, ExclusiveStartKey=dict(start))
        except ClientError as error:
            if _is_invalid_start_key(error):
                raise InvalidPageKeyError("DynamoDB refused the start key") from None
            raise

    @staticmethod
    def _job(item: dict[str, Any]) -> JobItem:
        return JobItem.model_validate({k: v for k, v in deserialize(item).items() if k not in {"pk", "sk"}})

    # --- results ----------------------------------------------------------------------------------

    def put_results(self, job_id: str, results: Sequence[JobResult], expires_at: int) -> None:
        """Write result items (keyed by input position) with batch writes, retrying what is unprocessed."""
        pk = layout.job_pk(job_id)
        requests = [
            {
                "PutRequest": {
                    "Item": serialize(
                        {
                            "pk": pk,
                            "sk": layout.result_sk(result.position),
                            "expires_at": expires_at,
                            **result.model_dump(mode="json"),
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
        self, job_id: str, limit: int, start: PageKey | None
    ) -> tuple[list[JobResult], PageKey | None]:
        """Results in input order and the key to continue from."""
        _check_page_key(
            start, layout.RESULT_PAGE_KEY_NAMES, pk=layout.job_pk(job_id), sk_prefix=layout.RESULT_SK_PREFIX
        )
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Limit": limit,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :r)",
            "ExpressionAttributeValues": {
                ":pk": {"S": layout.job_pk(job_id)},
                ":r": {"S": layout.RESULT_SK_PREFIX},
            },
        }
        response = self._query(request, start)
        results = [JobResult.model_validate(deserialize(item)) for item in response.get("Items", [])]
        return results, response.get("LastEvaluatedKey")
