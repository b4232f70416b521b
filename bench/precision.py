"""Precision and threads, side by side in one run: fp32 vs bf16 vs int8, and workers x threads.

(1) Speed and top-1 agreement with fp32 of bf16 and int8 (zstc_engine.precision.convert, the same
conversion the endpoint gates) on both shared samples: the offline MiniLM on every text of
resolutions (10 labels) and AG News (4 labels), with accuracy beside the majority baseline; and a
BART with bart-large-mnli's shape (random weights: its agreement means nothing, its speed does).
Timing alternates precisions round by round and takes each one's median. Rows: fp32 as it serves by
default (the `auto` Linear kernel), fp32 on torch's own Linear, bf16, int8 (bf16 activations) and
int8 with fp32 activations (what int8 would be without native bf16, so it falls back to fp32 there).

(2) Workers x threads on this machine: W processes, each running torch with T threads, together
classify the same texts; records/s for 1xN, Nx1 and the oversubscribed NxN (N = cores).

Usage: .venv/bin/python bench/precision.py [--texts 500] [--bart-texts 24] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "inference")]
from common import SHARED_DATA  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
SAMPLES = {"resolutions": "resolutions-sample.csv", "agnews": "agnews-sample.csv"}
SHARED = SHARED_DATA


def _sample(name: str, count: int) -> tuple[list[str], list[str], list[str]]:
    path = SHARED / SAMPLES[name]
    if not path.is_file():
        path = REPO / "examples" / SAMPLES[name]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = sorted({row["category"] for row in rows})
    rows = rows[:count]
    return [row["text"] for row in rows], [row["category"] for row in rows], labels


def _tops(classifier: Any, texts: list[str], labels: list[str]) -> tuple[list[str], float]:
    from zstc_engine.protocol import ClassificationTask  # noqa: PLC0415

    if hasattr(classifier, "_hypothesis_cache"):
        classifier._hypothesis_cache.clear()  # each precision embeds its own hypotheses
    tasks = [ClassificationTask(texts=(text,), labels=tuple(labels)) for text in texts]
    start = time.perf_counter()
    results = classifier.classify_many(tasks)
    return [r[0].labels[0] for r in results], time.perf_counter() - start


def precision_table(name: str, model_dir: str, samples: dict[str, Any], rounds: int) -> None:
    """Print speed and agreement of each precision on each sample."""
    import torch  # noqa: PLC0415

    import zstc_engine.precision as zstc_precision  # noqa: PLC0415
    from zstc_engine.loading import load_classifier  # noqa: PLC0415
    from zstc_engine.precision import convert  # noqa: PLC0415

    base = load_classifier(model_dir, environ={"ZSTC_PRECISION": "fp32"})  # the default Linear kernel
    model = base.model  # type: ignore[attr-defined]
    plain = load_classifier(model_dir, environ={"ZSTC_PRECISION": "fp32", "ZSTC_LINEAR_KERNEL": "default"})
    print(f"\n{name}: fp32 serves with the {base.linear_kernel} Linear kernel")
    classifiers = {"fp32": base, "fp32 torch-lin": plain}
    for precision in ("bf16", "int8", "int8 fp32-act"):
        reduced = type(base).__new__(type(base))
        reduced.__dict__.update(base.__dict__)
        if precision == "int8 fp32-act":  # what int8 would be on a CPU without native bf16
            native = zstc_precision.native_bf16
            zstc_precision.native_bf16 = lambda: False
            try:
                reduced.model = convert(model, "int8")  # type: ignore[attr-defined]
            finally:
                zstc_precision.native_bf16 = native
        else:
            reduced.model = convert(model, precision)  # type: ignore[attr-defined]
        if hasattr(base, "_hypothesis_cache"):
            reduced._hypothesis_cache = type(base._hypothesis_cache)()  # type: ignore[attr-defined]
        classifiers[precision] = reduced
    print(f"\n{name} (torch threads {torch.get_num_threads()})")
    print(
        f"  {'sample':12} {'precision':13} {'texts/s':>8} {'speedup':>8} {'top-1 agree':>11} {'accuracy':>9}"
    )
    for sample, (texts, truth, labels) in samples.items():
        seconds: dict[str, list[float]] = {p: [] for p in classifiers}
        tops: dict[str, list[str]] = {}
        for _ in range(rounds):
            for precision, classifier in classifiers.items():
                tops[precision], elapsed = _tops(classifier, texts, labels)
                seconds[precision].append(elapsed)
        fp32_time = statistics.median(seconds["fp32"])
        majority = max(truth.count(label) for label in set(truth)) / len(truth)
        for precision in classifiers:
            median = statistics.median(seconds[precision])
            agree = sum(a == b for a, b in zip(tops[precision], tops["fp32"], strict=True)) / len(texts)
            accuracy = sum(a == b for a, b in zip(tops[precision], truth, strict=True)) / len(texts)
            print(
                f"  {sample:12} {precision:13} {len(texts) / median:8.1f} {fp32_time / median:7.2f}x "
                f"{agree:10.1%} {accuracy:9.3f}"
            )
        print(f"  {sample:12} majority-class baseline accuracy {majority:.3f}")


def worker(config: dict[str, Any]) -> None:
    """One model-server worker: T torch threads, classify its share of texts, print its seconds."""
    from zstc_engine.loading import load_classifier  # noqa: PLC0415

    classifier = load_classifier(config["model_dir"], environ={"ZSTC_TORCH_THREADS": str(config["threads"])})
    texts, _, labels = _sample("resolutions", config["texts"])
    _tops(classifier, texts[:2], labels)  # warm-up
    print("READY", flush=True)
    sys.stdin.readline()  # all workers start together
    _, elapsed = _tops(classifier, texts, labels)
    print(json.dumps({"seconds": elapsed}), flush=True)


def workers_threads(name: str, model_dir: str, texts: int) -> None:
    """Records/s of W processes x T threads for 1xN, Nx1 and NxN."""
    cores = len(os.sched_getaffinity(0))
    print(f"\n{name}: workers x torch threads on {cores} cores, {texts} texts per worker")
    results = {}
    for workers, threads in ((1, cores), (cores, 1), (cores, cores)):
        code = (
            f"import json, sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import precision; "
            "precision.worker(json.loads(sys.argv[1]))"
        )
        config = json.dumps({"model_dir": model_dir, "threads": threads, "texts": texts})
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, config],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=REPO,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            while proc.stdout and proc.stdout.readline().strip() != "READY":
                pass
        start = time.perf_counter()
        for proc in procs:
            assert proc.stdin
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            proc.communicate(timeout=900)
        wall = time.perf_counter() - start
        results[(workers, threads)] = workers * texts / wall
        note = "  <- oversubscribed" if workers * threads > cores else ""
        print(
            f"  {workers} worker(s) x {threads} thread(s): {results[(workers, threads)]:7.2f} texts/s{note}"
        )
    best = max(results.values())
    print(f"  oversubscribed / best: {results[(cores, cores)] / best:.2f}x")


def main() -> None:
    """Run both comparisons and print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=500, help="texts per shared sample for MiniLM")
    parser.add_argument("--bart-texts", type=int, default=24)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker-texts", type=int, default=60)
    args = parser.parse_args()

    from tests.support.tiny_models import build_bart_nli  # noqa: PLC0415

    from zstc_engine.loading import default_model_dir  # noqa: PLC0415

    minilm = str(default_model_dir())
    samples = {name: _sample(name, args.texts) for name in SAMPLES}
    precision_table("MiniLM (offline all-MiniLM-L6-v2, embedding method)", minilm, samples, args.rounds)
    with tempfile.TemporaryDirectory() as scratch:
        corpus = _sample("resolutions", 500)[0]
        bart = str(build_bart_nli(Path(scratch) / "bart", corpus, layers=args.layers))
        short = {
            name: (t[: args.bart_texts], y[: args.bart_texts], labels)
            for name, (t, y, labels) in samples.items()
        }
        precision_table(
            f"BART (bart-large-mnli shape, {args.layers}+{args.layers} layers, "
            "random weights: agreement meaningless)",
            bart,
            short,
            args.rounds,
        )
        workers_threads("MiniLM", minilm, args.worker_texts)
        workers_threads(f"BART ({args.layers}+{args.layers} layers)", bart, max(4, args.bart_texts // 3))


if __name__ == "__main__":
    main()
