"""The files ``zstc eval`` writes: a confusion-matrix PNG (matplotlib) and a self-contained HTML report."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from zstc_cli.evaluation.metrics import OperatingPoint, Scores, coverage_steps
from zstc_cli.evaluation.variants import Example, VariantResult, worst_confusions

PNG_SIZE_INCHES = (8.0, 7.0)
PNG_DPI = 100
PNG_PIXELS = (int(PNG_SIZE_INCHES[0] * PNG_DPI), int(PNG_SIZE_INCHES[1] * PNG_DPI))
"""Width and height of the confusion-matrix PNG, in pixels."""

MATRIX_MAX_CLASSES = 20
"""Classes the drawn matrix holds at most: beyond it a cell's count cannot be read at PNG_SIZE_INCHES."""


def matrix_classes(confusion: Sequence[Sequence[int]], limit: int = MATRIX_MAX_CLASSES) -> list[int]:
    """Indices of the classes to draw: all of them up to ``limit``, else those of the most-confused pairs.

    ``confusion`` is square (rows annotated, columns predicted). Off-diagonal cells are taken from the
    largest count down, each adding its two classes, until ``limit`` classes are chosen; with no
    confusion at all, the ``limit`` classes with the most annotated examples. Returned in class order.
    """
    size = len(confusion)
    if size <= limit:
        return list(range(size))
    cells = sorted(
        (
            (confusion[row][column], row, column)
            for row in range(size)
            for column in range(size)
            if row != column
        ),
        reverse=True,
    )
    chosen: list[int] = []
    for count, row, column in cells:
        if count == 0 or len(chosen) >= limit:
            break
        for index in (row, column):
            if index not in chosen and len(chosen) < limit:
                chosen.append(index)
    if not chosen:
        chosen = sorted(range(size), key=lambda index: -sum(confusion[index]))[:limit]
    return sorted(chosen)


def target_line(points: Sequence[OperatingPoint], target: float, chosen: OperatingPoint | None) -> str:
    """One sentence: the threshold reaching ``target`` precision and its coverage, or that none does.

    ``chosen`` is :func:`zstc_cli.evaluation.metrics.reaching`'s answer for ``target``.
    """
    if chosen is not None:
        return (
            f"at {chosen.threshold_text}, {chosen.coverage:.0%} of items are auto-labelled at "
            f"{chosen.precision:.0%} precision ({chosen.items} of {points[0].items}; "
            f"target {target:.0%})"
        )
    best = max(points, key=lambda point: (point.precision, point.coverage))
    return (
        f"no threshold reaches {target:.0%} precision on this sample: the highest is "
        f"{best.precision:.0%}, at {best.threshold_text} ({best.coverage:.0%} of items auto-labelled)"
    )


def tradeoff_png(
    result: VariantResult,
    points: Sequence[OperatingPoint],
    path: Path,
    *,
    target: float | None = None,
    chosen: OperatingPoint | None = None,
) -> Path:
    """Draw precision and coverage against the threshold on the top score to ``path``.

    With ``target``, a dashed line at that precision, and the ``chosen`` threshold marked.
    """
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    thresholds = [point.score for point in points]
    figure, axes = plt.subplots(figsize=PNG_SIZE_INCHES, dpi=PNG_DPI)
    try:
        # each point holds from its score up to the next one: steps after the point
        axes.step(thresholds, [p.precision for p in points], where="post", label="precision")
        axes.step(thresholds, [p.coverage for p in points], where="post", label="coverage (auto-labelled)")
        if target is not None:
            axes.axhline(target, color="grey", linestyle="--", label=f"target precision {target:.0%}")
        if chosen is not None:
            axes.axvline(
                chosen.score, color="black", linestyle=":", label=f"threshold {chosen.threshold_text}"
            )
            axes.plot([chosen.score], [chosen.coverage], "o", color="black")
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.05)
        axes.set_xlabel("threshold on the top score")
        axes.set_ylabel("share")
        axes.set_title(f"{result.variant.name}: precision and coverage by threshold")
        axes.legend(loc="lower left")
        axes.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(path, dpi=PNG_DPI)
    finally:
        plt.close(figure)
    return path


