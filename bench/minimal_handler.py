"""The baseline: the smallest useful boto3 handler (parse, InvokeEndpoint, answer), no validation."""

import json
import os

import boto3

_runtime = None


def lambda_handler(event, context):  # type: ignore[no-untyped-def]
    """Forward the body to the endpoint and return its answer."""
    global _runtime  # noqa: PLW0603 - the cached client is the point of a warm start
    if _runtime is None:
        _runtime = boto3.client("sagemaker-runtime")
    answer = _runtime.invoke_endpoint(
        EndpointName=os.environ["ENDPOINT_NAME"], ContentType="application/json", Body=event["body"]
    )
    return {"statusCode": 200, "body": json.dumps(json.loads(answer["Body"].read()))}
