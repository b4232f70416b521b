"""The offline demo: the real-time path end to end on this machine, with a quality check.

Starts the local stack, classifies the seed example through ``POST /classify`` (single- and
multi-label), classifies the resolutions sample and reports accuracy / macro-F1 against the
annotated category beside the majority-class baseline, then stops the stack. Every call goes
through the command's one API client (``HttpApiClient``) and its request-size rule (``request_chunks``).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from zstc.contract import media_types
from zstc.contract.jobs import TERMINAL_JOB_STATUSES, JobStatus
from zstc_cli.client.api import HttpApiClient
from zstc_cli.client.chunks import request_chunks
from zstc_cli.client.target import AuthMode, Target
from zstc_cli.errors import CliError, ExitCode
from zstc_cli.evaluation.metrics import majority_baseline, score
from zstc_cli.ports import nondefault_port_flags
from zstc_local.stack import LocalStack, StackSettings, running_stack
from zstc_local.summary import describe
from zstc_local.template import REPO_ROOT

SAMPLE_PATH = REPO_ROOT / "examples" / "resolutions-sample.csv"
SEED_TEXT = (
    "#newyearsresolution :: read more books, no scrolling fb/checking email b4 breakfast, "
    "stay dedicated to pt/yoga to squash my achin' back!"
)
SEED_LABELS = [
    "Health",
    "Humor",
    "Personal Growth",
    "Philanthropy",
    "Leisure",
    "Career",
    "Finance",
    "Education",
    "Time Management",
]
RESULTS_PAGE_SIZE = 200
DESCRIPTIONS_PATH = REPO_ROOT / "examples" / "resolutions-descriptions.json"
QUALITY_NOTE = (
    "Macro-F1 weighs the 10 categories equally (always answering the majority class scores near 0):\n"
    "  one-line label descriptions steer the model towards the rarer categories without any training,\n"
    "  sometimes at a little accuracy on the majority one; measure on your own sample with zstc eval.\n"
    "  The offline model is a small English sentence-embedding model; the deployed NLI model\n"
    "  (bart-large-mnli) is stronger."
)


def load_sample(path: Path = SAMPLE_PATH, limit: int | None = None) -> list[dict[str, str]]:
    """The annotated resolutions (id, text, category)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, strict=True))
    return rows[:limit] if limit else rows


def _show(title: str, answer: dict[str, Any]) -> None:
    print(f"\n{title}")
    for label, value in zip(answer["labels"], answer["scores"], strict=True):
        print(f"  {label:<18} {value:6.3f}  {'#' * round(value * 40)}")


def load_descriptions(classes: list[str], path: Path = DESCRIPTIONS_PATH) -> dict[str, str]:
    """The example label descriptions of ``classes``: ``{category: one-line description}``."""
    descriptions: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return {label: text for label, text in descriptions.items() if label in classes}


def classify_sample(
    client: HttpApiClient,
    rows: list[dict[str, str]],
    labels: list[str],
    options: dict[str, Any] | None = None,
) -> list[str]:
    """Top label per row, in requests within the API's limits, with ``options`` as parameters."""
    parameters = {"candidate_labels": labels, **(options or {})}
    texts = [row["text"] for row in rows]
    predicted: list[str] = []
    for start, end in request_chunks(texts, parameters):
        answers = client.classify({"inputs": texts[start:end], "parameters": parameters})
        predicted += [item["labels"][0] for item in answers]
    return predicted


def _write_csv(rows: list[dict[str, str]], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _progress(done: int, total: int, status: str, interactive: bool) -> None:
    """A bar redrawn in place on a terminal; one line per report where the output is a pipe or file."""
    width = 30
    filled = round(width * done / total) if total else 0
    line = f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} records  {status:<12}"
    if interactive:
        print(f"\r{line}", end="", flush=True)
    else:
        print(line.rstrip(), flush=True)


def run_batch_job(
    client: HttpApiClient, stack: LocalStack, rows: list[dict[str, str]], classes: list[str]
) -> dict[str, Any]:
    """POST /jobs, PUT the CSV to the upload URL, follow the job to its end; returns the job."""
    assert stack.transforms is not None
    job = client.create_job(
        {
            "format": "csv",
            "candidate_labels": classes,
            "id_column": "id",
            "label_descriptions": load_descriptions(classes),
            "filename": "resolutions.csv",
        }
    )
    print(f"\nPOST /jobs: job {job['job_id']} {job['status']}, upload to {job['upload']['key']}")
    with tempfile.TemporaryDirectory(prefix="zstc-demo-") as folder:
        path = _write_csv(rows, Path(folder) / "resolutions.csv")
        client.upload(job["upload"]["url"], path, media_types.CSV)
    print(f"PUT {len(rows)} rows to the presigned URL: uploaded")
    deadline = time.monotonic() + 300
    shown: tuple[int, str] | None = None
    interactive = sys.stdout.isatty()
    while time.monotonic() < deadline:
        job = client.get_job(job["job_id"])
        transform = stack.transforms.jobs.get(job.get("transform_job_name") or "")
        done = (
            len(rows)
            if job["status"] == JobStatus.COMPLETED
            else (transform.records_done if transform else 0)
        )
        # a pipe gets a line when the status changes, a terminal every step of the bar
        if shown is None or job["status"] != shown[1] or (interactive and done != shown[0]):
            _progress(done, len(rows), job["status"], interactive)
            shown = (done, job["status"])
        if job["status"] in TERMINAL_JOB_STATUSES:
            if interactive:
                print()
            return job
        time.sleep(0.25)
    raise CliError(f"job {job['job_id']} did not finish in 300 s", ExitCode.JOB_UNSUCCESSFUL)


