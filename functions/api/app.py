"""api function: the REST API (POST /classify, GET /health, GET /openapi.json, Swagger UI).

Thin by design: each route parses, calls one piece of logic from the shared layer, answers.
"""

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import aws_lambda_powertools.event_handler
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from zstc.contract import media_types
from zstc.contract.answer import Classification
from zstc.contract.health import EndpointHealth
from zstc.contract.jobs import CreateJobRequest, JobList, JobStatus, JobView
from zstc.contract.request import ClassifyRequest
from zstc.contract.results import ResultPage
from zstc.core import limits, snapstart
from zstc.core.observability import logger, metrics, tracer
from zstc.core.settings import ApiSettings, BatchSettings
from zstc.realtime.classify import classify
from zstc.realtime.endpoint import SageMakerEndpoint
from zstc.rest import accurate_openapi, create_resolver, error_responses

if TYPE_CHECKING:
    from zstc.batch.jobs import JobsService

settings = ApiSettings.from_env()
batch_settings = BatchSettings.from_env()
endpoint = SageMakerEndpoint(
    settings.endpoint_name,
    read_timeout_seconds=settings.endpoint_read_timeout_seconds,
    max_attempts=settings.endpoint_max_attempts,
)
app = create_resolver()
# SnapStart: the /jobs modules join the snapshot; restored environments re-seed and rebuild clients.
snapstart.register(prime_modules=("zstc.batch.jobs", "zstc.batch.store", "zstc.batch.s3"))


@cache
def jobs() -> "JobsService":
    """The jobs logic, imported on first use: /classify's cold start does not pay for it."""
    from zstc.batch.jobs import JobsService  # noqa: PLC0415
    from zstc.batch.s3 import S3Store  # noqa: PLC0415
    from zstc.batch.store import DynamoJobStore  # noqa: PLC0415

    return JobsService(
        batch_settings, DynamoJobStore(batch_settings.jobs_table), S3Store(batch_settings.data_bucket)
    )


@app.post(
    "/classify",
    summary="Classify one text or a list of texts into candidate labels",
    responses={
        200: {"description": "One classification, or a list of them for a list input."},
        **error_responses(400, 413, 415, 422, 429, 502, 503, 504),
    },
)
@tracer.capture_method(capture_response=False)
def post_classify(request: Annotated[ClassifyRequest, Body()]) -> Classification | list[Classification]:
    """Score every candidate label for each text; labels come back sorted by score."""
    texts = request.texts
    logger.info(
        "classify",
        extra={
            "texts": len(texts),
            "labels": len(request.parameters.candidate_labels),
            "chars": sum(len(text) for text in texts),
            "multi_label": request.parameters.multi_label,
        },
    )
    metrics.add_metric(name="TextsClassified", unit=MetricUnit.Count, value=len(texts))
    results = classify(request, endpoint)
    return results if request.is_batch else results[0]


@app.get(
    "/health",
    summary="The model endpoint's status; 200 when it is InService",
    responses={
        200: {"description": "The endpoint is InService."},
        503: {
            "description": "The endpoint is missing or not InService (the same report, ready false).",
            "content": {media_types.JSON: {"model": EndpointHealth}},
        },
    },
)
def get_health() -> Response[EndpointHealth]:
    """Report the configured endpoint's name and status."""
    report = endpoint.health()
    return Response(status_code=200 if report.ready else 503, content_type=media_types.JSON, body=report)


@app.post(
    "/jobs",
    summary="Create a batch job; upload the file to the returned URL",
    responses={
        201: {"description": "The job, with upload.url to PUT the file to."},
        **error_responses(400, 413, 415, 422),
    },
)
def post_jobs(request: Annotated[CreateJobRequest, Body()]) -> Response[JobView]:
    """A new job (AwaitingUpload) with a presigned PUT URL under input/<job_id>/."""
    job = jobs().create(request)
    logger.info("job created", extra={"job_id": job.job_id, "format": request.format})
    return Response(status_code=201, content_type=media_types.JSON, body=job)


@app.get(
    "/jobs",
    summary="Recent jobs, newest first",
    responses={
        200: {"description": "A page of jobs."},
        **error_responses(400, 422, _400="next_token is not one this API gave out."),
    },
)
def get_jobs(
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=limits.JOBS_PAGE_MAX)] = limits.JOBS_PAGE_DEFAULT,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> JobList:
    """List jobs by status and time."""
    return jobs().list(status, limit, next_token)


@app.get(
    "/jobs/<job_id>",
    summary="One job: status, counts, label histogram, problems or failure reason",
    responses={200: {"description": "The job."}, **error_responses(404)},
)
def get_job(job_id: str) -> JobView:
    """The job item as the API shows it."""
    return jobs().get(job_id)


@app.get(
    "/jobs/<job_id>/results",
    summary="Results of a completed job in input order",
    responses={
        200: {"description": "A page of results."},
        **error_responses(400, 404, 409, 422, _400="next_token is not one this API gave out for this job."),
    },
)
def get_job_results(
    job_id: str,
    limit: Annotated[int, Query(ge=1, le=limits.RESULTS_PAGE_MAX)] = limits.RESULTS_PAGE_DEFAULT,
    next_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> ResultPage:
    """Per-record labels and scores; pass next_token to continue."""
    return jobs().results(job_id, limit, next_token)


def _openapi_json() -> str:
    schema = app.get_openapi_json_schema(
        title="zstc",
        version="1.0.0",
        description="Zero-shot text classification with labels chosen at request time.",
    )
    return json.dumps(accurate_openapi(json.loads(schema)), indent=2)


@app.get("/openapi.json", include_in_schema=False)
def get_openapi() -> Response[str]:
    """The OpenAPI schema Powertools generates from the routes and models."""
    return Response(status_code=200, content_type=media_types.JSON, body=_openapi_json())


@app.get("/swagger", include_in_schema=False)
def get_swagger() -> Response[str]:
    """Swagger UI with the schema and Powertools' bundled assets inlined (no CDN needed)."""
    # Imported here, not at cold start: the OpenAPI models cost ~80 ms to import (bench/api_overhead.py).
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html  # noqa: PLC0415

    assets = Path(aws_lambda_powertools.event_handler.__file__).parent / "openapi" / "swagger_ui"
    html = generate_swagger_html(
        spec=_openapi_json().replace("</", "<\\/"),
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )
    return Response(status_code=200, content_type=media_types.HTML, body=html)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (API Gateway REST proxy event in, proxy response out)."""
    return app.resolve(event, context)
