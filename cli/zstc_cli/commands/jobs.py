"""``zstc jobs``: batch jobs. Submit a file, follow it, list jobs, export their results.

Usage:
    zstc jobs submit tweets.csv --labels "Health,Finance" --id-column id --wait
    zstc jobs status JOB_ID --wait
    zstc jobs list --status Completed
    zstc jobs results JOB_ID --out results.csv
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zstc.core import limits
from zstc_cli.errors import CliError, ExitCode
from zstc_cli.options import (
    DescriptionsOption,
    EvidenceOption,
    JsonOption,
    LabelSetOption,
    LabelsFileOption,
    LabelsOption,
    MultiLabelOption,
    PollSecondsOption,
    TargetOptions,
    TemplatesOption,
    ThresholdOption,
    api_client,
    examples,
    target_options,
)

if TYPE_CHECKING:
    from zstc_cli.client.api import HttpApiClient

jobs_app = typer.Typer(
    help="Batch jobs: submit a file, follow it, export its results.",
    no_args_is_help=True,
    epilog=examples(
        'zstc jobs submit tweets.csv -l "Health,Finance" --id-column id --wait',
        "zstc jobs status JOB_ID --wait",
        "zstc jobs results JOB_ID --out results.csv",
    ),
)


@target_options
def submit(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv (header row) or .jsonl file.")],
    labels: LabelsOption = None,
    labels_file: LabelsFileOption = None,
    label_set: LabelSetOption = None,
    multi_label: MultiLabelOption = False,
    template: TemplatesOption = None,
    descriptions: DescriptionsOption = None,
    threshold: ThresholdOption = None,
    evidence: EvidenceOption = False,
    text_column: Annotated[str, typer.Option(help="CSV column holding the text.")] = "text",
    id_column: Annotated[
        str | None, typer.Option(help="CSV column holding each record's id.", show_default=False)
    ] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job to its end with a progress bar.")] = False,
    poll_seconds: PollSecondsOption = 2.0,
    *,
    target: TargetOptions,
) -> None:
    """Create a job and upload FILE to it (POST /jobs, then PUT).

    With --wait, follow the job to its end.

    A CSV's header is checked here first: a missing --text-column or --id-column is refused
    before anything is created or uploaded. The labels (csv: required) apply to every record.
    """
    from zstc.contract.batch_input import format_for_filename, supported_extensions  # noqa: PLC0415
    from zstc_cli.inputs import check_csv_header  # noqa: PLC0415
    from zstc_cli.labels import refuse_beside_label_set, resolve_labels, steering  # noqa: PLC0415
    from zstc_cli.output import console  # noqa: PLC0415

    input_format = format_for_filename(file.name)
    if input_format is None:
        raise CliError(f"{file}: batch input must be a {supported_extensions()} file")
    if not file.is_file():
        raise CliError(f"no such file: {file}")
    if label_set is not None:
        refuse_beside_label_set(
            labels=labels,
            labels_file=labels_file,
            multi_label=multi_label,
            templates=template,
            descriptions=descriptions,
            threshold=threshold,
        )
    chosen = resolve_labels(labels, labels_file)
    if input_format.name == "csv":
        check_csv_header(file, text_column, id_column)
    elif id_column is not None or text_column != "text":
        raise CliError(f"{file}: --text-column and --id-column name csv columns; a JSON Lines file has none")
    body: dict[str, Any] = {
        "format": input_format.name,
        "filename": file.name,
        **steering(chosen, template, descriptions, threshold, evidence),
    }
    if label_set is not None:
        body["label_set"] = label_set  # the API resolves it; the job shows the exact version
    else:
        body["multi_label"] = multi_label
    if chosen is not None:
        body["candidate_labels"] = chosen.names
    if input_format.name == "csv":
        body["text_column"] = text_column
    if id_column is not None:
        body["id_column"] = id_column
    client = api_client(ctx, target)
    job = client.create_job(body)
    err = console(stderr=True)
    err.print(f"job {job['job_id']} created; uploading {file.name} ({file.stat().st_size} bytes)")
    client.upload(job["upload"]["url"], file, input_format.media_type)
    if not wait:
        console().print(job["job_id"])
        err.print(f"follow it with: zstc jobs status {job['job_id']}")
        return
    follow(client, job["job_id"], poll_seconds)


def follow(client: HttpApiClient, job_id: str, poll_seconds: float) -> None:
    """Poll the job with a progress bar until it ends; Ctrl-C leaves it running and says how to resume.

    Raises ``CliError``: exit 6 when the job ends other than Completed, 130 on Ctrl-C.
    """
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from zstc.contract.jobs import TERMINAL_JOB_STATUSES, JobStatus  # noqa: PLC0415
    from zstc_cli.output import console, job_summary  # noqa: PLC0415

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
                if job["status"] == JobStatus.COMPLETED and records is not None:
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
    if job["status"] != JobStatus.COMPLETED:
        raise CliError(f"job {job_id} ended {job['status']}", ExitCode.JOB_UNSUCCESSFUL)


@target_options
def status(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The job's id.")],
    as_json: JsonOption = False,
    wait: Annotated[bool, typer.Option(help="Follow the job to its end with a progress bar.")] = False,
    poll_seconds: PollSecondsOption = 2.0,
    *,
    target: TargetOptions,
) -> None:
    """A job's status and counts (GET /jobs/{id}).

    With its label histogram, problems or failure reason.
    """
    from zstc_cli.output import console, job_summary  # noqa: PLC0415

    client = api_client(ctx, target)
    if wait:
        follow(client, job_id, poll_seconds)
        return
    job = client.get_job(job_id)
    if as_json:
        console().print_json(json.dumps(job))
    else:
        console().print(job_summary(job))


@target_options
def list_jobs(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only jobs in this status, e.g. Completed.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Jobs to show.")] = 20,
    as_json: JsonOption = False,
    *,
    target: TargetOptions,
) -> None:
    """Recent jobs, newest first (GET /jobs)."""
    from zstc_cli.output import console, job_table  # noqa: PLC0415

    page = api_client(ctx, target).list_jobs(status, limit)
    if as_json:
        console().print_json(json.dumps(page))
    elif page["jobs"]:
        console().print(job_table(page["jobs"]))
    else:
        console().print("no jobs")


@target_options
def results(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="A Completed job's id.")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write to a .csv or .jsonl file (default: JSON Lines on stdout).", show_default=False
        ),
    ] = None,
    page_size: Annotated[
        int, typer.Option(min=1, max=limits.RESULTS_PAGE_MAX, help="Results per API call.")
    ] = 500,
    *,
    target: TargetOptions,
) -> None:
    """Every result of a job, in input order.

    Follows pagination and writes page by page, as pages arrive.
    """
    from zstc_cli.output import console, export_results  # noqa: PLC0415

    pages = api_client(ctx, target).results(job_id, page_size)
    if out is None:
        for result in pages:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    count = export_results(pages, out)
    console(stderr=True).print(f"{count} results written to {out}")


def register(app: typer.Typer) -> None:
    """Add the ``jobs`` group to the root command."""
    jobs_app.command(
        "submit",
        epilog=examples(
            'zstc jobs submit tweets.csv -l "Health,Finance" --id-column id --wait',
            "zstc jobs submit tweets.csv --labels-file labels.csv --text-column tweet",
            "zstc jobs submit requests.jsonl --stack-name zstc",
            "zstc jobs submit tickets.csv --label-set intents@2 --wait",
        ),
    )(submit)
    jobs_app.command("status", epilog=examples("zstc jobs status JOB_ID", "zstc jobs status JOB_ID --wait"))(
        status
    )
    jobs_app.command("list", epilog=examples("zstc jobs list --status Completed --limit 5"))(list_jobs)
    jobs_app.command(
        "results",
        epilog=examples("zstc jobs results JOB_ID --out results.csv", "zstc jobs results JOB_ID | head -3"),
    )(results)
    app.add_typer(jobs_app, name="jobs")
