"""api handler cost beside a minimal boto3 handler, measured side by side in one run.

Reports (1) cold import time of each handler module in fresh interpreters, as Lambda's INIT
imports it (tracing enabled as in Lambda), with the ratio; (2) warm per-request overhead of each
handler with the endpoint's time excluded (the InvokeEndpoint call is timed and subtracted), with
p50/p90 and their difference; (3) what the api handler's imports cost, by component.

Usage: .venv/bin/python bench/api_overhead.py [--cold-runs 15] [--requests 400]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "layers" / "shared"), str(REPO / "local")]

from botocore.client import BaseClient  # noqa: E402
from tests.support.moto import MotoHarness  # noqa: E402

from zstc_local.api_gateway import proxy_event  # noqa: E402
from zstc_local.context import LocalLambdaContext  # noqa: E402
from zstc_local.handlers import load_handler  # noqa: E402
from zstc_local.provision import local_template  # noqa: E402
from zstc_local.template import FunctionSpec  # noqa: E402

LAMBDA_LIKE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "LAMBDA_TASK_ROOT": str(REPO),  # Powertools Tracer stays enabled, as in Lambda
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
}
IMPORT_SNIPPET = """
import importlib.util, sys, time
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - start) * 1000)
"""
COMPONENTS = {
    "boto3": "import boto3",
    "botocore.session": "import botocore.session",
    "pydantic": "import pydantic",
    "powertools Logger+Metrics": "from aws_lambda_powertools import Logger, Metrics",
    "powertools event_handler + openapi": "import aws_lambda_powertools.event_handler.openapi.params",
    "aws_xray_sdk.core": "import aws_xray_sdk.core",
}


def _api_spec() -> FunctionSpec:
    return local_template().function("ApiFunction")


def _child_env(spec: FunctionSpec) -> dict[str, str]:
    paths = os.pathsep.join([str(REPO / "layers" / "shared"), str(spec.code_dir)])
    return {**os.environ, **LAMBDA_LIKE_ENV, **spec.environment, "PYTHONPATH": paths}


def _cold_import_ms(path: Path, env: dict[str, str]) -> float:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_SNIPPET, str(path)], env=env, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


def _component_ms(statement: str, env: dict[str, str]) -> float:
    code = f"import time; s = time.perf_counter(); {statement}; print((time.perf_counter() - s) * 1000)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def measure_cold(runs: int) -> dict[str, list[float]]:
    """Alternate the two handlers so machine noise hits both alike."""
    spec = _api_spec()
    env = _child_env(spec)
    samples: dict[str, list[float]] = {"minimal": [], "api": []}
    for _ in range(runs):
        samples["minimal"].append(_cold_import_ms(REPO / "bench" / "minimal_handler.py", env))
        samples["api"].append(_cold_import_ms(spec.module_path, env))
    return samples


class EndpointTimer:
    """Times every InvokeEndpoint call so it can be subtracted from the handler's time."""

    def __init__(self) -> None:
        self.last_ms = 0.0
        self._original = BaseClient._make_api_call

    def __enter__(self) -> EndpointTimer:
        timer = self
        original = self._original

        def timed(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            start = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                if operation == "InvokeEndpoint":
                    timer.last_ms = (time.perf_counter() - start) * 1000

        BaseClient._make_api_call = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        BaseClient._make_api_call = self._original  # type: ignore[method-assign]


def measure_warm(requests: int) -> dict[str, list[float]]:
    """Per-request handler time minus endpoint time, both handlers interleaved against one moto server."""
    server = MotoHarness()
    server.start()
    os.environ.update(LAMBDA_LIKE_ENV)
    os.environ.pop("LAMBDA_TASK_ROOT")  # in-process: no X-Ray daemon to send to
    os.environ["AWS_ENDPOINT_URL"] = server.url
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    spec = _api_spec()
    payload = {
        "inputs": "read more books",
        "parameters": {"candidate_labels": ["Health", "Career", "Leisure"]},
    }
    answer = {
        "sequence": "read more books",
        "labels": ["Leisure", "Career", "Health"],
        "scores": [0.5, 0.3, 0.2],
    }
    server.queue_endpoint_results([answer, answer])  # the two handlers send differently formatted bodies
    api = load_handler(spec)
    sys.path.insert(0, str(REPO / "bench"))
    import minimal_handler  # noqa: PLC0415 - needs the environment above

    event = proxy_event(
        "POST", "/classify", body=json.dumps(payload), headers={"Content-Type": "application/json"}
    )
    handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {
        "minimal": minimal_handler.lambda_handler,
        "api": api,
    }
    samples: dict[str, list[float]] = {name: [] for name in handlers}
    devnull = open(os.devnull, "w")  # noqa: SIM115 - EMF metrics go to stdout
    with EndpointTimer() as timer:
        for index in range(requests + 20):
            for name, handler in handlers.items():
                stdout, sys.stdout = sys.stdout, devnull
                try:
                    start = time.perf_counter()
                    result = handler(event, LocalLambdaContext(function_name=name))
                    total_ms = (time.perf_counter() - start) * 1000
                finally:
                    sys.stdout = stdout
                assert result["statusCode"] == 200, result
                if index >= 20:  # warm-up
                    samples[name].append(total_ms - timer.last_ms)
    server.stop()
    return samples


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def main() -> None:
    """Run both measurements and print a report."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-runs", type=int, default=15)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    cold = measure_cold(args.cold_runs)
    cold_minimal, cold_api = statistics.median(cold["minimal"]), statistics.median(cold["api"])
    print(f"cold import (median of {args.cold_runs} fresh interpreters, tracing enabled as in Lambda)")
    print(f"  minimal boto3 handler : {cold_minimal:7.1f} ms")
    print(f"  api handler           : {cold_api:7.1f} ms")
    print(f"  ratio api/minimal     : {cold_api / cold_minimal:7.2f}x   (target <= 1.5x)")

    env = _child_env(_api_spec())
    print("  import cost by component (fresh interpreter each, cumulative with dependencies):")
    for name, statement in COMPONENTS.items():
        print(f"    {name:36s} {statistics.median(_component_ms(statement, env) for _ in range(5)):7.1f} ms")

    warm = measure_warm(args.requests)
    print(f"warm overhead per request, endpoint time excluded ({args.requests} requests each, interleaved)")
    for name in ("minimal", "api"):
        values = warm[name]
        print(f"  {name:8s} p50 {statistics.median(values):6.2f} ms   p90 {_pct(values, 90):6.2f} ms")
    print(
        f"  api p50 {statistics.median(warm['api']):.2f} ms (target < 3 ms); "
        f"ratio api/minimal p50 {statistics.median(warm['api']) / statistics.median(warm['minimal']):.2f}x"
    )


if __name__ == "__main__":
    main()
