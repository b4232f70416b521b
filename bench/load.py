"""Load on the local stack: 1, 4, 16 and 64 concurrent clients on 127.0.0.1, at each precision.

The stack (moto server, local endpoint with the offline MiniLM, local API) runs in a child process
started with ZSTC_PRECISION; clients are threads of this process, each sending POST /classify
(2 texts x 5 labels) back to back for a bounded time per level, honouring Retry-After on a 503.
Reports per level: successful requests/s, p50/p99 latency of successes, 503 answers, connection
errors (resets, refusals: must be 0), and the stack process's RSS. Loopback only; every loop is
bounded in time.

Usage: .venv/bin/python bench/load.py [--seconds 8] [--precisions fp32,bf16,int8] [--clients 1,4,16,64]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BODY = json.dumps(
    {
        "inputs": ["I will run a marathon this year", "spend less on takeout, save for a house"],
        "parameters": {
            "candidate_labels": ["Health & Fitness", "Finance", "Career", "Humor", "Personal Growth"]
        },
    }
)
STACK_CODE = """
import logging, os, sys
logging.disable(logging.WARNING)
from zstc_local.stack import LocalStack, StackSettings
ports = [int(p) for p in sys.argv[1:5]]
settings = StackSettings(api_port=ports[0], aws_port=ports[1], model_port=ports[2], lambda_port=ports[3],
                         handler_environment={"POWERTOOLS_LOG_LEVEL": "ERROR"})
with LocalStack(settings) as stack:
    print("READY", stack.api.url, flush=True)
    # Nobody reads this pipe any more: handlers' metric lines would fill it and block the handler.
    sys.stdout = open(os.devnull, "w")
    sys.stdin.readline()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


def drive(port: int, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads posting back to back until ``seconds`` pass."""
    latencies: list[float] = []
    counts = {"ok": 0, "503": 0, "other": 0, "connection_errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection: http.client.HTTPConnection | None = None
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request(
                    "POST", "/classify", body=BODY, headers={"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                response.read()
                elapsed = time.perf_counter() - start
                retry_after = response.getheader("Retry-After")
            except (OSError, http.client.HTTPException):
                with lock:
                    counts["connection_errors"] += 1
                if connection is not None:
                    connection.close()
                connection = None
                continue
            with lock:
                if response.status == 200:
                    counts["ok"] += 1
                    latencies.append(elapsed)
                elif response.status == 503:
                    counts["503"] += 1
                else:
                    counts["other"] += 1
            if response.status == 503 and retry_after:
                time.sleep(min(float(retry_after), max(0.0, deadline - time.monotonic())))
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 180)
    wall = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    return {
        **counts,
        "rps": counts["ok"] / wall,
        "p50_ms": (statistics.median(latencies) if latencies else float("nan")) * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def main() -> None:
    """Start a stack per precision, drive each client level, print one table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="per client level (bounded)")
    parser.add_argument("--precisions", default="fp32,bf16,int8")
    parser.add_argument("--clients", default="1,4,16,64")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    print("| precision | clients | req/s | p50 ms | p99 ms | 503 | connection errors | RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for precision in args.precisions.split(","):
        ports = [_free_port() for _ in range(4)]
        env = {
            **os.environ,
            "ZSTC_PRECISION": precision,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_VERBOSITY": "error",
        }
        stack = subprocess.Popen(
            [sys.executable, "-c", STACK_CODE, *map(str, ports)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=REPO,
        )
        try:
            assert stack.stdout
            line = stack.stdout.readline()
            while line and not line.startswith("READY"):
                line = stack.stdout.readline()  # e.g. the precision gate's metric line
            if not line:
                raise RuntimeError(f"the local stack did not start for {precision}")
            drive(ports[0], 1, 1.0)  # warm-up
            for clients in levels:
                row = drive(ports[0], clients, args.seconds)
                rss, _ = _rss_mb(stack.pid)
                print(
                    f"| {precision} | {clients} | {row['rps']:.1f} | {row['p50_ms']:.0f} | "
                    f"{row['p99_ms']:.0f} | {row['503']} | {row['connection_errors']} | {rss:.0f} |",
                    flush=True,
                )
        finally:
            if stack.stdin:
                stack.stdin.write("\n")
                stack.stdin.flush()
            try:
                stack.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stack.kill()


if __name__ == "__main__":
    main()