def confusion_png(result: VariantResult, classes: Sequence[str], path: Path) -> Path:
    """Draw the variant's confusion matrix (rows annotated, columns predicted) to ``path``."""
    import matplotlib  # noqa: PLC0415 - matplotlib takes ~0.5 s to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    shown = matrix_classes(result.scores.confusion)
    matrix = [[result.scores.confusion[row][column] for column in shown] for row in shown]
    names = [classes[index] for index in shown]
    title = f"{result.variant.name}: accuracy {result.scores.accuracy:.3f}"
    if len(shown) < len(classes):
        title += f"\n{len(shown)} of {len(classes)} classes: those of the most-confused pairs"
    figure, axes = plt.subplots(figsize=PNG_SIZE_INCHES, dpi=PNG_DPI)
    try:
        image = axes.imshow(matrix, cmap="Blues")
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
        axes.set_xticks(range(len(names)), labels=names, rotation=45, ha="right")
        axes.set_yticks(range(len(names)), labels=names)
        axes.set_xlabel("predicted")
        axes.set_ylabel("annotated")
        axes.set_title(title)
        peak = max((max(row) for row in matrix), default=0)
        for row, counts in enumerate(matrix):
            for column, count in enumerate(counts):
                colour = "white" if peak and count > peak / 2 else "black"
                axes.text(column, row, str(count), ha="center", va="center", color=colour)
        figure.tight_layout()
        figure.savefig(path, dpi=PNG_DPI)
    finally:
        plt.close(figure)
    return path


def html_report(
    *,
    sample: str,
    examples: Sequence[Example],
    classes: Sequence[str],
    results: Sequence[VariantResult],
    best: VariantResult,
    majority: tuple[str, Scores],
    png: Path,
    path: Path,
    tradeoff: Sequence[OperatingPoint] = (),
    tradeoff_image: Path | None = None,
    target: str = "",
) -> Path:
    """Write one HTML file with everything inline (no external assets): tables, matrix, examples.

    ``tradeoff`` and ``tradeoff_image`` add the best variant's precision/coverage by threshold, and
    ``target`` the sentence of the target precision's threshold.
    """
    e = html.escape
    image = base64.b64encode(png.read_bytes()).decode("ascii")
    tradeoff_section = ""
    if tradeoff and tradeoff_image is not None:
        curve = base64.b64encode(tradeoff_image.read_bytes()).decode("ascii")
        steps = "".join(
            f"<tr><td>{point.threshold_text}</td><td>{point.coverage:.1%} ({point.items})</td>"
            f"<td>{point.precision:.3f}</td></tr>"
            for point in coverage_steps(tradeoff)
        )
        tradeoff_section = f"""<h2>Auto-labelling: precision and coverage by threshold</h2>
<p>Items whose top score reaches the threshold are auto-labelled (coverage); precision is the share of
their predicted labels that are right.{" " + e(target) + "." if target else ""}</p>
<table><tr><th>threshold</th><th>coverage (items)</th><th>precision</th></tr>{steps}</table>
<img alt="precision and coverage by threshold" src="data:image/png;base64,{curve}">
"""
    variant_rows = "".join(
        f"<tr><td>{e(r.variant.name)}</td><td>{r.scores.accuracy:.3f}</td><td>{r.scores.macro_f1:.3f}</td>"
        f"<td>{r.seconds:.1f}</td></tr>"
        for r in results
    )
    name, scores = majority
    variant_rows += (
        f"<tr class='baseline'><td>majority class: {e(name)}</td><td>{scores.accuracy:.3f}</td>"
        f"<td>{scores.macro_f1:.3f}</td><td></td></tr>"
    )
    label_rows = "".join(
        f"<tr><td>{e(s.label)}</td><td>{s.precision:.3f}</td><td>{s.recall:.3f}</td><td>{s.f1:.3f}</td>"
        f"<td>{s.support}</td></tr>"
        for s in best.scores.per_label
    )
    confused = []
    for (truth, predicted), items in worst_confusions(examples, best).items():
        lines = "".join(
            f"<li><code>{e(example.id)}</code> ({top:.2f}) {e(example.text)}</li>" for example, top in items
        )
        confused.append(f"<h3>{e(truth)} &rarr; predicted {e(predicted)}</h3><ul>{lines}</ul>")
    parameters = e(", ".join(f"{k}={v!r}" for k, v in best.variant.parameters.items()) or "none")
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zstc eval: {e(sample)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}.baseline{{color:#666}}</style></head>
<body><h1>zstc eval: {e(sample)}</h1>
<p>{len(examples)} annotated examples, {len(classes)} classes: {e(", ".join(classes))}.</p>
<h2>Variants</h2>
<table><tr><th>variant</th><th>accuracy</th><th>macro-F1</th><th>seconds</th></tr>{variant_rows}</table>
<h2>Best variant: {e(best.variant.name)}</h2>
<p>Parameters: {parameters}. Labels sent: {e(", ".join(best.variant.candidate_labels(classes)))}.</p>
<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>{label_rows}</table>
<h2>Confusion matrix</h2>
<img alt="confusion matrix" src="data:image/png;base64,{image}">
{tradeoff_section}<h2>Most confused examples</h2>
{"".join(confused) or "<p>None: every example was classified as annotated.</p>"}
</body></html>
"""
    path.write_text(document, encoding="utf-8")
    return path