def _report(title: str, truth: list[str], predictions: dict[str, list[str]], classes: list[str]) -> None:
    """Accuracy and macro-F1 of each set of predictions, beside the majority-class baseline."""
    majority, baseline = majority_baseline(truth, classes)
    print(f"\n{title}")
    print(f"  {'':<36} {'accuracy':>9} {'macro-F1':>9}")
    for name, predicted in predictions.items():
        model = score(truth, predicted, classes)
        print(f"  {name:<36} {model.accuracy:9.3f} {model.macro_f1:9.3f}")
    print(f"  {'majority: ' + majority:<36} {baseline.accuracy:9.3f} {baseline.macro_f1:9.3f}")


def run_demo(settings: StackSettings, sample_size: int = 500, realtime_sample: int = 100) -> int:
    """Run the demo; 0 on success."""
    started = time.monotonic()
    if not settings.verbose:  # --verbose shows the handlers' JSON logs and EMF metrics
        settings.handler_environment = {
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    with running_stack(settings) as stack:
        assert stack.api is not None
        print(describe(stack))
        client = HttpApiClient(Target(api_url=stack.api.url, auth=AuthMode.NONE))
        print(f"\nGET /health: {client.health()}")

        print(f"\nPOST {stack.api.url}/classify\n  text: {SEED_TEXT}")
        for multi_label in (False, True):
            answer = client.classify(
                {
                    "inputs": SEED_TEXT,
                    "parameters": {"candidate_labels": SEED_LABELS, "multi_label": multi_label},
                },
            )
            _show(f"{'multi' if multi_label else 'single'}-label:", answer)

        rows = load_sample(limit=sample_size)
        classes = sorted({row["category"] for row in rows})
        head = rows[:realtime_sample]
        descriptions = load_descriptions(classes)
        clock = time.monotonic()
        plain = classify_sample(client, head, classes)
        described = classify_sample(client, head, classes, {"label_descriptions": descriptions})
        elapsed = time.monotonic() - clock
        _report(
            f"Real time: {len(head)} resolutions tweets through POST /classify, twice, in {elapsed:.1f} s",
            [row["category"] for row in head],
            {
                "zstc, label names only": plain,
                "zstc, with label descriptions": described,
            },
            classes,
        )
        print(f"  descriptions: {DESCRIPTIONS_PATH.relative_to(REPO_ROOT)}\n  {QUALITY_NOTE}")

        print(
            f"\nBatch: {len(rows)} resolutions tweets as a CSV job with the label descriptions (S3 upload -> "
            "start_batch -> batch transform -> EventBridge -> process_results -> DynamoDB)"
        )
        clock = time.monotonic()
        job = run_batch_job(client, stack, rows, classes)
        if job["status"] != JobStatus.COMPLETED:
            print(f"job ended {job['status']}: {job.get('failure_reason') or job.get('problems')}")
            return 1
        histogram = ", ".join(
            f"{label} {count}"
            for label, count in sorted(job["label_histogram"].items(), key=lambda item: -item[1])
        )
        print(
            f"  job {job['job_id']} {job['status']} in {time.monotonic() - clock:.1f} s: "
            f"{job['records']} records, "
            f"{job['results_written']} results\n  top labels: {histogram}\n  CSV: {job['results_location']}"
        )
        results = list(client.results(job["job_id"], RESULTS_PAGE_SIZE))
        print(f"\nGET /jobs/{job['job_id']}/results (first 5 of {len(results)}):")
        truth_by_id = {row["id"]: row["category"] for row in rows}
        for result in results[:5]:
            print(
                f"  {result['record_id']}  {result['top_label']:<30} {result['top_score']:.3f}  "
                f"(annotated: {truth_by_id[str(result['record_id'])]})"
            )
        _report(
            "Batch job quality against the annotated category (with label descriptions):",
            [truth_by_id[str(r["record_id"])] for r in results],
            {"zstc, with label descriptions": [r["top_label"] for r in results]},
            classes,
        )
    print(f"\nstack stopped; demo took {time.monotonic() - started:.0f} s")
    flags = nondefault_port_flags(
        {
            "api": settings.api_port,
            "aws": settings.aws_port,
            "model": settings.model_port,
            "lambda": settings.lambda_port,
        }
    )
    command = " ".join(("zstc local up --console", flags)).strip()
    print(f"next: `{command}` starts the stack with the web console (docs/console.md)")
    return 0
