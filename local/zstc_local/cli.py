"""``zstc``: the command line of zstc (Typer + rich).

API commands (a client over HTTP of the local or a deployed stack):
``zstc classify``, ``zstc jobs submit|status|list|results``, ``zstc eval``, ``zstc stack env``.
Local stack: ``zstc local up``, ``zstc local invoke``, ``zstc demo``.

Every failure a user can cause ends as one line on stderr with a documented exit code
(:class:`zstc_local.client.errors.ExitCode`), never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from zstc_local.client.api import TERMINAL_JOB_STATUSES, ApiClient, RetryPolicy
from zstc_local.client.errors import CliError, ExitCode
from zstc_local.client.output import (
    classification_table,
    console,
    export_results,
    job_summary,
    job_table,
)
from zstc_local.client.target import STACK_OUTPUT_VARIABLES, AuthMode, resolve_target, stack_outputs
from zstc_local.constants import (
    DEFAULT_API_PORT,
    DEFAULT_AWS_PORT,
    DEFAULT_LAMBDA_PORT,
    DEFAULT_MODEL_PORT,
    REGION,
)
from zstc_local.template import TEMPLATE_PATH, TemplateError

app = typer.Typer(
    name="zstc",
    help="Zero-shot text classification: classify, batch jobs and label evaluation against the "
    "local stack or a deployed one; the local stack itself.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
jobs_app = typer.Typer(help="Batch jobs: submit a file, follow it, export its results.", no_args_is_help=True)
local_app = typer.Typer(help="The offline local stack (no AWS account, no Docker).", no_args_is_help=True)
stack_app = typer.Typer(help="A deployed stack's outputs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(local_app, name="local")
app.add_typer(stack_app, name="stack")

INPUT_CONTENT_TYPES = {".csv": "text/csv", ".jsonl": "application/jsonlines"}
STATE_LOST_NOTE = (
    "stopped. Local state (jobs, uploads, results) lived in memory and is gone; "
    "resubmit jobs after the next `zstc local up`."
)


def _version() -> str:
    try:
        return version("zstc")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"zstc {_version()}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    api_url: Annotated[
        str | None,
        typer.Option(help="Base URL of the API (env ZSTC_API_URL; default: the local stack)."),
    ] = None,
    stack_name: Annotated[
        str | None,
        typer.Option(
            help="Read the API URL from this deployed stack's ApiUrl output (env ZSTC_STACK_NAME).",
            envvar="ZSTC_STACK_NAME",
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="Send x-api-key (ApiAuth=API_KEY stacks; env ZSTC_API_KEY).")
    ] = None,
    auth: Annotated[
        AuthMode,
        typer.Option(
            help="auto: api-key if a key is given, none for a local URL, else SigV4 (AWS credentials)."
        ),
    ] = AuthMode.AUTO,
    region: Annotated[
        str | None, typer.Option(help="AWS region for SigV4 and --stack-name (default: from the URL).")
    ] = None,
    retries: Annotated[
        int,
        typer.Option(min=0, max=10, help="Retries of idempotent calls on network errors, 429, 503 and 504."),
    ] = 3,
    _version_flag: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Options for every API command; they come before the command (``zstc --api-url URL classify ...``)."""
    ctx.obj = {
        "api_url": api_url,
        "stack_name": stack_name,
        "api_key": api_key,
        "auth": auth,
        "region": region,
        "retries": retries,
    }


def _client(ctx: typer.Context) -> ApiClient:
    options = ctx.find_root().obj or {}
    target = resolve_target(
        options.get("api_url"),
        options.get("stack_name"),
        options.get("api_key"),
        options.get("auth", AuthMode.AUTO),
        options.get("region"),
    )
    return ApiClient(target, RetryPolicy(retries=options.get("retries", 3)))


def _labels(value: str | None) -> list[str] | None:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (the API checks them: empty, duplicate, too long)."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",")]


