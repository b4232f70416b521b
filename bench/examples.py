"""Label examples with the offline model: which rule combines them with the label's hypotheses.

Three shared samples (../shared/data), each with 8 examples per label:

- BANKING77 (500 test rows, 77 labels): the first 8 rows per intent of banking77-examples.csv (train);
- AG News (500 rows, 4 topics) and New Year's resolutions (500 tweets, 10 skewed labels): 8 rows per
  label drawn (seeded) from the sample itself, at most half of a label's rows (Philanthropic has 4),
  and scored on the remaining rows only.

The scored rows of each sample are split in two halves (even and odd positions): rules are compared on
half A (tuning), and the chosen one is checked on half B, which took no part in choosing it. Every
rule is computed from the engine's own embeddings (texts' windows, hypotheses, examples); the chosen
rule is then run end to end through ``EmbeddingClassifier.classify`` with ``label_examples``, and its
scores must equal the offline computation. Accuracy and macro-F1 are reported beside the
majority-class baseline and the zero-shot defaults. Not run in CI (minutes on two cores).

Usage: .venv/bin/python bench/examples.py [--data ../shared/data] [--per-label 8]
"""

from __future__ import annotations

import argparse
import collections
import csv
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "inference"), str(REPO / "local"), str(REPO / "cli")]
import torch  # noqa: E402

from common import SHARED_DATA  # noqa: E402
from zstc_cli.evaluation.metrics import majority_baseline, score  # noqa: E402
from zstc_engine.embedding import EXAMPLE_WEIGHT, EmbeddingClassifier  # noqa: E402
from zstc_engine.loading import load_classifier  # noqa: E402
from zstc_engine.protocol import ClassificationTask  # noqa: E402

SEED = 2026
CHUNK = 32  # texts per request, the API's limit


