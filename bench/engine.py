"""Engine throughput beside the transformers pipeline as the stock handler calls it, in one run.

(1) NLI, at parity (fp32, decoder cache off): (a) the ``zero-shot-classification`` pipeline, called as
the Hugging Face inference toolkit's default handler does (one request at a time, the pipeline's default
batch size), and (b) zstc's engine with torch's own Linear layers and with the oneDNN Linear kernel
(ZSTC_LINEAR_KERNEL=onednn; `auto`, the default, picks it where faster), each at 1 worker x N torch
threads and N workers x 1 thread on N cores (workers are processes started together, each classifying
its share of the texts). Two workloads: tweet-length (the resolutions sample, 10 labels) and news-length
(the AG News sample, 4 labels). The ratio that counts is the engine's best setting over the pipeline's
best setting; the stock toolkit's own default (one worker per core, each using every core) is
oversubscribed and slower, so it is not the baseline. Rounds alternate settings; each setting's median
is reported.

Model: a BART with bart-large-mnli's shape and random weights (weights do not change speed; fewer
layers to fit the time; --layers 12 is the full shape), its tokenizer trained on both samples.

(2) The offline MiniLM (its baseline: feature-extraction embeddings per text and per hypothesis,
one call each, as a stock handler would, then cosine similarity), and (3) records/s of the local
endpoint for one JSON Lines request of 64 records versus 64 single-record requests.

Usage: .venv/bin/python bench/engine.py [--texts 24] [--layers 3] [--rounds 2] [--parts nli,minilm,endpoint]
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
sys.path[:0] = [str(REPO), str(REPO / "layers" / "shared"), str(REPO / "local"), str(REPO / "inference")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from common import SHARED_DATA, peak_rss_mb  # noqa: E402

LABELS = [
    "Career",
    "Education/Training",
    "Family/Friends/Relationships",
    "Finance",
    "Health & Fitness",
    "Humor",
    "Personal Growth",
    "Philanthropic",
    "Recreation & Leisure",
    "Time Management/Organization",
]
TEMPLATE = "This example is {}."
SHARED = SHARED_DATA
WORKLOADS = {"tweet-length": "resolutions-sample.csv", "news-length": "agnews-sample.csv"}
"""Workload name -> sample file (in ZSTC_SHARED_DATA, else examples/); labels: the sample's categories."""
KERNELS = {"torch Linear": "default", "oneDNN Linear": "onednn"}


def _texts(count: int) -> list[str]:
    with (REPO / "examples" / "resolutions-sample.csv").open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)][:count]


def _workload(name: str, count: int) -> tuple[list[str], list[str]] | None:
    """``(texts, labels)`` of a workload, or None when its sample file is not on this machine."""
    for folder in (SHARED, REPO / "examples"):
        path = folder / WORKLOADS[name]
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
            return [row["text"] for row in rows[:count]], sorted({row["category"] for row in rows})
    return None


# --- child process: one configuration ------------------------------------------------------------


