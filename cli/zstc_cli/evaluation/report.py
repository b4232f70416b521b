"""The files ``zstc eval`` writes: a confusion-matrix PNG (matplotlib) and a self-contained HTML report."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from zstc_cli.evaluation.metrics import Scores
from zstc_cli.evaluation.variants import Example, VariantResult, worst_confusions

PNG_SIZE_INCHES = (8.0, 7.0)
PNG_DPI = 100
PNG_PIXELS = (int(PNG_SIZE_INCHES[0] * PNG_DPI), int(PNG_SIZE_INCHES[1] * PNG_DPI))
"""Width and height of the confusion-matrix PNG, in pixels."""


def confusion_png(result: VariantResult, classes: Sequence[str], path: Path) -> Path:
    """Draw the variant's confusion matrix (rows annotated, columns predicted) to ``path``."""
    import matplotlib  # noqa: PLC0415 - matplotlib takes ~0.5 s to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    matrix = result.scores.confusion
    figure, axes = plt.subplots(figsize=PNG_SIZE_INCHES, dpi=PNG_DPI)
    try:
        image = axes.imshow(matrix, cmap="Blues")
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
        axes.set_xticks(range(len(classes)), labels=list(classes), rotation=45, ha="right")
        axes.set_yticks(range(len(classes)), labels=list(classes))
        axes.set_xlabel("predicted")
        axes.set_ylabel("annotated")
        axes.set_title(f"{result.variant.name}: accuracy {result.scores.accuracy:.3f}")
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
) -> Path:
    """Write one HTML file with everything inline (no external assets): tables, matrix, examples."""
    e = html.escape
    image = base64.b64encode(png.read_bytes()).decode("ascii")
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
<h2>Most confused examples</h2>
{"".join(confused) or "<p>None: every example was classified as annotated.</p>"}
</body></html>
"""
    path.write_text(document, encoding="utf-8")
    return path
