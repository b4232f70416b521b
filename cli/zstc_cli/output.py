"""Terminal output of the ``zstc`` commands (rich) and the results export (streamed CSV / JSON Lines)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from zstc_cli.errors import CliError
from zstc_cli.evaluation.metrics import OperatingPoint, Scores, coverage_steps

BAR_WIDTH = 30


def classification_table(answer: dict[str, Any], title: str) -> Table:
    """One text's labels, scores and bars, best first (the API's order)."""
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column("label")
    table.add_column("score", justify="right")
    table.add_column("", no_wrap=True)
    predicted = answer.get("predicted_labels")
    evidence = {item["label"]: item for item in answer.get("evidence") or []}
    if predicted is not None:
        table.add_column("predicted")
    if evidence:
        table.add_column("evidence (characters)")
    for label, value in zip(answer["labels"], answer["scores"], strict=True):
        row = [label, f"{value:.3f}", "█" * round(value * BAR_WIDTH)]
        if predicted is not None:
            row.append("✓" if label in predicted else "")
        if evidence:
            span = evidence.get(label)  # a shortlist's evidence covers the scored labels only
            row.append("" if span is None else f"{span['start']}-{span['end']} ({span['score']:.3f})")
        table.add_row(*row)
    if predicted == []:
        table.caption = "no label reaches the threshold (abstained)"
    return table


def job_table(jobs: Sequence[dict[str, Any]]) -> Table:
    """Jobs one per row."""
    table = Table(show_edge=False)
    for column in ("job_id", "status", "format", "records", "created_at"):
        table.add_column(column)
    for job in jobs:
        table.add_row(
            job["job_id"],
            job["status"],
            str(job.get("format") or ""),
            "" if job.get("records") is None else str(job["records"]),
            job["created_at"],
        )
    return table


def job_summary(job: dict[str, Any]) -> str:
    """A job's status in a few lines."""
    lines = [f"job {job['job_id']}: {job['status']}"]
    if job.get("label_set"):
        lines.append(f"  label set: {job['label_set']}")
    if job.get("records") is not None:
        lines.append(f"  records: {job['records']}, results written: {job.get('results_written') or 0}")
    if job.get("label_histogram"):
        top = sorted(job["label_histogram"].items(), key=lambda item: -item[1])
        lines.append("  top labels: " + ", ".join(f"{label} {count}" for label, count in top))
    for problem in job.get("problems") or []:
        lines.append(f"  problem: {problem}")
    if job.get("failure_reason"):
        lines.append(f"  failure: {job['failure_reason']}")
    if job.get("results_location"):
        lines.append(f"  results: {job['results_location']}")
    return "\n".join(lines)


def export_results(results: Iterable[dict[str, Any]], path: Path) -> int:
    """Stream results to ``path`` (``.csv`` or ``.jsonl``) as they arrive; returns the count written.

    The CSV is the one layout of ``zstc.contract.results`` (the job's own ``results.csv``). Pages are
    written to a temporary file beside ``path`` that replaces it only once every page has arrived, so
    a failed call (an unknown job, one not Completed, a lost connection) leaves an existing ``path`` as
    it was. Raises CliError for another suffix or a file that cannot be written.
    """
    from zstc.contract.results import JobResult, write_results_csv  # noqa: PLC0415 - pydantic models

    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl"}:
        raise CliError(f"--out must end with .csv or .jsonl, got {path.name}")
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            if suffix == ".csv":
                count = write_results_csv(handle, (JobResult.model_validate(item) for item in results))
            else:
                count = 0
                for result in results:
                    handle.write(json.dumps(result, ensure_ascii=False) + "\n")
                    count += 1
        partial.replace(path)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return count


def scores_table(rows: Sequence[tuple[str, Scores]], title: str) -> Table:
    """Accuracy and macro-F1 per variant (and the baseline), side by side."""
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column("variant")
    table.add_column("accuracy", justify="right")
    table.add_column("macro-F1", justify="right")
    for name, scores in rows:
        table.add_row(name, f"{scores.accuracy:.3f}", f"{scores.macro_f1:.3f}")
    return table


def per_label_table(scores: Scores, title: str) -> Table:
    """Precision, recall, F1 and support per class."""
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in ("class", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for item in scores.per_label:
        table.add_row(
            item.label, f"{item.precision:.3f}", f"{item.recall:.3f}", f"{item.f1:.3f}", str(item.support)
        )
    return table


def tradeoff_table(points: Sequence[OperatingPoint], title: str) -> Table:
    """Coverage and precision at the thresholds that auto-label about 100%, 90%, ... of the items."""
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in ("threshold", "auto-labelled", "items", "precision"):
        table.add_column(column, justify="right")
    for point in coverage_steps(points):
        table.add_row(
            point.threshold_text, f"{point.coverage:.1%}", str(point.items), f"{point.precision:.3f}"
        )
    return table


def console(stderr: bool = False) -> Console:
    """A rich console that does not wrap long lines when output is piped."""
    return Console(stderr=stderr, soft_wrap=True, highlight=False)
