"""``zstc eval``: which wording of my labels works? Accuracy, macro-F1 and a report per variant.

Usage:
    zstc eval examples/resolutions-sample.csv --truth-column category --id-column id --limit 200
    zstc eval sample.jsonl -t "This text is about {}." -t "The topic is {}." --descriptions d.json
    zstc eval sample.csv --local --model-dir ~/models/bart-large-mnli
    zstc eval sample.csv --target-precision 0.9
    zstc eval sample.csv --label-set topics@3 --target-precision 0.9 --save-threshold
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from zstc_cli.errors import CliError, ExitCode
from zstc_cli.options import (
    LabelsFileOption,
    LabelsOption,
    TargetOptions,
    TemplatesOption,
    api_client,
    examples,
    target_options,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rich.console import Console

    from zstc_cli.evaluation.metrics import OperatingPoint
    from zstc_cli.evaluation.variants import Example, VariantResult

MOST_CONFUSED_SHOWN = 5
"""(annotated, predicted) pairs printed after the per-label table, most frequent first."""


class LabelSets(Protocol):
    """The label-set calls of the API's client that ``eval`` makes."""

    def get_label_set(self, name: str, version: int | None = None) -> dict[str, Any]: ...

    def create_label_set(self, body: dict[str, Any]) -> dict[str, Any]: ...


EVAL_EXAMPLES = examples(
    "zstc eval examples/resolutions-sample.csv --id-column id --limit 200",
    'zstc eval sample.csv -t "This resolution is about {}." -t "The goal is {}."',
    "zstc eval sample.csv --descriptions examples/resolutions-descriptions.json",
    "zstc eval sample.jsonl --truth-column label --labels-file labels.txt --local",
    "zstc eval s.csv --label-set topics@3 --target-precision 0.9 --save-threshold",
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
    target_precision: Annotated[
        float | None,
        typer.Option(
            help="Print the lowest threshold on the top score whose precision reaches P (0 < P <= 1).",
            show_default=False,
        ),
    ] = None,
    label_set: Annotated[
        str | None,
        typer.Option(
            help="NAME or NAME@N: classify with the label set's labels, descriptions, examples, templates.",
            show_default=False,
        ),
    ] = None,
    save_threshold: Annotated[
        bool,
        typer.Option(
            "--save-threshold",
            help="With --label-set and --target-precision: save the threshold as the set's new version.",
        ),
    ] = False,
    *,
    target: TargetOptions,
) -> None:
    """Compare label wordings on an annotated sample: which works?

    Accuracy, macro-F1 and per-class precision/recall per variant, a PNG and an HTML report.

    The classes are --labels (or --labels-file), else the truth column's values. A labels file
    with a label,description header adds a "label descriptions" variant, as --descriptions does.
    With --label-set, the classes and parameters are the label set's.

    For the best variant: precision and coverage by threshold on the top score (a table, a PNG), and
    with --target-precision the threshold reaching it.
    """
    from rich.progress import Progress  # noqa: PLC0415

    from zstc_cli.evaluation import variants as ev  # noqa: PLC0415
    from zstc_cli.evaluation.report import confusion_png, html_report, tradeoff_png  # noqa: PLC0415
    from zstc_cli.labels import resolve_labels  # noqa: PLC0415
    from zstc_cli.output import console, per_label_table, scores_table  # noqa: PLC0415

    if target_precision is not None and not 0 < target_precision <= 1:
        raise CliError(
            f"--target-precision must be above 0 and at most 1, not {target_precision:g}", ExitCode.USAGE
        )
    others = {
        "--labels": labels,
        "--labels-file": labels_file,
        "--template": template,
        "--multi-label": multi_label or None,
        "--phrasings": phrasings,
        "--descriptions": descriptions,
        "--variants": variants,
    }
    _check_label_set_options(label_set, target_precision, save_threshold=save_threshold, others=others)
    examples_ = ev.load_examples(file, text_column, truth_column, id_column)[:limit]
    seen = sorted({example.truth for example in examples_})
    chosen = None if label_set is not None else resolve_labels(labels, labels_file)
    stored, classes, base, base_name = _taxonomy(ctx, target, label_set, chosen.names if chosen else seen)
    unknown = sorted(set(seen) - set(classes))
    if unknown:
        what = f"the label set {label_set}" if label_set else "--labels"
        raise CliError(f"{file}: {truth_column} has values not in {what}: {', '.join(unknown)}")
    chosen_variants = ev.build_variants(
        classes,
        template or [],
        multi_label=multi_label,
        phrasings=phrasings,
        descriptions=descriptions,
        variants_file=variants,
        label_descriptions=chosen.descriptions if chosen else None,
        base_parameters=base,
        base_name=base_name,
    )
    if local:
        from zstc_cli.local_stack.engine import local_classifier  # noqa: PLC0415

        classify_with = local_classifier(model_dir, model_method)
    else:
        classify_with = api_client(ctx, target).classify
    results = []
    with Progress(console=console(stderr=True), transient=True) as progress:
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
    _print_confusions(out, examples_, best)
    points, reached, line = _print_tradeoff(out, examples_, best, target_precision)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        png = confusion_png(best, classes, out_dir / "confusion-matrix.png")
        curve = tradeoff_png(best, points, out_dir / TRADEOFF_PNG, target=target_precision, chosen=reached)
        report = html_report(
            sample=file.name,
            examples=examples_,
            classes=classes,
            results=results,
            best=best,
            majority=majority,
            png=png,
            path=out_dir / "report.html",
            tradeoff=points,
            tradeoff_image=curve,
            target=line,
        )
    except OSError as error:
        raise CliError(f"cannot write the report to {out_dir}: {error.strerror}") from None
    out.print(f"\nconfusion matrix: {png}\nprecision and coverage: {curve}\nreport: {report}")
    if save_threshold and stored is not None:
        _save_threshold(_label_sets(ctx, target), stored, reached, line, out)


