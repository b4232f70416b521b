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
from zstc.contract.label_sets import CreateLabelSetRequest, LabelSetDeleted, LabelSetList, LabelSetView
from zstc.contract.request import ClassifyBody
from zstc.contract.results import ResultPage
from zstc.core import limits, snapstart
from zstc.core.observability import logger, metrics, tracer
from zstc.core.settings import ApiSettings, BatchSettings
from zstc.realtime.classify import classify
from zstc.realtime.endpoint import SageMakerEndpoint
from zstc.rest import accurate_openapi, create_resolver, error_responses

if TYPE_CHECKING:
    from zstc.batch.jobs import JobsService
    from zstc.labelsets.service import LabelSetsService

settings = ApiSettings.from_env()
batch_settings = BatchSettings.from_env()
endpoint = SageMakerEndpoint(
    settings.endpoint_name,
    read_timeout_seconds=settings.endpoint_read_timeout_seconds,
    max_attempts=settings.endpoint_max_attempts,
)
app = create_resolver()
# SnapStart: the /jobs modules join the snapshot; restored environments re-seed and rebuild clients.
snapstart.register(
    prime_modules=(
        "zstc.batch.jobs",
        "zstc.batch.store",
        "zstc.batch.s3",
        "zstc.labelsets.service",
        "zstc.labelsets.store",
    )
)


@cache
def jobs() -> "JobsService":
    """The jobs logic, imported on first use: /classify's cold start does not pay for it."""
    from zstc.batch.jobs import JobsService  # noqa: PLC0415
    from zstc.batch.s3 import S3Store  # noqa: PLC0415
    from zstc.batch.store import DynamoJobStore  # noqa: PLC0415

    return JobsService(
        batch_settings, DynamoJobStore(batch_settings.jobs_table), S3Store(batch_settings.data_bucket)
    )


@cache
def label_sets() -> "LabelSetsService":
    """The label sets logic, imported on first use; one per environment, so its cache of resolved
    versions lives as long as the function does."""
    from zstc.batch.s3 import S3Store  # noqa: PLC0415
    from zstc.labelsets.service import LabelSetsService  # noqa: PLC0415
    from zstc.labelsets.store import DynamoLabelSetStore  # noqa: PLC0415

    return LabelSetsService(
        DynamoLabelSetStore(settings.label_sets_table), S3Store(batch_settings.data_bucket)
    )


@app.post(
    "/classify",
    summary="Classify one text or a list of texts into candidate labels",
    responses={
        200: {"description": "One classification, or a list of them for a list input."},
        **error_responses(
            400, 404, 413, 415, 422, 429, 502, 503, 504, _404="The label set, or its version, does not exist."
        ),
    },
)
@tracer.capture_method(capture_response=False)
def post_classify(body: Annotated[ClassifyBody, Body()]) -> Classification | list[Classification]:
    """Score every candidate label for each text; labels come back sorted by score."""
    reference = body.label_set
    request = body.request(label_sets().resolve(reference).parameters if reference else None)
    texts = request.texts
    logger.info(
        "classify",
        extra={
            "texts": len(texts),
            "labels": len(request.parameters.candidate_labels),
            "chars": sum(len(text) for text in texts),
            "multi_label": request.parameters.multi_label,
            "label_set": reference,
        },
    )
    metrics.add_metric(name="TextsClassified", unit=MetricUnit.Count, value=len(texts))
    results = classify(request, endpoint)
    return results if request.is_batch else results[0]


_LIST_400 = "next_token is not one this API gave out, or limit is not ASCII digits."


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
        **error_responses(400, 404, 413, 415, 422, _404="The label set, or its version, does not exist."),
    },
)
def post_jobs(request: Annotated[CreateJobRequest, Body()]) -> Response[JobView]:
    """A new job (AwaitingUpload) with a presigned PUT URL under input/<job_id>/."""
    label_set = label_sets().resolve(request.label_set) if request.label_set else None
    job = jobs().create(request, label_set)
    logger.info(
        "job created", extra={"job_id": job.job_id, "format": request.format, "label_set": job.label_set}
    )
    return Response(status_code=201, content_type=media_types.JSON, body=job)


@app.get(
    "/jobs",
    summary="Recent jobs, newest first",
    responses={
        200: {"description": "A page of jobs."},
        **error_responses(400, 422, _400=_LIST_400),
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
        **error_responses(
            400,
            404,
            409,
            422,
            _400="next_token is not one this API gave out for this job, or limit is not ASCII digits.",
        ),
    },
)
def get_job_results(
    job_id: str,
    limit: Annotated[int, Query(ge=1, le=limits.RESULTS_PAGE_MAX)] = limits.RESULTS_PAGE_DEFAULT,
    next_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> ResultPage:
    """Per-record labels and scores; pass next_token to continue."""
    return jobs().results(job_id, limit, next_token)


_LABEL_SET_404 = "No label set of this name (or it was deleted), or no such version."


@app.post(
    "/label-sets",
    summary="Create a label set, or a new version of one; a retry with the same content adds none",
    responses={
        200: {"description": "The latest version already has this content (a retried create): it."},
        201: {"description": "The new version."},
        **error_responses(
            400, 409, 413, 415, 422, _409="The latest version is not expected_version (another was added)."
        ),
    },
)
def post_label_sets(request: Annotated[CreateLabelSetRequest, Body()]) -> Response[LabelSetView]:
    """Version 1 of a new name, else the next version; versions never change."""
    view, created = label_sets().create(request)
    logger.info("label set", extra={"label_set": view.label_set, "new_version": created})
    return Response(status_code=201 if created else 200, content_type=media_types.JSON, body=view)


@app.get(
    "/label-sets",
    summary="Label sets by name, with their latest version",
    responses={
        200: {"description": "A page of label sets."},
        **error_responses(400, 422, _400=_LIST_400),
    },
)
def get_label_sets(
    limit: Annotated[int, Query(ge=1, le=limits.LABEL_SETS_PAGE_MAX)] = limits.LABEL_SETS_PAGE_DEFAULT,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> LabelSetList:
    """List live label sets."""
    return label_sets().list(limit, next_token)


@app.get(
    "/label-sets/<name>",
    summary="A label set's latest version, or ?version=N",
    responses={
        200: {"description": "The version."},
        **error_responses(400, 404, 422, _400="version is not ASCII digits.", _404=_LABEL_SET_404),
    },
)
def get_label_set(
    name: str,
    version: Annotated[int | None, Query(ge=1, le=limits.MAX_LABEL_SET_VERSION)] = None,
) -> LabelSetView:
    """One version with its parameters."""
    return label_sets().get(name, version)


@app.delete(
    "/label-sets/<name>",
    summary="Delete a label set; jobs created with it keep their copy, new requests naming it get 404",
    responses={200: {"description": "The set is deleted."}, **error_responses(404, _404=_LABEL_SET_404)},
)
def delete_label_set(name: str) -> LabelSetDeleted:
    """Delete every version of the set."""
    deleted = label_sets().delete(name)
    logger.info("label set deleted", extra={"label_set": name, "versions": deleted.deleted_versions})
    return deleted


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
