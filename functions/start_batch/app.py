"""start_batch function: S3 ObjectCreated under input/ -> validate, stage, start the transform job."""

from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from zstc.batch.s3 import S3Store
from zstc.batch.start import StartBatch, UploadedObject
from zstc.batch.store import DynamoJobStore
from zstc.batch.transform import SageMakerTransform
from zstc.core.observability import logger, metrics, tracer
from zstc.core.settings import BatchSettings

settings = BatchSettings.from_env()


@cache
def _start_batch(bucket: str) -> StartBatch:
    batch_settings = settings.model_copy(update={"data_bucket": bucket})
    return StartBatch(
        batch_settings,
        DynamoJobStore(settings.jobs_table),
        S3Store(bucket),
        SageMakerTransform(batch_settings),
    )


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    """Handle every record; an unexpected error propagates so Lambda retries, then the DLQ keeps it."""
    outcomes = []
    for record in event.records:
        # S3 URL-encodes keys in notifications (a space arrives as "+"); a versioned bucket's record
        # names the version it is about ("null" for an object written while versioning was off)
        version_id = record.s3.get_object.version_id
        upload = UploadedObject(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),
            version_id=None if version_id in {None, "", "null"} else version_id,
        )
        outcome = _start_batch(upload.bucket).handle(upload)
        logger.info("upload handled", extra={"outcome": outcome})
        metrics.add_metric(name="UploadsHandled", unit="Count", value=1)
        outcomes.append(outcome)
    return {"outcomes": outcomes}
