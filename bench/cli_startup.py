"""``zstc`` start-up beside a bare interpreter, measured side by side in one run.

Reports the wall time of ``zstc --version`` and ``zstc classify --help`` (each a fresh process, the
console script of this virtualenv) beside ``python -c pass``: the median of several interleaved
runs, and the ratio to the bare interpreter. The start-up budget (no torch, yaml, emulator or
engine at start-up) is tested in ``tests/e2e/cli/test_startup.py``; this says what it costs.

Usage: .venv/bin/python bench/cli_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ZSTC = Path(sys.executable).with_name("zstc")
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "zstc --version": [str(ZSTC), "--version"],
    "zstc classify --help": [str(ZSTC), "classify", "--help"],
}


def wall_seconds(command: list[str]) -> float:
    """One run's wall time, in seconds (output discarded; a failing run stops the bench)."""
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    """Print the median wall time of each command and its ratio to ``python -c pass``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command, interleaved (default 9)")
    runs = parser.parse_args().runs
    if not ZSTC.exists():
        sys.exit(f"no zstc console script beside {sys.executable}: run make setup-local")
    for command in COMMANDS.values():  # warm the file cache once
        wall_seconds(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            times[name].append(wall_seconds(command))
    bare = statistics.median(times["python -c pass"])
    print(f"zstc start-up, median of {runs} runs (wall time, fresh process each)")
    print(f"  {'command':<24} {'median s':>9} {'min s':>7} {'x python -c pass':>17}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<24} {median:9.3f} {min(values):7.3f} {median / bare:17.1f}")


if __name__ == "__main__":
    main()