def _read_texts(texts: Sequence[str], file: Path | None) -> list[str]:
    """Texts from the arguments, then one per line from ``--file`` (``-`` is stdin)."""
    collected = list(texts)
    if file is not None:
        if str(file) == "-":
            lines = sys.stdin.read().splitlines()
        else:
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except OSError as error:
                raise CliError(f"cannot read {file}: {error.strerror}") from None
            except UnicodeDecodeError:
                raise CliError(f"{file} is not UTF-8 text") from None
        collected += [line for line in lines if line.strip()]
    if not collected:
        raise CliError("no text to classify: pass TEXT arguments, or --file PATH (- for stdin)")
    return collected


# --- the steering options, shared by classify and jobs submit --------------------------------------

TemplatesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--template",
        "-t",
        help='Hypothesis template with one {}, e.g. "This text is about {}."; repeat for an ensemble.',
    ),
]
DescriptionsOption = Annotated[
    Path | None,
    typer.Option(
        help='JSON {"label": "description"}: hypotheses built from descriptions (label_descriptions).'
    ),
]
ThresholdOption = Annotated[
    float | None,
    typer.Option(
        min=0, max=1, help="Add predicted_labels: labels at or above it (single-label: top or none)."
    ),
]
EvidenceOption = Annotated[
    bool,
    typer.Option("--evidence", help="Add each label's best text window and its score (return_evidence)."),
]


def _steering(
    labels: list[str] | None,
    template: list[str] | None,
    descriptions: Path | None,
    threshold: float | None,
    evidence: bool,
) -> dict[str, Any]:
    """The request parameters the steering flags ask for (only those given)."""
    from zstc_local.client.evaluate import read_label_map  # noqa: PLC0415

    parameters: dict[str, Any] = {}
    if template:
        parameters["hypothesis_template"] = template[0] if len(template) == 1 else list(template)
    if descriptions is not None:
        if not labels:
            raise CliError(
                "--descriptions needs --labels: descriptions describe candidate labels", ExitCode.USAGE
            )
        described, skipped = read_label_map(descriptions, labels, skip_unknown=True)
        if skipped:
            console(stderr=True).print(
                f"note: {descriptions} describes {', '.join(skipped)}, not among --labels; not sent"
            )
        if described:
            parameters["label_descriptions"] = described
    if threshold is not None:
        parameters["threshold"] = threshold
    if evidence:
        parameters["return_evidence"] = True
    return parameters


# --- classify -------------------------------------------------------------------------------------


@app.command()
def classify(
    ctx: typer.Context,
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to classify.", show_default=False)] = None,
    labels: Annotated[str, typer.Option("--labels", "-l", help='Candidate labels: "a,b,c".')] = "",
    multi_label: Annotated[bool, typer.Option(help="Score each label on its own.")] = False,
    template: TemplatesOption = None,
    descriptions: DescriptionsOption = None,
    threshold: ThresholdOption = None,
    evidence: EvidenceOption = False,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="More texts, one per line (- reads stdin).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON answers.")] = False,
) -> None:
    """Classify texts into labels: a table per text (labels, scores, bars, best first), or --json."""
    from zstc_local.client.evaluate import request_chunks  # noqa: PLC0415

    if not labels.strip():
        raise CliError('--labels is required, e.g. --labels "Health,Finance,Career"', ExitCode.USAGE)
    candidate_labels = _labels(labels) or []
    all_texts = _read_texts(texts or [], file)
    parameters: dict[str, Any] = {
        "candidate_labels": candidate_labels,
        "multi_label": multi_label,
        **_steering(candidate_labels, template, descriptions, threshold, evidence),
    }
    client = _client(ctx)
    answers: list[dict[str, Any]] = []
    for start, end in request_chunks(all_texts, parameters):
        chunk = all_texts[start:end]
        try:
            answer = client.classify({"inputs": list(chunk), "parameters": parameters})
            answers += answer if isinstance(answer, list) else [answer]
        except CliError as error:
            if start or len(all_texts) > len(chunk):
                error.message += f" (texts {start + 1}-{start + len(chunk)} of {len(all_texts)})"
            raise
    out = console()
    if as_json:
        out.print_json(json.dumps(answers[0] if len(all_texts) == 1 else answers))
        return
    for answer in answers:
        text = answer["sequence"]
        out.print(classification_table(answer, text if len(text) <= 80 else text[:77] + "..."))
        out.print()