def _taxonomy(
    ctx: typer.Context, target: TargetOptions, label_set: str | None, classes: list[str]
) -> tuple[dict[str, Any] | None, list[str], dict[str, Any], str | None]:
    """(the stored label set, the classes, the parameters every variant has, the first variant's name).

    Without ``label_set``: no set, ``classes`` as given, no parameters, the default name.
    """
    if label_set is None:
        return None, classes, {}, None
    from zstc_cli.evaluation.variants import label_set_parameters  # noqa: PLC0415

    stored = _label_sets(ctx, target).get_label_set(*parse_label_set(label_set))
    classes, base = label_set_parameters(stored)
    return stored, classes, base, f"label set {stored.get('name', label_set)}@{stored.get('version', '?')}"


def _print_tradeoff(
    out: Console, examples: Sequence[Example], best: VariantResult, target_precision: float | None
) -> tuple[tuple[OperatingPoint, ...], OperatingPoint | None, str]:
    """Print the best variant's trade-off table and the target's line: (points, reached point, line)."""
    from zstc_cli.evaluation.metrics import reaching  # noqa: PLC0415
    from zstc_cli.evaluation.report import target_line  # noqa: PLC0415
    from zstc_cli.evaluation.variants import tradeoff  # noqa: PLC0415
    from zstc_cli.output import tradeoff_table  # noqa: PLC0415

    points = tradeoff(examples, best)
    out.print()
    out.print(tradeoff_table(points, _tradeoff_title(best)))
    if target_precision is None:
        return points, None, ""
    reached = reaching(points, target_precision)
    line = target_line(points, target_precision, reached)
    out.print(line, markup=False, highlight=False)
    return points, reached, line


def _print_confusions(out: Console, examples: Sequence[Example], best: VariantResult) -> None:
    from zstc_cli.evaluation.variants import worst_confusions  # noqa: PLC0415

    confused = list(worst_confusions(examples, best, per_pair=len(examples)).items())[:MOST_CONFUSED_SHOWN]
    if confused:
        pairs = ", ".join(f"{truth} -> {predicted} ({len(items)})" for (truth, predicted), items in confused)
        out.print(f"most-confused pairs (annotated -> predicted): {pairs}", markup=False, highlight=False)


TRADEOFF_PNG = "precision-coverage.png"
"""The trade-off plot's file name in --out-dir."""


def parse_label_set(value: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@N`` as (name, version or ``None`` for the latest); ``CliError`` (usage) if bad."""
    name, at, version = value.rpartition("@") if "@" in value else (value, "", "")
    if not name.strip() or (at and not (version.isdigit() and int(version) >= 1)):
        raise CliError(f"--label-set {value!r}: use NAME or NAME@N (N a version, 1 or more)", ExitCode.USAGE)
    return name, int(version) if at else None


def _check_label_set_options(
    label_set: str | None,
    target_precision: float | None,
    *,
    save_threshold: bool,
    others: Mapping[str, object],
) -> None:
    """Refuse (usage) the combinations that cannot mean anything, before any text is classified."""
    given = [option for option, value in others.items() if value]
    if label_set is not None and any(option in given for option in ("--labels", "--labels-file")):
        raise CliError("--label-set brings its own labels: drop --labels/--labels-file", ExitCode.USAGE)
    if save_threshold and (label_set is None or target_precision is None):
        raise CliError("--save-threshold needs --label-set and --target-precision", ExitCode.USAGE)
    if save_threshold and given:
        raise CliError(
            f"--save-threshold measures the label set as stored: drop {', '.join(given)}", ExitCode.USAGE
        )


def _label_sets(ctx: typer.Context, target: TargetOptions) -> LabelSets:
    return api_client(ctx, target)


def _tradeoff_title(best: VariantResult) -> str:
    rule = "each predicted label counts" if best.multi_label else "the top class"
    return f"auto-labelling by threshold on the top score ({best.variant.name}; {rule})"


def _save_threshold(
    client: LabelSets, stored: dict[str, Any], reached: OperatingPoint | None, line: str, out: Console
) -> None:
    """Create the label set's next version: the same set with ``reached``'s threshold."""
    if reached is None:
        raise CliError(f"threshold not saved: {line}")
    # POST /label-sets: the version read, its threshold changed, only if it is still the latest
    body: dict[str, Any] = {
        "name": stored["name"],
        "parameters": {**stored["parameters"], "threshold": reached.threshold},
        "expected_version": stored["version"],
    }
    if stored.get("note"):
        body["note"] = stored["note"]
    created = client.create_label_set(body)
    out.print(
        f"saved threshold {reached.threshold_text} as label set {created.get('name', body.get('name'))} "
        f"version {created.get('version')}",
        markup=False,
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``eval`` to the root command."""
    app.command("eval", epilog=EVAL_EXAMPLES)(evaluate)
