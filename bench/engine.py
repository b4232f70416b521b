"""Engine throughput beside the transformers pipeline as the stock handler calls it, in one run.

(a) the ``zero-shot-classification`` pipeline, called as the Hugging Face inference toolkit's
default handler does (one request at a time, the pipeline's default batch size), and (b) zstc's
engine, on the same model, texts (the resolutions sample) and 10 labels. Each configuration runs
in a fresh child process so its peak RSS is its own; rounds alternate a/b to spread machine noise.

Models: a BART with bart-large-mnli's shape and random weights (weights do not change speed; fewer
layers to fit the time), and the offline MiniLM (its baseline: feature-extraction embeddings per
text and per hypothesis, one call each, as a stock handler would, then cosine similarity).

Also: records/s of the local endpoint for one JSON Lines request of 64 records versus 64
single-record requests.

Usage: .venv/bin/python bench/engine.py [--texts 100] [--layers 3] [--rounds 2]
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

from common import peak_rss_mb  # noqa: E402

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


def _texts(count: int) -> list[str]:
    with (REPO / "examples" / "resolutions-sample.csv").open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)][:count]


# --- child process: one configuration ------------------------------------------------------------


def child(config: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration, return timing, peak RSS and the scores (for the parity check)."""
    import torch  # noqa: PLC0415

    torch.manual_seed(0)
    texts = _texts(config["texts"])
    pairs = len(texts) * len(LABELS)
    model_dir = config["model_dir"]
    if config["runner"] == "pipeline":
        from transformers import pipeline  # noqa: PLC0415

        classify = pipeline("zero-shot-classification", model=model_dir, device="cpu")
        classify(texts[0], candidate_labels=LABELS, hypothesis_template=TEMPLATE)  # warm-up
        start = time.perf_counter()
        answers = [classify(text, candidate_labels=LABELS, hypothesis_template=TEMPLATE) for text in texts]
        elapsed = time.perf_counter() - start
        scores = [dict(zip(a["labels"], a["scores"], strict=True)) for a in answers]
    elif config["runner"] == "feature-extraction":
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
        if hasattr(engine, "_label_cache"):
            engine._label_cache.clear()  # measure from a cold label cache
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
                _run_child("child", {"runner": runner, "model_dir": model_dir, "texts": args.texts})
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
        f"\n{name}: {args.texts} texts x {len(LABELS)} labels = {args.texts * len(LABELS)} pairs, "
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


def main() -> None:
    """Build the models, run every comparison, print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=60, help="resolutions to classify (max 500)")
    parser.add_argument(
        "--layers", type=int, default=3, help="encoder and decoder layers of the BART (12 = full)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from tests.support.tiny_models import build_bart_nli  # noqa: PLC0415

    from zstc_engine.loading import default_model_dir  # noqa: PLC0415

    print(f"torch threads: {os.cpu_count()} cores on this machine")
    with tempfile.TemporaryDirectory() as scratch:
        corpus = _texts(500) + [TEMPLATE.format(label) for label in LABELS]
        bart = str(build_bart_nli(Path(scratch) / "bart-large-mnli-shape", corpus, layers=args.layers))
        _compare(
            f"BART (bart-large-mnli shape, {args.layers}+{args.layers} layers, random weights)",
            "pipeline",
            bart,
            args,
        )
        minilm = str(default_model_dir())
        _compare("MiniLM (offline all-MiniLM-L6-v2, embedding method)", "feature-extraction", minilm, args)
        print("\nlocal endpoint, 64 records x 10 labels: one JSON Lines request vs 64 single-record requests")
        for name, model_dir in (("BART", bart), ("MiniLM", minilm)):
            rates = _run_child("endpoint_child", {"model_dir": model_dir, "rounds": args.rounds})
            print(
                f"  {name:7} JSON Lines {rates['jsonl']:7.1f} records/s   "
                f"single {rates['single']:7.1f} records/s   "
                f"ratio {rates['jsonl'] / rates['single']:.2f}x"
            )


if __name__ == "__main__":
    main()
