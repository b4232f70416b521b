"""Cost against the number of candidate labels, in one run: 4, 16, 77, 150 and 500 labels.

(1) Embedding method, the offline MiniLM: 64 short texts (BANKING77 sample) per request, texts/s and
p50 per request once the label set is cached, beside the per-label Python loop the engine used before
(reproduced here on the same embeddings), ratios against 4 labels; the first request of a label set
(its hypotheses embedded) and the memory the caches and the process hold at 500 labels.
(2) NLI method: a BART with bart-large-mnli's shape and random weights (--layers per stack; weights
do not change speed), its tokenizer trained on the samples, with the packaged MiniLM as retriever;
--nli-texts texts per request, the default shortlist (on above 24 labels) and none (every label).
(3) Shortlist recall: how often the true label is among the retriever's top k on the BANKING77 sample.

Labels beyond BANKING77's 77 are its labels with a number ("card arrival 2"), so lengths stay realistic.
Rounds alternate label counts; medians are reported. The machine may be shared: read ratios.

(4) Defaults on the three shared samples, on each half (even and odd rows): majority baseline, the old
default (labels as written) and the new one (identifier-like labels as words), accuracy / macro-F1.
BANKING77 also with its labels as the data set publishes them (``card_arrival``).

Usage: .venv/bin/python bench/labels.py [--rounds 3] [--layers 3] [--nli-texts 8]
       [--parts embedding,nli,recall,quality]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "inference"), str(REPO / "cli"), str(REPO / "local")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import torch  # noqa: E402

from common import SHARED_DATA  # noqa: E402
from zstc_engine.embedding import EmbeddingClassifier, rank_labels  # noqa: E402
from zstc_engine.loading import load_classifier  # noqa: E402
from zstc_engine.nli import DEFAULT_SHORTLIST, SHORTLIST_ABOVE, NliClassifier  # noqa: E402
from zstc_engine.protocol import ClassificationTask  # noqa: E402
from zstc_engine.scoring import score_text  # noqa: E402
from zstc_engine.windows import token_windows  # noqa: E402

COUNTS = (4, 16, 77, 150, 500)
BANKING = "banking77-sample.csv"
RECALL_KS = (1, 5, 10, 16, 20, 24, 32, 48)


def load(path: Path) -> tuple[list[str], list[str]]:
    """Texts and their categories."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def label_set(base: list[str], count: int) -> tuple[str, ...]:
    """``count`` labels: the base labels, then the base labels numbered."""
    return tuple(
        base[i % len(base)] + (f" {i // len(base) + 1}" if i >= len(base) else "") for i in range(count)
    )


