"""setup function: the CloudFormation custom resource that resolves and stages the JumpStart model."""

import os
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

import zstc_deploy
from zstc.core import aws
from zstc.core.observability import logger, metrics, tracer
from zstc_deploy.custom_resource import answer_cloudformation
from zstc_deploy.model_artifacts import InferenceCode, vendored_packages
from zstc_deploy.model_setup import ModelSetup

# The inference code ships inside this function's package (functions/setup/inference links to it);
# the packages it vendors into code/lib come from the deploy layer (layers/deploy/requirements.txt).
CODE = InferenceCode(
    root=Path(__file__).resolve().parent / "inference",
    vendored=vendored_packages(Path(zstc_deploy.__file__).resolve().parents[1]),
)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Answer CloudFormation exactly once: SUCCESS with the model's attributes, or FAILED with why."""
    logger.info("custom resource request", extra={"request_type": event.get("RequestType")})
    setup = ModelSetup(aws.client("s3", read_timeout=300), os.environ["AWS_REGION"], CODE)
    result = answer_cloudformation(event, context, setup.handle)
    metrics.add_metric(
        name="ModelSetupFailed" if result is None else "ModelSetupSucceeded", unit="Count", value=1
    )
