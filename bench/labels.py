"""Cost against the number of candidate labels, in one run: 4, 16, 77, 150 and 500 labels.

(1) Embedding method, the offline MiniLM: 64 short texts (BANKING77 sample) per request, texts/s and
p50 per request once the label set is cached, beside the per-label Python loop the engine used before
(reproduced here on the same embeddings), ratios against 4 labels; the first request of a label set
(its hypotheses embedded) and the memory the caches and the process hold at 500 labels.
(2) NLI method: a BART with bart-large-mnli's shape and random weights (--layers per stack; weights
do not change speed), its tokenizer trained on the samples, with the packaged MiniLM as retriever;
--nli-texts texts per request (spread over the sample), the default shortlist (above 32 labels, its
size per text) on both label sets below, ratios against 16 labels, and the mean k it chose; part
``nli-full``: no shortlist (every label), the linear curve.
(3) Shortlist recall: how often the true label is among the retriever's top k on the BANKING77 sample,
at fixed k and with the default shortlist per half (even rows | odd rows) with its mean k; and the
default's k (and recall) when the 77 intents are among 500 labels of either set.

Two label sets beyond BANKING77's 77 intents: ``numbered``, its labels again with a number ("card arrival
2"), near-duplicates that a retriever cannot tell apart (the worst case for a shortlist sized by the
retriever's confidence); ``distinct``, the intents then job titles (Faker's en_US job provider, the
``bench`` dependency group), distinct labels of realistic lengths that no text is about. Rounds
alternate label counts; medians are reported. The machine may be shared: read ratios.

(4) Defaults on the three shared samples, on each half (even and odd rows): majority baseline, the old
default (labels as written) and the new one (identifier-like labels as words), accuracy / macro-F1.
BANKING77 also with its labels as the data set publishes them (``card_arrival``).

Usage: .venv/bin/python bench/labels.py [--rounds 3] [--layers 3] [--nli-texts 8]
       [--parts embedding,nli,nli-full,recall,quality]
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
from zstc_engine.embedding import DEFAULT_TEMPERATURE, EmbeddingClassifier  # noqa: E402
from zstc_engine.loading import load_classifier  # noqa: E402
from zstc_engine.nli import DEFAULT_SHORTLIST, SHORTLIST_ABOVE, NliClassifier, text_shortlists  # noqa: E402
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


def label_set(base: list[str], count: int, distinct: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``count`` labels: the base labels, then ``distinct`` ones, else the base labels numbered."""
    if distinct:
        return (*base, *distinct)[:count]
    return tuple(
        base[i % len(base)] + (f" {i // len(base) + 1}" if i >= len(base) else "") for i in range(count)
    )