@app.command()
def health(ctx: typer.Context) -> None:
    """The model endpoint's status (GET /health); exit 4 when it is not InService."""
    report = _client(ctx).health()
    console().print(f"endpoint {report.get('endpoint_name')}: {report.get('status')}")
    if not report.get("ready"):
        raise CliError(f"the endpoint is not ready ({report.get('status')})", ExitCode.API_FAILED)


# --- jobs -----------------------------------------------------------------------------------------


@jobs_app.command("submit")
def jobs_submit(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv (header row) or .jsonl file.")],
    labels: Annotated[
        str | None, typer.Option("--labels", "-l", help='Labels for every record: "a,b,c" (csv: required).')
    ] = None,
    multi_label: Annotated[bool, typer.Option(help="Score each label on its own.")] = False,
    template: TemplatesOption = None,
    descriptions: DescriptionsOption = None,
    threshold: ThresholdOption = None,
    evidence: EvidenceOption = False,
    text_column: Annotated[str, typer.Option(help="CSV column holding the text.")] = "text",
    id_column: Annotated[str | None, typer.Option(help="CSV column holding each record's id.")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job to its end with a progress bar.")] = False,
    poll_seconds: Annotated[float, typer.Option(min=0.1, help="Seconds between status checks.")] = 2.0,
) -> None:
    """Create a job (POST /jobs), upload FILE to its URL, and optionally --wait for the end."""
    suffix = file.suffix.lower()
    if suffix not in INPUT_CONTENT_TYPES:
        raise CliError(f"{file}: batch input must be a .csv or .jsonl file")
    if not file.is_file():
        raise CliError(f"no such file: {file}")
    body: dict[str, Any] = {
        "format": suffix.lstrip("."),
        "multi_label": multi_label,
        "text_column": text_column,
        "filename": file.name,
    }
    candidate_labels = _labels(labels)
    body.update(_steering(candidate_labels, template, descriptions, threshold, evidence))
    for name, value in (("candidate_labels", candidate_labels), ("id_column", id_column)):
        if value is not None:
            body[name] = value
    client = _client(ctx)
    job = client.create_job(body)
    err = console(stderr=True)
    err.print(f"job {job['job_id']} created; uploading {file.name} ({file.stat().st_size} bytes)")
    client.upload(job["upload"]["url"], file, INPUT_CONTENT_TYPES[suffix])
    if not wait:
        console().print(job["job_id"])
        err.print(f"follow it with: zstc jobs status {job['job_id']}")
        return
    _wait(client, job["job_id"], poll_seconds)


def _wait(client: ApiClient, job_id: str, poll_seconds: float) -> None:
    """Poll the job with a progress bar until it ends; Ctrl-C leaves it running and says how to resume."""
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    err = console(stderr=True)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("records"),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as progress:
            task = progress.add_task("Validating", total=None)
            while True:
                job = client.get_job(job_id)
                records = job.get("records")
                done = job.get("results_written") or 0
                if job["status"] == "Completed" and records is not None:
                    done = records
                progress.update(task, description=f"{job['status']:<12}", total=records, completed=done)
                if job["status"] in TERMINAL_JOB_STATUSES:
                    break
                time.sleep(poll_seconds)
    except KeyboardInterrupt:
        raise CliError(
            f"stopped waiting; job {job_id} keeps running. Resume with: zstc jobs status {job_id} "
            f"(or zstc jobs results {job_id} --out results.csv once it is Completed)",
            ExitCode.INTERRUPTED,
        ) from None
    console().print(job_summary(job))
    if job["status"] != "Completed":
        raise CliError(f"job {job_id} ended {job['status']}", ExitCode.JOB_UNSUCCESSFUL)


@jobs_app.command("status")
def jobs_status(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The job's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
    wait: Annotated[bool, typer.Option(help="Follow the job to its end with a progress bar.")] = False,
    poll_seconds: Annotated[float, typer.Option(min=0.1)] = 2.0,
) -> None:
    """A job's status, counts, label histogram, problems or failure reason (GET /jobs/{id})."""
    client = _client(ctx)
    if wait:
        _wait(client, job_id, poll_seconds)
        return
    job = client.get_job(job_id)
    if as_json:
        console().print_json(json.dumps(job))
    else:
        console().print(job_summary(job))


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only jobs in this status, e.g. Completed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Jobs to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Recent jobs, newest first (GET /jobs)."""
    page = _client(ctx).list_jobs(status, limit)
    if as_json:
        console().print_json(json.dumps(page))
    elif page["jobs"]:
        console().print(job_table(page["jobs"]))
    else:
        console().print("no jobs")


@jobs_app.command("results")
def jobs_results(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="A Completed job's id.")],
    out: Annotated[
        Path | None, typer.Option(help="Write to a .csv or .jsonl file (default: JSON Lines on stdout).")
    ] = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Results per API call.")] = 500,
) -> None:
    """Every result of a job in input order, following pagination, streamed as pages arrive."""
    results = _client(ctx).results(job_id, page_size)
    if out is None:
        for result in results:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    count = export_results(results, out)
    console(stderr=True).print(f"{count} results written to {out}")


# --- eval -----------------------------------------------------------------------------------------


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Annotated sample: .csv (header row) or .jsonl.")],
    truth_column: Annotated[str, typer.Option(help="Column with the annotated class.")] = "category",
    text_column: Annotated[str, typer.Option(help="Column with the text.")] = "text",
    id_column: Annotated[str | None, typer.Option(help="Column with each example's id.")] = None,
    labels: Annotated[
        str | None,
        typer.Option("--labels", "-l", help='The classes, "a,b,c" (default: the truth column\'s values).'),
    ] = None,
    template: Annotated[
        list[str] | None, typer.Option("--template", "-t", help="A hypothesis template to compare (repeat).")
    ] = None,
    multi_label: Annotated[bool, typer.Option(help="Send multi_label=true in every variant.")] = False,
    phrasings: Annotated[
        Path | None,
        typer.Option(help='JSON {"variant": {"Class": "label text"}}: label wordings to compare.'),
    ] = None,
    descriptions: Annotated[
        Path | None, typer.Option(help='JSON {"Class": "description"}: descriptions sent as the labels.')
    ] = None,
    variants: Annotated[
        Path | None,
        typer.Option(help='JSON [{"name", "parameters": {...}, "labels": {...}}]: any request parameters.'),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N examples.")] = None,
    out_dir: Annotated[Path, typer.Option(help="Where the PNG and HTML report go.")] = Path("zstc-eval"),
    local: Annotated[
        bool, typer.Option("--local", help="Run the engine in this process instead of calling the API.")
    ] = False,
    model_dir: Annotated[
        str | None, typer.Option(help="With --local: a Hugging Face model directory (env ZSTC_MODEL_DIR).")
    ] = None,
    model_method: Annotated[str | None, typer.Option(help="With --local: nli or embedding.")] = None,
) -> None:
    """Which wording of my labels works? Accuracy, macro-F1, per-class precision/recall per variant."""
    from zstc_local.client import evaluate as ev  # noqa: PLC0415
    from zstc_local.client.output import per_label_table, scores_table  # noqa: PLC0415
    from zstc_local.client.report import confusion_png, html_report  # noqa: PLC0415

    examples = ev.load_examples(file, text_column, truth_column, id_column)[:limit]
    seen = sorted({example.truth for example in examples})
    classes = _labels(labels) or seen
    unknown = sorted(set(seen) - set(classes))
    if unknown:
        raise CliError(f"{file}: {truth_column} has values not in --labels: {', '.join(unknown)}")
    chosen = ev.build_variants(
        classes,
        template or [],
        multi_label=multi_label,
        phrasings=phrasings,
        descriptions=descriptions,
        variants_file=variants,
    )
    classify_with = _local_classifier(model_dir, model_method) if local else _client(ctx).classify
    from rich.progress import Progress  # noqa: PLC0415

    err = console(stderr=True)
    results = []
    with Progress(console=err, transient=True) as progress:
        for variant in chosen:
            task = progress.add_task(variant.name[:40], total=len(examples))
            results.append(
                ev.run_variant(classify_with, variant, classes, examples, partial(progress.advance, task))
            )
    majority = ev.baseline(examples, classes)
    best = max(results, key=lambda result: (result.scores.macro_f1, result.scores.accuracy))
    out = console()
    out.print(
        scores_table(
            [(r.variant.name, r.scores) for r in results] + [(f"majority: {majority[0]}", majority[1])],
            f"{file.name}: {len(examples)} examples, {len(classes)} classes"
            + (" (local engine)" if local else ""),
        )
    )
    out.print()
    out.print(per_label_table(best.scores, f"best variant by macro-F1: {best.variant.name}"))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        png = confusion_png(best, classes, out_dir / "confusion-matrix.png")
        report = html_report(
            sample=file.name,
            examples=examples,
            classes=classes,
            results=results,
            best=best,
            majority=majority,
            png=png,
            path=out_dir / "report.html",
        )
    except OSError as error:
        raise CliError(f"cannot write the report to {out_dir}: {error.strerror}") from None
    out.print(f"\nconfusion matrix: {png}\nreport: {report}")


def _local_classifier(model_dir: str | None, model_method: str | None) -> Any:
    """Classify in-process with the engine, after the contract's own validation of the request."""
    from pydantic import ValidationError  # noqa: PLC0415

    from zstc.contract.classification import ClassifyRequest  # noqa: PLC0415
    from zstc_engine.loading import ModelLoadError, load_classifier  # noqa: PLC0415
    from zstc_engine.protocol import parse_request  # noqa: PLC0415

    try:
        classifier = load_classifier(model_dir, model_method)
    except ModelLoadError as error:
        raise CliError(str(error)) from None

    def run(payload: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            request = ClassifyRequest.model_validate(payload)
        except ValidationError as error:
            first = error.errors(include_input=False)[0]
            raise CliError(f"invalid request: {first['msg']}", ExitCode.API_REFUSED) from None
        task = parse_request(request.to_endpoint_payload())
        return [result.to_json() for result in classifier.classify(task)]

    return run


# --- stack ----------------------------------------------------------------------------------------


@stack_app.command("env")
def stack_env(
    stack_name: Annotated[str, typer.Argument(help="The deployed stack's name (sam deploy's stack_name).")],
    region: Annotated[str | None, typer.Option(help="The stack's region (default: AWS_REGION).")] = None,
) -> None:
    """Print the stack's outputs as shell exports: eval "$(zstc stack env zstc)"."""
    import shlex  # noqa: PLC0415

    outputs = stack_outputs(stack_name, region)
    for key, value in sorted(outputs.items()):
        variable = STACK_OUTPUT_VARIABLES.get(key, f"ZSTC_{_snake(key).upper()}")
        typer.echo(f"export {variable}={shlex.quote(value)}")


def _snake(name: str) -> str:
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name)).lower()