def child(config: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration, return timing, peak RSS and the scores (for the parity check)."""
    import torch  # noqa: PLC0415

    torch.manual_seed(0)
    texts = _texts(config["texts"])
    pairs = len(texts) * len(LABELS)
    model_dir = config["model_dir"]
    if config["runner"] == "feature-extraction":
        from transformers import pipeline  # noqa: PLC0415

        extract = pipeline("feature-extraction", model=model_dir, device="cpu")

        def embed(sentence: str) -> torch.Tensor:
            vector = torch.tensor(extract(sentence)[0]).mean(dim=0)
            return vector / vector.norm()

        embed(texts[0])
        start = time.perf_counter()
        scores = []
        for text in texts:  # a stock handler: one call per sentence, no cache
            text_vector = embed(text)
            similarity = torch.stack([text_vector @ embed(TEMPLATE.format(label)) for label in LABELS])
            scores.append(dict(zip(LABELS, torch.softmax(similarity / 0.05, dim=0).tolist(), strict=True)))
        elapsed = time.perf_counter() - start
    else:
        from zstc_engine.loading import load_classifier  # noqa: PLC0415
        from zstc_engine.protocol import ClassificationTask  # noqa: PLC0415

        engine = load_classifier(model_dir)
        engine.classify(
            ClassificationTask(texts=(texts[0],), labels=tuple(LABELS), hypothesis_templates=(TEMPLATE,))
        )
        if hasattr(engine, "_hypothesis_cache"):
            engine._hypothesis_cache.clear()  # measure from a cold label cache
        start = time.perf_counter()
        # As the endpoint receives them: one request per text (the MultiRecord case is measured below).
        tasks = [
            ClassificationTask(texts=(text,), labels=tuple(LABELS), hypothesis_templates=(TEMPLATE,))
            for text in texts
        ]
        results = engine.classify_many(tasks)
        elapsed = time.perf_counter() - start
        scores = [dict(zip(r[0].labels, r[0].scores, strict=True)) for r in results]
    return {"pairs": pairs, "seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "scores": scores}


def nli_worker(config: dict[str, Any]) -> None:
    """One worker of a setting: load, warm up, print READY, wait for a line on stdin, classify its share.

    Prints ``{"seconds", "peak_rss_mb", "scores"}`` (scores per text, by the text's index).
    """
    import torch  # noqa: PLC0415

    loaded = _workload(config["workload"], config["texts"])
    assert loaded is not None
    texts, labels = loaded
    mine = list(range(config["index"], len(texts), config["workers"]))
    if config["runner"] == "pipeline":
        from transformers import pipeline  # noqa: PLC0415

        torch.set_num_threads(config["threads"])
        classify = pipeline("zero-shot-classification", model=config["model_dir"], device="cpu")
        classify(texts[0], candidate_labels=labels, hypothesis_template=TEMPLATE)  # warm-up

        def run() -> list[dict[str, float]]:
            answers = [
                classify(texts[i], candidate_labels=labels, hypothesis_template=TEMPLATE) for i in mine
            ]
            return [dict(zip(a["labels"], a["scores"], strict=True)) for a in answers]

    else:
        from zstc_engine.loading import load_classifier  # noqa: PLC0415
        from zstc_engine.protocol import ClassificationTask  # noqa: PLC0415

        engine = load_classifier(
            config["model_dir"],
            environ={"ZSTC_TORCH_THREADS": str(config["threads"]), "ZSTC_LINEAR_KERNEL": config["kernel"]},
        )
        assert engine.linear_kernel == config["kernel"], engine.linear_kernel

        def tasks(indexes: list[int]) -> list[ClassificationTask]:  # one request per text, as they arrive
            return [
                ClassificationTask(texts=(texts[i],), labels=tuple(labels), hypothesis_templates=(TEMPLATE,))
                for i in indexes
            ]

        engine.classify_many(tasks(mine[:1]))  # warm-up

        def run() -> list[dict[str, float]]:
            results = engine.classify_many(tasks(mine))
            return [dict(zip(r[0].labels, r[0].scores, strict=True)) for r in results]

    print("READY", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    scores = run()
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {"seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "scores": dict(zip(mine, scores, strict=True))}
        ),
        flush=True,
    )


def endpoint_child(config: dict[str, Any]) -> dict[str, Any]:
    """Records/s through the local endpoint: one 64-record JSON Lines request vs 64 JSON requests."""
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    from zstc_engine.loading import load_classifier  # noqa: PLC0415
    from zstc_local.endpoint import LocalEndpoint  # noqa: PLC0415

    texts = _texts(64)
    server = LocalEndpoint(load_classifier(config["model_dir"]), "bench", port=0)
    server.start()
    runtime = boto3.client(
        "sagemaker-runtime",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(read_timeout=900, retries={"total_max_attempts": 1}),
    )
    records = [
        {"id": i, "inputs": t, "parameters": {"candidate_labels": LABELS}} for i, t in enumerate(texts)
    ]

    def one_request() -> None:
        body = "\n".join(json.dumps(r) for r in records)
        runtime.invoke_endpoint(
            EndpointName="bench",
            ContentType="application/jsonlines",
            Accept="application/jsonlines",
            Body=body,
        )["Body"].read()

    def many_requests() -> None:
        for record in records:
            body = json.dumps({"inputs": record["inputs"], "parameters": record["parameters"]})
            runtime.invoke_endpoint(EndpointName="bench", ContentType="application/json", Body=body)[
                "Body"
            ].read()

    one_request()  # warm-up (also fills the embedding label cache, for both alike)
    timings: dict[str, list[float]] = {"jsonl": [], "single": []}
    for _ in range(config["rounds"]):
        for name, run in (("jsonl", one_request), ("single", many_requests)):
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    server.stop()
    return {name: 64 / statistics.median(values) for name, values in timings.items()}


# --- parent: orchestration and report --------------------------------------------------------------


def _run_child(function: str, config: dict[str, Any]) -> dict[str, Any]:
    code = (
        f"import json, sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import engine; "
        f"print(json.dumps(engine.{function}(json.loads(sys.argv[1]))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(config)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def _compare(name: str, baseline_runner: str, model_dir: str, args: argparse.Namespace) -> None:
    runs: dict[str, list[dict[str, Any]]] = {baseline_runner: [], "engine": []}
    for _ in range(args.rounds):
        for runner, results in runs.items():
            results.append(
                _run_child("child", {"runner": runner, "model_dir": model_dir, "texts": args.minilm_texts})
            )
    rate = {
        runner: statistics.median(r["pairs"] / r["seconds"] for r in results)
        for runner, results in runs.items()
    }
    memory = {runner: max(r["peak_rss_mb"] for r in results) for runner, results in runs.items()}
    base_scores, our_scores = runs[baseline_runner][0]["scores"], runs["engine"][0]["scores"]
    difference = max(
        abs(a[label] - b[label]) for a, b in zip(base_scores, our_scores, strict=True) for label in a
    )
    print(
        f"\n{name}: {args.minilm_texts} texts x {len(LABELS)} labels = "
        f"{args.minilm_texts * len(LABELS)} pairs, "
        f"median of {args.rounds} alternating rounds"
    )
    print(f"  {'':24} {'pairs/s':>9} {'peak RSS':>10}")
    print(
        f"  {baseline_runner + ' (stock)':24} {rate[baseline_runner]:9.1f} {memory[baseline_runner]:8.0f} MB"
    )
    print(f"  {'zstc engine':24} {rate['engine']:9.1f} {memory['engine']:8.0f} MB")
    print(
        f"  ratio engine/stock: {rate['engine'] / rate[baseline_runner]:.2f}x   "
        f"max |score difference|: {difference:.2e}"
    )


def _run_setting(config: dict[str, Any]) -> dict[str, Any]:
    """Start ``workers`` processes together; pairs/s of the whole, peak RSS per worker, all scores."""
    code = (
        f"import json, sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import engine; "
        "engine.nli_worker(json.loads(sys.argv[1]))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, json.dumps({**config, "index": index})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for index in range(config["workers"])
    ]
    for proc in procs:
        assert proc.stdout is not None
        while (line := proc.stdout.readline()) and line.strip() != "READY":
            pass
        if not line:
            raise RuntimeError(proc.communicate()[1][-3000:])
    start = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=3600) for proc in procs]
    wall = time.perf_counter() - start
    scores: dict[int, dict[str, float]] = {}
    memory = 0.0
    for proc, (out, err) in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(err[-3000:])
        result = json.loads(out.strip().splitlines()[-1])
        scores.update({int(index): value for index, value in result["scores"].items()})
        memory = max(memory, result["peak_rss_mb"])
    return {"seconds": wall, "peak_rss_mb": memory, "scores": scores}


def nli_table(name: str, model_dir: str, workload: str, args: argparse.Namespace) -> None:
    """Pipeline vs engine (torch / oneDNN Linear) at 1 x N and N x 1 on one workload, side by side."""
    loaded = _workload(workload, args.texts)
    if loaded is None:
        print(f"\n{workload}: {WORKLOADS[workload]} is not on this machine (set ZSTC_SHARED_DATA); skipped")
        return
    texts, labels = loaded
    cores = len(os.sched_getaffinity(0))
    layouts = [(1, cores), (cores, 1)] if cores > 1 else [(1, 1)]
    settings = [("pipeline (stock)", "pipeline", "default", w, t) for w, t in layouts]
    settings += [
        (f"engine, {kernel}", "engine", value, w, t) for kernel, value in KERNELS.items() for w, t in layouts
    ]
    runs: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(settings))}
    for _ in range(args.rounds):
        for i, (_, runner, kernel, workers, threads) in enumerate(settings):
            runs[i].append(
                _run_setting(
                    {
                        "runner": runner,
                        "kernel": kernel,
                        "workers": workers,
                        "threads": threads,
                        "model_dir": model_dir,
                        "workload": workload,
                        "texts": len(texts),
                    }
                )
            )
    pairs = len(texts) * len(labels)
    rate = {i: statistics.median(pairs / r["seconds"] for r in results) for i, results in runs.items()}
    pipelines = [i for i, setting in enumerate(settings) if setting[1] == "pipeline"]
    reference = runs[pipelines[0]][0]["scores"]
    best_pipeline = max(rate[i] for i in pipelines)
    print(
        f"\n{name}, {workload}: {len(texts)} texts x {len(labels)} labels = {pairs} pairs, "
        f"{cores} cores, median of {args.rounds} alternating rounds"
    )
    print(
        f"  {'setting':38} {'pairs/s':>8} {'vs best pipeline':>17} {'peak RSS/worker':>16} {'max |diff|':>11}"
    )
    for i, (label, _, _, workers, threads) in enumerate(settings):
        difference = max(
            abs(reference[t][label_name] - r["scores"][t][label_name])
            for r in runs[i]
            for t in reference
            for label_name in reference[t]
        )
        memory = max(r["peak_rss_mb"] for r in runs[i])
        print(
            f"  {label + f' {workers}x{threads}':38} {rate[i]:8.2f} {rate[i] / best_pipeline:16.2f}x "
            f"{memory:13.0f} MB {difference:11.1e}"
        )
    engines = [i for i in runs if i not in pipelines]
    best = max(engines, key=lambda i: rate[i])
    label, _, _, workers, threads = settings[best]
    print(
        f"  engine at its best ({label} {workers}x{threads}) / pipeline at its best: "
        f"{rate[best] / best_pipeline:.2f}x; / pipeline 1x{cores}: {rate[best] / rate[pipelines[0]]:.2f}x"
    )


def main() -> None:
    """Build the models, run every comparison, print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=24, help="texts per NLI workload (max 500)")
    parser.add_argument("--minilm-texts", type=int, default=60, help="resolutions for MiniLM (max 500)")
    parser.add_argument(
        "--layers", type=int, default=3, help="encoder and decoder layers of the BART (12 = full)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--parts", default="nli,minilm,endpoint", help="comma-separated: nli, minilm, endpoint"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    from tests.support.tiny_models import build_bart_nli  # noqa: PLC0415

    from zstc_engine.loading import default_model_dir  # noqa: PLC0415

    print(f"torch threads: {os.cpu_count()} cores on this machine")
    with tempfile.TemporaryDirectory() as scratch:
        corpus = [TEMPLATE.format(label) for label in LABELS]
        for workload in WORKLOADS:
            texts_and_labels = _workload(workload, 500)
            if texts_and_labels:
                corpus += texts_and_labels[0] + [TEMPLATE.format(label) for label in texts_and_labels[1]]
        bart = str(build_bart_nli(Path(scratch) / "bart-large-mnli-shape", corpus, layers=args.layers))
        bart_name = f"BART (bart-large-mnli shape, {args.layers}+{args.layers} layers, random weights)"
        if "nli" in parts:
            for workload in WORKLOADS:
                nli_table(bart_name, bart, workload, args)
        minilm = str(default_model_dir())
        if "minilm" in parts:
            _compare(
                "MiniLM (offline all-MiniLM-L6-v2, embedding method)", "feature-extraction", minilm, args
            )
        if "endpoint" in parts:
            print("\nlocal endpoint, 64 records x 10 labels: one JSON Lines request vs 64 single requests")
            for name, model_dir in (("BART", bart), ("MiniLM", minilm)):
                rates = _run_child("endpoint_child", {"model_dir": model_dir, "rounds": args.rounds})
                print(
                    f"  {name:7} JSON Lines {rates['jsonl']:7.1f} records/s   "
                    f"single {rates['single']:7.1f} records/s   "
                    f"ratio {rates['jsonl'] / rates['single']:.2f}x"
                )


if __name__ == "__main__":
    main()