def job_titles(count: int) -> tuple[str, ...]:
    """``count`` job titles spread evenly over Faker's en_US list (639, alphabetical; the ``bench``
    dependency group of pyproject.toml)."""
    try:
        from faker.providers.job.en_US import Provider  # noqa: PLC0415
    except ImportError:
        sys.exit(
            "bench/labels.py needs Faker for its distinct label set: .venv/bin/pip install --group bench"
        )
    jobs = sorted(Provider.jobs)
    return tuple(jobs[i * len(jobs) // count] for i in range(count))


def label_sets(base: list[str]) -> dict[str, Callable[[int], tuple[str, ...]]]:
    """The two ways to 500 labels from BANKING77's intents: numbered near-duplicates, distinct titles."""
    distinct = job_titles(max(COUNTS) - len(base))
    return {
        "numbered": lambda count: label_set(base, count),
        "distinct": lambda count: label_set(base, count, distinct),
    }


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


def table(title: str, texts: int, seconds: dict[int, float], mean_k: dict[int, float] | None = None) -> None:
    """Rows of texts/s, p50 per request, ratio against 4 labels (texts/s) and time per text against
    16 labels; with ``mean_k``, the labels the NLI model scored per text."""
    print(title)
    print(
        f"  {'labels':>6s} {'texts/s':>9s} {'p50 ms':>9s} {'vs 4':>6s} {'time vs 16':>10s}"
        + (f" {'mean k':>7s}" if mean_k else "")
    )
    for count, value in seconds.items():
        row = f"  {count:6d} {texts / value:9.1f} {value * 1000:9.1f} {seconds[COUNTS[0]] / value:5.2f}x"
        row += f" {value / seconds[16]:9.2f}x"
        print(row + (f" {mean_k[count]:7.1f}" if mean_k else ""))


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


def default_shortlist_words() -> str:
    """The default shortlist's rule in words, for the tables' titles."""
    rule = DEFAULT_SHORTLIST
    return (
        f"default shortlist above {SHORTLIST_ABOVE} labels: per text the fewest labels holding "
        f"{rule.mass:.0%} of the retriever's softmax at its temperature ({DEFAULT_TEMPERATURE}), "
        f"k {rule.min_k}-{rule.max_k}"
    )


def nli_part(
    base: list[str], texts: list[str], corpus: list[str], layers: int, rounds: int, *, full: bool
) -> None:
    """(2): NLI with the default shortlist on both label sets, and (``full``) without it."""
    from tests.support.tiny_models import build_bart_nli  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as scratch:
        directory = build_bart_nli(Path(scratch) / "bart-large-mnli-shape", corpus, layers=layers)
        classifier = load_classifier(directory, environ={})
    assert isinstance(classifier, NliClassifier)
    sets = label_sets(base)
    tasks = {
        labels: ClassificationTask(texts=tuple(texts), labels=labels, is_batch=True)
        for make in sets.values()
        for labels in map(make, COUNTS)
    }  # the sets share their first 77 labels: those requests are timed once
    mean_k = {}
    for labels, task in tasks.items():  # label sets cached in the retriever; the k each text gets
        results = classifier.classify(task)
        mean_k[labels] = statistics.mean(len(r.shortlist or r.labels) for r in results)
    rss = rss_mb()
    seconds = timed({labels: (lambda t=t: classifier.classify(t)) for labels, t in tasks.items()}, rounds)
    print(
        f"\n(2) NLI method: BART, bart-large-mnli's shape, {layers}+{layers} layers, random weights "
        f"({classifier.linear_kernel} Linear), {len(texts)} texts per request, retriever MiniLM;"
        f" {default_shortlist_words()}"
    )
    for name, make in sets.items():
        table(
            f"  {name} labels, default shortlist:",
            len(texts),
            {n: seconds[make(n)] for n in COUNTS},
            {n: mean_k[make(n)] for n in COUNTS},
        )
    at_k = ClassificationTask(
        texts=tuple(texts), labels=label_set(base, DEFAULT_SHORTLIST.max_k), is_batch=True
    )
    plain_k = timed({0: lambda: classifier.classify(at_k)}, rounds)[0]
    print(f"  {DEFAULT_SHORTLIST.max_k} labels, every label scored: {len(texts) / plain_k:.1f} texts/s")
    for name, make in sets.items():
        ratio = seconds[make(500)] / seconds[make(16)]
        print(
            f"  {name}: time per text at 500 labels with the shortlist / at 16 labels: {ratio:.2f}x "
            f"(target <= 2x), mean k {mean_k[make(500)]:.1f}"
        )
    print(f"  process RSS at 500 labels (both models): {rss:.0f} MB")
    if full:
        numbered = sets["numbered"]
        plain = {
            n: ClassificationTask(texts=tuple(texts), labels=numbered(n), is_batch=True, shortlist=False)
            for n in COUNTS
        }
        without = timed(
            {n: (lambda t=t: classifier.classify(t)) for n, t in plain.items() if n <= 77}, rounds
        )
        without.update(
            timed({n: (lambda t=t: classifier.classify(t)) for n, t in plain.items() if n > 77}, 1)
        )
        table("  no shortlist (every label; 150 and 500 labels: one round):", len(texts), without)


def shortlist_positions(
    classifier: EmbeddingClassifier, labels: tuple[str, ...], texts: list[str], truth: list[str]
) -> tuple[list[int], list[int]]:
    """Per text: the true label's place in the retriever's ranking of ``labels`` (0: first), and the k
    the default shortlist gives it (the engine's own retriever path: the retriever's default templates)."""
    positions: list[int] = []
    sizes: list[int] = []
    for start in range(0, len(texts), 32):
        task = ClassificationTask(texts=tuple(texts[start : start + 32]), labels=labels, is_batch=True)
        [(plan, similarity)] = classifier.label_similarity([task])
        shortlists = text_shortlists(plan, similarity, DEFAULT_SHORTLIST, classifier.temperature)
        for (ranking, k), category in zip(shortlists, truth[start : start + 32], strict=True):
            positions.append(ranking.index(labels.index(category)))
            sizes.append(k)
    return positions, sizes


def recall_part(base: list[str], texts: list[str], truth: list[str]) -> None:
    """(3): recall of the true label in the retriever's top k, fixed and the default's, per half."""
    classifier = load_classifier(environ={})
    assert isinstance(classifier, EmbeddingClassifier)
    sets = label_sets(base)
    print(f"\n(3) shortlist recall on the BANKING77 sample ({len(texts)} rows), retriever MiniLM")
    for name, labels in (
        (f"{len(base)} intents", tuple(base)),
        ("numbered, 500 labels", sets["numbered"](500)),
        ("distinct, 500 labels", sets["distinct"](500)),
    ):
        positions, sizes = shortlist_positions(classifier, labels, texts, truth)
        if len(labels) == len(base):
            fixed = [f"k={k}: {sum(p < k for p in positions) / len(positions):.3f}" for k in RECALL_KS]
            print(f"  {name}, fixed k: " + "  ".join(fixed))
        halves = []
        for half in (0, 1):
            held = [p < k for p, k in zip(positions[half::2], sizes[half::2], strict=True)]
            ks = sizes[half::2]
            at_max = sum(k == DEFAULT_SHORTLIST.max_k for k in ks) / len(ks)
            halves.append(
                f"recall {sum(held) / len(held):.3f}, mean k {statistics.mean(ks):.1f}, "
                f"k = {DEFAULT_SHORTLIST.max_k} for {at_max:.0%}"
            )
        print(f"  {name}, default shortlist (even | odd rows): " + " | ".join(halves))
    print(f"  ({default_shortlist_words()}; numbered: recall of the unnumbered intent only)")


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
    parser.add_argument("--parts", default="embedding,nli,nli-full,recall,quality")
    args = parser.parse_args()
    texts, truth = load(args.data / BANKING)
    base = sorted(set(truth))
    parts = set(args.parts.split(","))
    print(f"torch threads {torch.get_num_threads()}; labels {', '.join(map(str, COUNTS))}")
    if "embedding" in parts:
        embedding_part(base, texts[: args.texts], args.rounds)
    if "nli" in parts:
        spread = texts[:: len(texts) // args.nli_texts][: args.nli_texts]  # rows from the whole sample
        nli_part(base, spread, texts, args.layers, args.rounds, full="nli-full" in parts)
    if "recall" in parts:
        recall_part(base, texts, truth)
    if "quality" in parts:
        quality_part(args.data)


if __name__ == "__main__":
    main()