def rss_mb() -> float:
    """Current resident set size of this process (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def per_label_loop(classifier: EmbeddingClassifier, task: ClassificationTask) -> None:
    """The embedding scoring before this change: one mask per label, in Python (the reference)."""
    hypotheses, owners = classifier._hypotheses(task)
    vectors = classifier._hypothesis_vectors(hypotheses)
    plans = [(t, token_windows(classifier.tokenizer, t, classifier.max_length - 2)) for t in task.texts]
    window_vectors = classifier.embed([w.of(t) for t, ws in plans for w in ws])
    offset = 0
    for text, windows in plans:
        similarity = window_vectors[offset : offset + len(windows)] @ vectors.T
        offset += len(windows)
        best = torch.stack(
            [similarity[:, owners == index].max(dim=1).values for index in range(len(task.labels))], dim=1
        )
        score_text(text, task, (best / classifier.temperature).unsqueeze(-1), windows, "max")


def timed(runs: dict[Any, Callable[[], object]], rounds: int) -> dict[Any, float]:
    """Median seconds of each run, runs interleaved round by round."""
    timings: dict[Any, list[float]] = {key: [] for key in runs}
    for _ in range(rounds):
        for key, run in runs.items():
            start = time.perf_counter()
            run()
            timings[key].append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in timings.items()}


def table(title: str, texts: int, seconds: dict[int, float]) -> None:
    """Rows of texts/s, p50 per request and ratio against 4 labels."""
    print(title)
    print(f"  {'labels':>6s} {'texts/s':>9s} {'p50 ms':>9s} {'vs 4':>6s}")
    for count, value in seconds.items():
        print(f"  {count:6d} {texts / value:9.1f} {value * 1000:9.1f} {seconds[COUNTS[0]] / value:5.2f}x")


def embedding_part(base: list[str], texts: list[str], rounds: int) -> None:
    """(1): the engine's vectorised scoring and the per-label loop, per label count."""
    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier)
    tasks = {
        n: ClassificationTask(texts=tuple(texts), labels=label_set(base, n), is_batch=True) for n in COUNTS
    }
    first: dict[int, float] = {}
    rss_before = rss_mb()
    for count, task in tasks.items():
        start = time.perf_counter()
        classifier.classify(task)
        first[count] = time.perf_counter() - start
    engine = timed({n: (lambda t=t: classifier.classify(t)) for n, t in tasks.items()}, rounds)
    loop = timed({n: (lambda t=t: per_label_loop(classifier, t)) for n, t in tasks.items()}, rounds)
    print(f"\n(1) embedding method (MiniLM), {len(texts)} texts per request, label set cached")
    table("  engine (one matrix product and segment max per request):", len(texts), engine)
    table("  before (per-label loop, same embeddings):", len(texts), loop)
    print(
        "  first request of a label set (its hypotheses embedded): "
        + ", ".join(f"{n}: {first[n]:.2f} s" for n in COUNTS)
    )
    only_500 = EmbeddingClassifier(classifier.model, classifier.tokenizer, max_length=classifier.max_length)
    only_500.classify(tasks[500])
    print(
        f"  memory at 500 labels: caches {only_500.cache_bytes() / 1024**2:.1f} MB (500 labels alone); "
        f"all five sets {classifier.cache_bytes() / 1024**2:.1f} MB; process RSS {rss_mb():.0f} MB "
        f"(before the label sets {rss_before:.0f} MB)"
    )


def nli_part(base: list[str], texts: list[str], corpus: list[str], layers: int, rounds: int) -> None:
    """(2): NLI with the default shortlist and without, per label count."""
    from tests.support.tiny_models import build_bart_nli  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as scratch:
        directory = build_bart_nli(Path(scratch) / "bart-large-mnli-shape", corpus, layers=layers)
        classifier = load_classifier(directory, environ={})
    assert isinstance(classifier, NliClassifier)
    shortlisted = {
        n: ClassificationTask(texts=tuple(texts), labels=label_set(base, n), is_batch=True) for n in COUNTS
    }
    full = {
        n: ClassificationTask(texts=tuple(texts), labels=label_set(base, n), is_batch=True, shortlist=False)
        for n in COUNTS
    }
    for task in shortlisted.values():  # label sets cached in the retriever
        classifier.classify(task)
    rss = rss_mb()
    with_shortlist = timed({n: (lambda t=t: classifier.classify(t)) for n, t in shortlisted.items()}, rounds)
    cheap = {n: t for n, t in full.items() if n <= 77}
    without = timed({n: (lambda t=t: classifier.classify(t)) for n, t in cheap.items()}, rounds)
    without.update(timed({n: (lambda t=t: classifier.classify(t)) for n, t in full.items() if n > 77}, 1))
    print(
        f"\n(2) NLI method: BART, bart-large-mnli's shape, {layers}+{layers} layers, random weights "
        f"({classifier.linear_kernel} Linear), {len(texts)} texts per request, retriever MiniLM"
    )
    table(
        f"  default shortlist (k = {DEFAULT_SHORTLIST} above {SHORTLIST_ABOVE} labels):",
        len(texts),
        with_shortlist,
    )
    table("  no shortlist (every label; 150 and 500 labels: one round):", len(texts), without)
    at_k = ClassificationTask(texts=tuple(texts), labels=label_set(base, DEFAULT_SHORTLIST), is_batch=True)
    plain_k = timed({0: lambda: classifier.classify(at_k)}, rounds)[0]
    print(
        f"  {DEFAULT_SHORTLIST} labels, every label scored: {len(texts) / plain_k:.1f} texts/s;"
        f" 500 labels with the shortlist at {plain_k / with_shortlist[500]:.2f}x its speed"
    )
    ratio = with_shortlist[500] / with_shortlist[16]
    print(f"  time per text at 500 labels with the shortlist / at 16 labels: {ratio:.2f}x (target <= 2x)")
    print(f"  process RSS at 500 labels (both models): {rss:.0f} MB")


