"""setup function: the CloudFormation custom resource that resolves and stages the JumpStart model."""

import os
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from zstc.core import aws
from zstc.core.observability import logger, metrics, tracer
from zstc_deploy.custom_resource import answer_cloudformation
from zstc_deploy.model_setup import ModelSetup

# The inference code ships inside this function's package (functions/setup/inference links to it).
CODE_ROOT = Path(__file__).resolve().parent / "inference"


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Answer CloudFormation exactly once: SUCCESS with the model's attributes, or FAILED with why."""
    logger.info("custom resource request", extra={"request_type": event.get("RequestType")})
    setup = ModelSetup(aws.client("s3", read_timeout=300), os.environ["AWS_REGION"], CODE_ROOT)
    result = answer_cloudformation(event, context, setup.handle)
    metrics.add_metric(
        name="ModelSetupFailed" if result is None else "ModelSetupSucceeded", unit="Count", value=1
    )
