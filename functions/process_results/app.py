"""process_results function: transform job state changes -> result items, CSV and job status.

Invoked by the EventBridge rule, and by itself (asynchronously) to continue a large job.
"""

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from zstc.batch.results import ProcessResults
from zstc.batch.s3 import S3Store
from zstc.batch.store import DynamoJobStore
from zstc.batch.transform import SageMakerTransform
from zstc.core import aws
from zstc.core.observability import logger, metrics, tracer
from zstc.core.settings import BatchSettings

settings = BatchSettings.from_env()
RESUME_KEY = "zstc_resume_job_id"


def _continue_later(function_arn: str) -> Any:
    def invoke(job_id: str) -> None:
        aws.client("lambda").invoke(
            FunctionName=function_arn,
            InvocationType="Event",
            Payload=json.dumps({RESUME_KEY: job_id}).encode(),
        )
        logger.info("continuing in a follow-up invocation", extra={"job_id": job_id})

    return invoke


@cache
def _processor(function_arn: str) -> ProcessResults:
    return ProcessResults(
        settings,
        DynamoJobStore(settings.jobs_table),
        S3Store(settings.data_bucket),
        continue_later=_continue_later(function_arn),
    )


@cache
def _transforms() -> SageMakerTransform:
    return SageMakerTransform(settings)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """A "SageMaker Transform Job State Change" event, or a resume request from this function."""
    processor = _processor(context.invoked_function_arn)
    if RESUME_KEY in event:
        outcome = processor.ingest(str(event[RESUME_KEY]), context.get_remaining_time_in_millis)
    else:
        outcome = processor.handle_finished(
            _transforms().finished(event), context.get_remaining_time_in_millis
        )
    logger.info("state change handled", extra={"outcome": outcome})
    metrics.add_metric(name="StateChangesHandled", unit="Count", value=1)
    return {"outcome": outcome}