# --- the local stack ------------------------------------------------------------------------------

HostOption = Annotated[str, typer.Option(help="Address every part listens on.")]
ApiPort = Annotated[int, typer.Option(envvar="ZSTC_API_PORT", help="Local API port.")]
AwsPort = Annotated[int, typer.Option(envvar="ZSTC_AWS_PORT", help="AWS emulator (moto) port.")]
ModelPort = Annotated[int, typer.Option(envvar="ZSTC_MODEL_PORT", help="Local model endpoint port.")]
LambdaPort = Annotated[int, typer.Option(envvar="ZSTC_LAMBDA_PORT", help="Local Lambda Invoke API port.")]
ModelDir = Annotated[
    str | None,
    typer.Option(
        envvar="ZSTC_MODEL_DIR", help="A local Hugging Face model directory (default: offline MiniLM)."
    ),
]
ModelMethod = Annotated[
    str | None,
    typer.Option(envvar="ZSTC_MODEL_METHOD", help="nli or embedding (default: from the model's config)."),
]
TemplateOption = Annotated[Path, typer.Option(help="SAM template.")]
ParameterOption = Annotated[
    list[str] | None, typer.Option(metavar="NAME=VALUE", help="Template parameter override (repeat).")
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Handlers' JSON logs and EMF metrics instead of short lines.")
]