@dataclass
class Sample:
    """One data set: its labels, the examples per label and the rows scored."""

    name: str
    labels: list[str]
    examples: dict[str, list[str]]
    texts: list[str]
    truth: list[str]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def samples(data: Path, per_label: int) -> Iterator[Sample]:
    """The three samples with their examples (see the module docstring for where they come from)."""
    banking = _rows(data / "banking77-sample.csv")
    examples: dict[str, list[str]] = collections.defaultdict(list)
    for row in _rows(data / "banking77-examples.csv"):
        if len(examples[row["category"]]) < per_label:
            examples[row["category"]].append(row["text"])
    labels = sorted({row["category"] for row in banking})
    yield Sample(
        "BANKING77", labels, dict(examples), [r["text"] for r in banking], [r["category"] for r in banking]
    )
    for name, filename in (("AG News", "agnews-sample.csv"), ("resolutions", "resolutions-sample.csv")):
        rows = _rows(data / filename)
        shuffled = rows[:]
        random.Random(SEED).shuffle(shuffled)
        by_label: dict[str, list[dict[str, str]]] = collections.defaultdict(list)
        for row in shuffled:
            by_label[row["category"]].append(row)
        taken = {label: found[: min(per_label, len(found) // 2)] for label, found in by_label.items()}
        used = {row["id"] for found in taken.values() for row in found}
        scored = [row for row in rows if row["id"] not in used]
        yield Sample(
            name,
            sorted(by_label),
            {label: [row["text"] for row in found] for label, found in taken.items() if found},
            [row["text"] for row in scored],
            [row["category"] for row in scored],
        )


@dataclass
class Parts:
    """Per window of the scored texts: the hypothesis similarity and the example similarities."""

    owners: torch.Tensor  # the text of each window
    hypotheses: torch.Tensor  # [windows, labels]
    prototype: torch.Tensor
    nearest: torch.Tensor


def parts(classifier: EmbeddingClassifier, sample: Sample) -> Parts:
    """The engine's similarities, computed once for every rule."""
    task = ClassificationTask(texts=tuple(sample.texts), labels=tuple(sample.labels), is_batch=True)
    [(plan, hypotheses)] = classifier.label_similarity([task])
    owners = torch.tensor([index for index, (_, windows) in enumerate(plan) for _ in windows])
    windows = classifier.embed([window.of(text) for text, ws in plan for window in ws])
    prototype, nearest = hypotheses.clone(), hypotheses.clone()
    for index, label in enumerate(sample.labels):
        texts = sample.examples.get(label)
        if texts:
            vectors = classifier.example_vectors(texts)
            similarity = windows @ vectors.T
            prototype[:, index] = windows @ torch.nn.functional.normalize(vectors.mean(0), dim=-1)
            nearest[:, index] = similarity.max(dim=1).values
    return Parts(owners, hypotheses, prototype, nearest)


Rule = Callable[[Parts], torch.Tensor]


def _blend(weight: float, examples: Callable[[Parts], torch.Tensor]) -> Rule:
    return lambda p: weight * examples(p) + (1 - weight) * p.hypotheses


def _both(p: Parts) -> torch.Tensor:
    return (p.prototype + p.nearest) / 2


RULES: dict[str, Rule] = {
    "zero-shot (hypotheses only, today's default)": lambda p: p.hypotheses,
    "prototype only": lambda p: p.prototype,
    "nearest example only": lambda p: p.nearest,
    **{f"{w} x prototype + {1 - w:.1f} x hypotheses": _blend(w, lambda p: p.prototype) for w in (0.5, 0.8)},
    **{f"{w} x nearest + {1 - w:.1f} x hypotheses": _blend(w, lambda p: p.nearest) for w in (0.5, 0.8)},
    **{
        f"{w} x (prototype+nearest)/2 + {1 - w:.1f} x hypotheses": _blend(w, _both)
        for w in (0.5, 0.6, 0.8, 0.9)
    },
}
CHOSEN = f"{EXAMPLE_WEIGHT} x (prototype+nearest)/2 + {1 - EXAMPLE_WEIGHT:.1f} x hypotheses"


def predictions(sample: Sample, p: Parts, rule: Rule) -> list[str]:
    """Top label per text: each label's best window under ``rule``."""
    combined = rule(p)
    best = torch.full((len(sample.texts), combined.shape[1]), -torch.inf)
    best = best.scatter_reduce(0, p.owners[:, None].expand_as(combined), combined, reduce="amax")
    return [sample.labels[i] for i in best.argmax(dim=1).tolist()]


def engine_predictions(classifier: EmbeddingClassifier, sample: Sample) -> list[str]:
    """The chosen rule end to end: requests of ``CHUNK`` texts with ``label_examples``."""
    examples = tuple(tuple(sample.examples.get(label, ())) for label in sample.labels)
    predicted: list[str] = []
    for start in range(0, len(sample.texts), CHUNK):
        task = ClassificationTask(
            texts=tuple(sample.texts[start : start + CHUNK]),
            labels=tuple(sample.labels),
            is_batch=True,
            label_examples=examples,
        )
        predicted += [result.labels[0] for result in classifier.classify(task)]
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=SHARED_DATA, help="the shared samples (ZSTC_SHARED_DATA)"
    )
    parser.add_argument("--per-label", type=int, default=8, help="examples per label (default 8)")
    args = parser.parse_args()
    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier), "the offline default is the embedding method"
    print(f"offline model, embedding method; {args.per_label} examples per label; macro-F1 on halves A/B")
    print(f"{'rule':58s} {'sample':12s} {'F1 A':>6s} {'F1 B':>6s} {'acc':>6s} {'F1 all':>6s}")
    tuning: dict[str, list[float]] = collections.defaultdict(list)
    for sample in samples(args.data, args.per_label):
        p = parts(classifier, sample)
        n = len(sample.texts)
        halves = (range(0, n, 2), range(1, n, 2))
        majority, base = majority_baseline(sample.truth, sample.labels)
        print(
            f"{'majority baseline (' + majority + ')':58s} {sample.name:12s} {'':>6s} {'':>6s} "
            f"{base.accuracy:6.3f} {base.macro_f1:6.3f}"
        )
        for name, rule in RULES.items():
            predicted = predictions(sample, p, rule)
            half_f1 = [
                score([sample.truth[i] for i in half], [predicted[i] for i in half], sample.labels).macro_f1
                for half in halves
            ]
            tuning[name].append(half_f1[0])
            result = score(sample.truth, predicted, sample.labels)
            mark = " <- chosen" if name == CHOSEN else ""
            print(
                f"{name:58s} {sample.name:12s} {half_f1[0]:6.3f} {half_f1[1]:6.3f} "
                f"{result.accuracy:6.3f} {result.macro_f1:6.3f}{mark}"
            )
        through = engine_predictions(classifier, sample)
        result = score(sample.truth, through, sample.labels)
        agree = sum(a == b for a, b in zip(through, predictions(sample, p, RULES[CHOSEN]), strict=True)) / n
        print(
            f"{'the chosen rule through the engine (label_examples)':58s} {sample.name:12s} {'':13s} "
            f"{result.accuracy:6.3f} {result.macro_f1:6.3f} (agrees with the offline rule on {agree:.3f})"
        )
    print("\nmean macro-F1 on the tuning halves (A) of the three samples:")
    for name, values in sorted(tuning.items(), key=lambda item: -sum(item[1])):
        print(f"  {sum(values) / len(values):.3f}  {name}")


if __name__ == "__main__":
    main()
