"""``zstc eval``: which wording of my labels works? Accuracy, macro-F1 and a report per variant.

Usage:
    zstc eval examples/resolutions-sample.csv --truth-column category --id-column id --limit 200
    zstc eval sample.jsonl -t "This text is about {}." -t "The topic is {}." --descriptions d.json
    zstc eval sample.csv --local --model-dir ~/models/bart-large-mnli
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from zstc_cli.errors import CliError
from zstc_cli.options import (
    LabelsFileOption,
    LabelsOption,
    TargetOptions,
    TemplatesOption,
    api_client,
    examples,
    target_options,
)

MOST_CONFUSED_SHOWN = 5
"""(annotated, predicted) pairs printed after the per-label table, most frequent first."""

EVAL_EXAMPLES = examples(
    "zstc eval examples/resolutions-sample.csv --id-column id --limit 200",
    'zstc eval sample.csv -t "This resolution is about {}." -t "The goal is {}."',
    "zstc eval sample.csv --descriptions examples/resolutions-descriptions.json",
    "zstc eval sample.jsonl --truth-column label --labels-file labels.txt --local",
)


@target_options
def evaluate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Annotated sample: .csv (header row) or .jsonl.")],
    truth_column: Annotated[str, typer.Option(help="Column with the annotated class.")] = "category",
    text_column: Annotated[str, typer.Option(help="Column with the text.")] = "text",
    id_column: Annotated[
        str | None, typer.Option(help="Column with each example's id.", show_default=False)
    ] = None,
    labels: LabelsOption = None,
    labels_file: LabelsFileOption = None,
    template: TemplatesOption = None,
    multi_label: Annotated[bool, typer.Option(help="Send multi_label=true in every variant.")] = False,
    phrasings: Annotated[
        Path | None,
        typer.Option(
            help='JSON {"variant": {"Class": "label text"}}: wordings to compare.', show_default=False
        ),
    ] = None,
    descriptions: Annotated[
        Path | None,
        typer.Option(help='JSON {"Class": "description"}: a label-descriptions variant.', show_default=False),
    ] = None,
    variants: Annotated[
        Path | None,
        typer.Option(
            help='JSON [{"name", "parameters": {...}, "labels": {...}}]: any parameters.', show_default=False
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N examples.")] = None,
    out_dir: Annotated[Path, typer.Option(help="Where the PNG and HTML report go.")] = Path("zstc-eval"),
    local: Annotated[
        bool, typer.Option("--local", help="Run the engine in this process instead of calling the API.")
    ] = False,
    model_dir: Annotated[
        str | None,
        typer.Option(
            help="With --local: a Hugging Face model directory (env ZSTC_MODEL_DIR).", show_default=False
        ),
    ] = None,
    model_method: Annotated[
        str | None, typer.Option(help="With --local: nli or embedding.", show_default=False)
    ] = None,
    *,
    target: TargetOptions,
) -> None:
    """Compare label wordings on an annotated sample: which works?

    Accuracy, macro-F1 and per-class precision/recall per variant, a PNG and an HTML report.

    The classes are --labels (or --labels-file), else the truth column's values. A labels file
    with a label,description header adds a "label descriptions" variant, as --descriptions does.
    """
    from rich.progress import Progress  # noqa: PLC0415

    from zstc_cli.evaluation import variants as ev  # noqa: PLC0415
    from zstc_cli.evaluation.report import confusion_png, html_report  # noqa: PLC0415
    from zstc_cli.labels import resolve_labels  # noqa: PLC0415
    from zstc_cli.output import console, per_label_table, scores_table  # noqa: PLC0415

    examples_ = ev.load_examples(file, text_column, truth_column, id_column)[:limit]
    seen = sorted({example.truth for example in examples_})
    chosen = resolve_labels(labels, labels_file)
    classes = chosen.names if chosen else seen
    unknown = sorted(set(seen) - set(classes))
    if unknown:
        raise CliError(f"{file}: {truth_column} has values not in --labels: {', '.join(unknown)}")
    chosen_variants = ev.build_variants(
        classes,
        template or [],
        multi_label=multi_label,
        phrasings=phrasings,
        descriptions=descriptions,
        variants_file=variants,
        label_descriptions=chosen.descriptions if chosen else None,
    )
    if local:
        from zstc_cli.local_stack.engine import local_classifier  # noqa: PLC0415

        classify_with = local_classifier(model_dir, model_method)
    else:
        classify_with = api_client(ctx, target).classify
    err = console(stderr=True)
    results = []
    with Progress(console=err, transient=True) as progress:
        for variant in chosen_variants:
            task = progress.add_task(variant.name[:40], total=len(examples_))
            results.append(
                ev.run_variant(classify_with, variant, classes, examples_, partial(progress.advance, task))
            )
    majority = ev.baseline(examples_, classes)
    best = max(results, key=lambda result: (result.scores.macro_f1, result.scores.accuracy))
    out = console()
    out.print(
        scores_table(
            [(r.variant.name, r.scores) for r in results] + [(f"majority: {majority[0]}", majority[1])],
            f"{file.name}: {len(examples_)} examples, {len(classes)} classes"
            + (" (local engine)" if local else ""),
        )
    )
    out.print()
    out.print(per_label_table(best.scores, f"best variant by macro-F1: {best.variant.name}"))
    confused = list(ev.worst_confusions(examples_, best, per_pair=len(examples_)).items())[
        :MOST_CONFUSED_SHOWN
    ]
    if confused:
        pairs = ", ".join(f"{truth} -> {predicted} ({len(items)})" for (truth, predicted), items in confused)
        out.print(f"most-confused pairs (annotated -> predicted): {pairs}", markup=False, highlight=False)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        png = confusion_png(best, classes, out_dir / "confusion-matrix.png")
        report = html_report(
            sample=file.name,
            examples=examples_,
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


def register(app: typer.Typer) -> None:
    """Add ``eval`` to the root command."""
    app.command("eval", epilog=EVAL_EXAMPLES)(evaluate)