def _settings(
    host: str,
    api_port: int,
    aws_port: int,
    model_port: int,
    lambda_port: int,
    model_dir: str | None,
    model_method: str | None,
    template: Path,
    parameter: list[str] | None,
    verbose: bool = False,
) -> Any:
    """StackSettings from the options; a bad value is a one-line error before anything starts."""
    from zstc_local.stack import StackSettings  # noqa: PLC0415

    parameters = {}
    for item in parameter or []:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise CliError(f"--parameter expects NAME=VALUE, got {item!r}", ExitCode.USAGE)
        parameters[name] = value
    if model_dir is not None and not Path(model_dir).expanduser().is_dir():
        raise CliError(f"--model-dir {model_dir}: no such directory (a Hugging Face model directory)")
    if model_method is not None and model_method not in {"nli", "embedding"}:
        raise CliError(f"--model-method must be nli or embedding, got {model_method!r}", ExitCode.USAGE)
    if not template.is_file():
        raise CliError(f"--template {template}: no such file")
    return StackSettings(
        host=host,
        api_port=api_port,
        aws_port=aws_port,
        model_port=model_port,
        lambda_port=lambda_port,
        model_dir=model_dir,
        model_method=model_method,
        template_path=template,
        parameters=parameters,
        verbose=verbose,
    )