def recall_part(texts: list[str], truth: list[str]) -> None:
    """(3): recall of the true label in the retriever's top k (the engine's own retriever path)."""
    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier)
    labels = tuple(sorted(set(truth)))
    positions: list[int] = []
    for start in range(0, len(texts), 32):
        task = ClassificationTask(texts=tuple(texts[start : start + 32]), labels=labels, is_batch=True)
        [(plan, similarity)] = classifier.label_similarity([task])
        offset = 0
        for (_, windows), category in zip(plan, truth[start : start + 32], strict=True):
            ranking = rank_labels(similarity[offset : offset + len(windows)])
            offset += len(windows)
            positions.append(ranking.index(labels.index(category)))
    print(
        f"\n(3) shortlist recall on the BANKING77 sample ({len(texts)} rows, {len(labels)} labels),"
        " retriever MiniLM"
    )
    print("  " + "  ".join(f"k={k}: {sum(p < k for p in positions) / len(positions):.3f}" for k in RECALL_KS))


QUALITY_SAMPLES = ("banking77-sample.csv", "resolutions-sample.csv", "agnews-sample.csv")


def quality_part(data: Path) -> None:
    """(4): majority / old default / new default per sample and half, through the engine."""
    from zstc_cli.evaluation.metrics import majority_baseline, score  # noqa: PLC0415
    from zstc_engine import embedding  # noqa: PLC0415

    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier)
    print("\n(4) defaults, embedding method (MiniLM): accuracy / macro-F1 per half (even rows | odd rows)")
    print(f"  {'sample':34s} {'majority':>25s} {'old default':>25s} {'new default':>25s}")
    for filename in (*QUALITY_SAMPLES, "published"):
        published = filename == "published"
        texts, truth = load(data / (QUALITY_SAMPLES[0] if published else filename))
        if published:
            truth = [category.replace(" ", "_") for category in truth]
        labels = sorted(set(truth))
        predictions = {}
        for name, words in (("old", lambda phrase: phrase), ("new", embedding.label_words)):
            original = embedding.label_words
            embedding.label_words = words  # the old default compared labels as written
            classifier._label_sets.clear()
            try:
                predictions[name] = [
                    result.labels[0]
                    for start in range(0, len(texts), 32)
                    for result in classifier.classify(
                        ClassificationTask(texts=tuple(texts[start : start + 32]), labels=tuple(labels))
                    )
                ]
            finally:
                embedding.label_words = original
        cells = []
        for variant in ("majority", "old", "new"):
            halves = []
            for half in (0, 1):
                gold = truth[half::2]
                if variant == "majority":
                    result = majority_baseline(gold, labels)[1]
                else:
                    result = score(gold, predictions[variant][half::2], labels)
                halves.append(f"{result.accuracy:.3f}/{result.macro_f1:.3f}")
            cells.append(" | ".join(halves))
        name = "banking77 (labels as published)" if published else filename.removesuffix("-sample.csv")
        print(f"  {name:34s} " + " ".join(f"{cell:>25s}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layers", type=int, default=3, help="encoder and decoder layers of the BART")
    parser.add_argument("--texts", type=int, default=64, help="texts per request, embedding method")
    parser.add_argument("--nli-texts", type=int, default=8, help="texts per request, NLI method")
    parser.add_argument("--parts", default="embedding,nli,recall,quality")
    args = parser.parse_args()
    texts, truth = load(args.data / BANKING)
    base = sorted(set(truth))
    parts = set(args.parts.split(","))
    print(f"torch threads {torch.get_num_threads()}; labels {', '.join(map(str, COUNTS))}")
    if "embedding" in parts:
        embedding_part(base, texts[: args.texts], args.rounds)
    if "nli" in parts:
        nli_part(base, texts[: args.nli_texts], texts, args.layers, args.rounds)
    if "recall" in parts:
        recall_part(texts, truth)
    if "quality" in parts:
        quality_part(args.data)


if __name__ == "__main__":
    main()
