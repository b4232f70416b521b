"""What the benchmarks share."""

from __future__ import annotations

import os
import resource
from pathlib import Path

SHARED_DATA = Path(
    os.environ.get("ZSTC_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
"""The two labelled shared samples (resolutions-sample.csv, agnews-sample.csv): ZSTC_SHARED_DATA, else
../shared/data beside the repository (where the project's workspace keeps them). examples/ carries the
resolutions sample only; scripts that need AG News say so when it is missing."""


def peak_rss_mb() -> float:
    """Peak RSS of this process (VmHWM); ru_maxrss would inherit the parent's peak across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