@local_app.command("up")
def local_up(
    host: HostOption = "127.0.0.1",
    api_port: ApiPort = DEFAULT_API_PORT,
    aws_port: AwsPort = DEFAULT_AWS_PORT,
    model_port: ModelPort = DEFAULT_MODEL_PORT,
    lambda_port: LambdaPort = DEFAULT_LAMBDA_PORT,
    model_dir: ModelDir = None,
    model_method: ModelMethod = None,
    template: TemplateOption = TEMPLATE_PATH,
    parameter: ParameterOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Start the local stack; Ctrl-C (or SIGTERM) stops it. Its state is in memory only."""
    from zstc_local.stack import LocalStack  # noqa: PLC0415
    from zstc_local.summary import describe  # noqa: PLC0415

    settings = _settings(
        host,
        api_port,
        aws_port,
        model_port,
        lambda_port,
        model_dir,
        model_method,
        template,
        parameter,
        verbose,
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack = LocalStack(settings)
    stack.start()
    try:
        print(describe(stack), flush=True)
        print("Ctrl-C to stop.", flush=True)
        stop.wait()
    finally:
        print("stopping...", flush=True)
        stack.stop()
        print(STATE_LOST_NOTE, flush=True)


EVENT_SHAPES = {
    "Api": ("an API Gateway REST proxy event (httpMethod, path)", ("httpMethod", "path")),
    "S3": ("an S3 notification event (Records[].s3)", ("Records",)),
    "EventBridgeRule": (
        "an EventBridge event (source, detail-type, detail)",
        ("source", "detail-type", "detail"),
    ),
}
"""The keys an event must have for a function with that event source (``zstc local invoke``)."""


@local_app.command("invoke")
def local_invoke(
    function: Annotated[
        str, typer.Argument(help="The function's logical id in the template, e.g. ApiFunction.")
    ],
    event: Annotated[Path, typer.Option(help="A JSON event file, e.g. events/api/classify_single.json.")],
    host: HostOption = "127.0.0.1",
    api_port: ApiPort = DEFAULT_API_PORT,
    aws_port: AwsPort = DEFAULT_AWS_PORT,
    model_port: ModelPort = DEFAULT_MODEL_PORT,
    lambda_port: LambdaPort = DEFAULT_LAMBDA_PORT,
    template: TemplateOption = TEMPLATE_PATH,
    parameter: ParameterOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Run one handler in-process with an event, against a running local stack (sam local invoke's twin)."""
    from zstc_local.console import configure, named  # noqa: PLC0415
    from zstc_local.context import LocalLambdaContext  # noqa: PLC0415
    from zstc_local.handlers import load_handler  # noqa: PLC0415
    from zstc_local.provision import local_template  # noqa: PLC0415

    settings = _settings(
        host, api_port, aws_port, model_port, lambda_port, None, None, template, parameter, verbose
    )
    try:
        document = json.loads(event.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"--event {event}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CliError(f"--event {event} is not a JSON file: {error}") from None
    template_ = local_template(settings.template_path, settings.parameters)
    spec = template_.function(function)
    _check_event_shape(document, spec.events, event, function)
    environment = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": f"http://{host}:{settings.aws_port}",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://{host}:{settings.model_port}",
        "AWS_ENDPOINT_URL_LAMBDA": f"http://{host}:{settings.lambda_port}",
        **({} if verbose else {"POWERTOOLS_METRICS_DISABLED": "true"}),
    }
    handler = named(
        load_handler(spec, environment), spec.environment.get("POWERTOOLS_SERVICE_NAME", function)
    )
    restore = configure(verbose)
    try:
        result = handler(document, LocalLambdaContext(function_name=spec.logical_id))
    finally:
        restore()
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))


