"""Zero-shot quality of the offline model on both shared samples, per steering option, side by side.

For each sample (../shared/data: New Year's resolution tweets, 10 skewed labels; AG News, 4 topics)
it classifies every row with the real engine (what /classify runs: the API passes the payload
through) and reports accuracy and macro-F1 beside the majority-class baseline for:

- the previous default (v0.1: one template "This example is {}.", no label phrases), reproduced here
  with the engine's own embeddings for comparison;
- content-free calibration on the previous default (Zhao et al. 2021), measured and not adopted;
- raw label names with the pipeline's template through today's engine;
- today's defaults (no template, no options);
- a three-template ensemble;
- label descriptions (examples/<sample>-descriptions.json) with today's defaults, and with the ensemble.

Then the latency cost of ensembles and windows: requests per second for the same texts with one
template, the ensemble, and a long text split into windows.

Usage: .venv/bin/python bench/quality.py [--data ../shared/data] [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "inference"), str(REPO / "local")]
import torch  # noqa: E402

from common import SHARED_DATA  # noqa: E402
from zstc_cli.evaluation.metrics import majority_baseline, score  # noqa: E402
from zstc_engine.embedding import EmbeddingClassifier  # noqa: E402
from zstc_engine.loading import load_classifier  # noqa: E402
from zstc_engine.protocol import ClassificationTask  # noqa: E402

SAMPLES = {"resolutions": "resolutions-sample.csv", "agnews": "agnews-sample.csv"}
PIPELINE_TEMPLATE = "This example is {}."
ENSEMBLE = ("This example is {}.", "This text is about {}.", "The topic is {}.")
CONTENT_FREE = ("", "N/A", "[MASK]")
CHUNK = 32  # texts per request, the API's limit


def load(path: Path, rows: int | None) -> tuple[list[str], list[str]]:
    """Texts and their annotated categories."""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))[:rows]
    return [r["text"] for r in records], [r["category"] for r in records]


def engine_predictions(
    classifier: EmbeddingClassifier, texts: list[str], labels: list[str], **options: Any
) -> list[str]:
    """Top label per text through the engine, in requests of ``CHUNK`` texts."""
    predicted: list[str] = []
    for start in range(0, len(texts), CHUNK):
        task = ClassificationTask(
            texts=tuple(texts[start : start + CHUNK]), labels=tuple(labels), is_batch=True, **options
        )
        predicted += [result.labels[0] for result in classifier.classify(task)]
    return predicted


def previous_default(
    classifier: EmbeddingClassifier, texts: list[str], labels: list[str], *, calibrate: bool
) -> list[str]:
    """v0.1's method: cosine to one hypothesis per label; optionally minus a content-free input's."""
    hypotheses = classifier.embed([PIPELINE_TEMPLATE.format(label) for label in labels])
    similarity = classifier.embed(texts) @ hypotheses.T
    if calibrate:
        content_free = torch.nn.functional.normalize(classifier.embed(list(CONTENT_FREE)).mean(0), dim=-1)
        similarity = similarity - content_free @ hypotheses.T
    return [labels[i] for i in similarity.argmax(dim=1).tolist()]


def descriptions_for(sample: str, labels: Sequence[str]) -> tuple[str | None, ...]:
    """The example descriptions, aligned with ``labels``."""
    path = REPO / "examples" / f"{sample}-descriptions.json"
    described: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return tuple(described.get(label) for label in labels)


def requests_per_second(runs: dict[str, Callable[[], object]], rounds: int = 5) -> dict[str, float]:
    """Median requests per second of each run, the runs interleaved round by round (noise hits all alike)."""
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    return {name: 1.0 / statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=SHARED_DATA, help="the shared samples (ZSTC_SHARED_DATA)"
    )
    parser.add_argument("--rows", type=int, default=None, help="first N rows of each sample (default all)")
    args = parser.parse_args()
    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier), "the offline default is the embedding method"

    print(f"offline model, embedding method; rows per sample: {args.rows or 'all'}")
    print(f"{'variant':58s} {'sample':12s} {'accuracy':>8s} {'macro-F1':>8s}")
    for sample, filename in SAMPLES.items():
        texts, truth = load(args.data / filename, args.rows)
        labels = sorted(set(truth))
        majority, base = majority_baseline(truth, labels)
        descriptions = descriptions_for(sample, labels)
        variants: dict[str, list[str]] = {
            f"majority baseline ({majority})": [majority] * len(truth),
            "previous default (v0.1, one template)": previous_default(
                classifier, texts, labels, calibrate=False
            ),
            "  + content-free calibration (not adopted)": previous_default(
                classifier, texts, labels, calibrate=True
            ),
            "raw names, pipeline template 'This example is {}.'": engine_predictions(
                classifier, texts, labels, hypothesis_templates=(PIPELINE_TEMPLATE,)
            ),
            "today's defaults (no template, no options)": engine_predictions(classifier, texts, labels),
            "template ensemble (3 templates)": engine_predictions(
                classifier, texts, labels, hypothesis_templates=ENSEMBLE
            ),
            "label descriptions (examples/), defaults": engine_predictions(
                classifier, texts, labels, label_descriptions=descriptions
            ),
            "label descriptions + template ensemble": engine_predictions(
                classifier, texts, labels, label_descriptions=descriptions, hypothesis_templates=ENSEMBLE
            ),
        }
        for name, predicted in variants.items():
            result = base if name.startswith("majority") else score(truth, predicted, labels)
            print(f"{name:58s} {sample:12s} {result.accuracy:8.3f} {result.macro_f1:8.3f}")

    texts, truth = load(args.data / SAMPLES["agnews"], 32)
    labels = tuple(sorted(set(truth)))
    long_text = " ".join(texts)  # ~32 articles in one text: several windows
    one = ClassificationTask(
        texts=tuple(texts), labels=labels, is_batch=True, hypothesis_templates=(PIPELINE_TEMPLATE,)
    )
    ensemble = ClassificationTask(
        texts=tuple(texts), labels=labels, is_batch=True, hypothesis_templates=ENSEMBLE
    )
    windowed = ClassificationTask(
        texts=(long_text,), labels=labels, hypothesis_templates=(PIPELINE_TEMPLATE,)
    )
    [[long_result]] = classifier.classify_many([windowed])
    print("\nlatency (embedding method; hypothesis embeddings cached after the first request)")
    classifier.classify(ensemble)  # warm the hypothesis cache for every variant
    rates = requests_per_second(
        {
            "one": lambda: classifier.classify(one),
            "ensemble": lambda: classifier.classify(ensemble),
            "windowed": lambda: classifier.classify(windowed),
        }
    )
    print(f"  32 texts, 1 template   : {rates['one']:7.2f} requests/s")
    ratio = rates["ensemble"] / rates["one"]
    print(f"  32 texts, 3 templates  : {rates['ensemble']:7.2f} requests/s  ({ratio:.2f}x)")
    print(
        f"  1 text of {len(long_text)} chars, {long_result.windows} windows: "
        f"{rates['windowed']:7.2f} requests/s"
        f"  ({rates['windowed'] / rates['one']:.2f}x; the same characters as the 32 texts)"
    )
    print(
        "  NLI scores every (window, label, template) pair: its requests slow down by the pair count, at an"
        " unchanged rate per pair (bench/engine.py measures pairs/s)."
    )


if __name__ == "__main__":
    main()
