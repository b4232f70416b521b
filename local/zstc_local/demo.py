"""The offline demo: the real-time path end to end on this machine, with a quality check.

Starts the local stack, classifies the seed example through ``POST /classify`` (single- and
multi-label), classifies the resolutions sample and reports accuracy / macro-F1 against the
annotated category beside the majority-class baseline, then stops the stack.
"""

from __future__ import annotations

import csv
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from zstc.limits import MAX_PAIRS_PER_REQUEST, MAX_TEXTS_PER_REQUEST
from zstc_local.cli import describe
from zstc_local.evaluation import majority_baseline, score
from zstc_local.stack import StackSettings, running_stack
from zstc_local.template import REPO_ROOT

SAMPLE_PATH = REPO_ROOT / "examples" / "resolutions-sample.csv"
SEED_TEXT = (
    "#newyearsresolution :: read more books, no scrolling fb/checking email b4 breakfast, "
    "stay dedicated to pt/yoga to squash my achin' back!"
)
SEED_LABELS = [
    "Health",
    "Humor",
    "Personal Growth",
    "Philanthropy",
    "Leisure",
    "Career",
    "Finance",
    "Education",
    "Time Management",
]
SAMPLE_TEMPLATE = "This New Year's resolution is about {}."


def post_json(url: str, payload: Any) -> tuple[int, Any]:
    """POST JSON, return (status, decoded body), for 2xx and 4xx/5xx alike."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def get_json(url: str) -> tuple[int, Any]:
    """GET JSON, return (status, decoded body)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def load_sample(path: Path = SAMPLE_PATH, limit: int | None = None) -> list[dict[str, str]]:
    """The annotated resolutions (id, text, category)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[:limit] if limit else rows


def _show(title: str, answer: dict[str, Any]) -> None:
    print(f"\n{title}")
    for label, value in zip(answer["labels"], answer["scores"], strict=True):
        print(f"  {label:<18} {value:6.3f}  {'#' * round(value * 40)}")


def classify_sample(api_url: str, rows: list[dict[str, str]], labels: list[str]) -> list[str]:
    """Top label per row, sent in requests of the API's maximum size."""
    predicted: list[str] = []
    per_request = min(MAX_TEXTS_PER_REQUEST, MAX_PAIRS_PER_REQUEST // len(labels))
    for start in range(0, len(rows), per_request):
        chunk = rows[start : start + per_request]
        payload = {
            "inputs": [row["text"] for row in chunk],
            "parameters": {"candidate_labels": labels, "hypothesis_template": SAMPLE_TEMPLATE},
        }
        status, answer = post_json(f"{api_url}/classify", payload)
        if status != 200:
            raise RuntimeError(f"POST /classify answered {status}: {answer}")
        predicted += [item["labels"][0] for item in answer]
    return predicted


def run_demo(settings: StackSettings, sample_size: int = 500) -> int:
    """Run the demo; 0 on success."""
    started = time.monotonic()
    settings.handler_environment = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with running_stack(settings) as stack:
        assert stack.api is not None
        print(describe(stack))
        status, health = get_json(f"{stack.api.url}/health")
        print(f"\nGET /health -> {status} {health}")

        print(f"\nPOST {stack.api.url}/classify\n  text: {SEED_TEXT}")
        for multi_label in (False, True):
            status, answer = post_json(
                f"{stack.api.url}/classify",
                {
                    "inputs": SEED_TEXT,
                    "parameters": {"candidate_labels": SEED_LABELS, "multi_label": multi_label},
                },
            )
            if status != 200:
                print(f"POST /classify answered {status}: {answer}")
                return 1
            _show(f"{'multi' if multi_label else 'single'}-label (HTTP {status}):", answer)

        rows = load_sample(limit=sample_size)
        classes = sorted({row["category"] for row in rows})
        print(
            f"\nClassifying {len(rows)} resolutions tweets into their {len(classes)} annotated categories "
            f"(template: {SAMPLE_TEMPLATE!r})..."
        )
        clock = time.monotonic()
        predicted = classify_sample(stack.api.url, rows, classes)
        elapsed = time.monotonic() - clock
        truth = [row["category"] for row in rows]
        model = score(truth, predicted, classes)
        majority, baseline = majority_baseline(truth, classes)
        print(f"  {len(rows)} texts in {elapsed:.1f} s ({len(rows) / elapsed:.0f} texts/s through the API)")
        print(f"  {'':<28} {'accuracy':>9} {'macro-F1':>9}")
        print(f"  {'zstc (' + stack.endpoint_name + ')':<28} {model.accuracy:9.3f} {model.macro_f1:9.3f}")
        print(f"  {'majority: ' + majority:<28} {baseline.accuracy:9.3f} {baseline.macro_f1:9.3f}")
    print(f"\nstack stopped; demo took {time.monotonic() - started:.0f} s")
    return 0