def _check_event_shape(document: Any, events: dict[str, Any], path: Path, function: str) -> None:
    kinds = [EVENT_SHAPES[e.get("Type")] for e in events.values() if e.get("Type") in EVENT_SHAPES]
    if not kinds:
        if not isinstance(document, dict):
            raise CliError(f"--event {path}: an event is a JSON object")
        return
    if isinstance(document, dict) and any(all(key in document for key in keys) for _, keys in kinds):
        return
    expected = " or ".join(description for description, _ in kinds)
    raise CliError(f"--event {path} is not an event for {function}: it expects {expected}")


@local_app.command("events")
def local_events(
    out_dir: Annotated[
        Path, typer.Option(help="Where to write s3_put.json and transform_completed.json.")
    ] = Path("events/local"),
    host: HostOption = "127.0.0.1",
    api_port: ApiPort = DEFAULT_API_PORT,
    aws_port: AwsPort = DEFAULT_AWS_PORT,
) -> None:
    """Run a 3-record job on the running local stack and write its real S3 and transform events."""
    from zstc_local.replay_events import generate  # noqa: PLC0415

    for path in generate(f"http://{host}:{api_port}", f"http://{host}:{aws_port}", out_dir):
        console().print(f"wrote {path}")


@app.command()
def demo(
    host: HostOption = "127.0.0.1",
    api_port: ApiPort = DEFAULT_API_PORT,
    aws_port: AwsPort = DEFAULT_AWS_PORT,
    model_port: ModelPort = DEFAULT_MODEL_PORT,
    lambda_port: LambdaPort = DEFAULT_LAMBDA_PORT,
    model_dir: ModelDir = None,
    model_method: ModelMethod = None,
    template: TemplateOption = TEMPLATE_PATH,
    parameter: ParameterOption = None,
    sample_size: Annotated[int, typer.Option(min=1, max=500, help="Resolutions to classify.")] = 500,
    verbose: VerboseOption = False,
) -> None:
    """The offline demo: start a fresh local stack, classify, run a batch job, report quality, stop."""
    from zstc_local.demo import run_demo  # noqa: PLC0415

    settings = _settings(
        host,
        api_port,
        aws_port,
        model_port,
        lambda_port,
        model_dir,
        model_method,
        template,
        parameter,
        verbose,
    )
    code = run_demo(settings, sample_size=sample_size)
    if code:
        raise typer.Exit(code)


# --- entry point ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zstc`` console script; returns the exit code (ExitCode)."""
    from zstc_engine.loading import ModelLoadError  # noqa: PLC0415
    from zstc_local.stack import StackError  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(sys.argv[1:] if argv is None else argv), prog_name="zstc", standalone_mode=False
        )
    except typer.TyperException as error:  # usage errors: unknown option, missing argument...
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            print(f"zstc: {error.format_message()}", file=sys.stderr)
        return int(error.exit_code)
    except typer.Abort:  # Ctrl-C outside a command's own handling
        print("zstc: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except CliError as error:
        print(f"zstc: {error.message}", file=sys.stderr)
        return error.exit_code
    except (StackError, TemplateError, ModelLoadError) as error:
        print(f"zstc: {error}", file=sys.stderr)
        return ExitCode.USER_ERROR
    except KeyboardInterrupt:
        print("zstc: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    return result if isinstance(result, int) else ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
