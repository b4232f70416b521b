"""The ``zstc`` command's start-up: what ``zstc --version`` and ``zstc classify --help`` import.

Each runs in a fresh interpreter, so nothing another test imported counts. The time it takes is
measured in ``bench/cli_startup.py``, not asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "yaml", "zstc_local", "zstc_engine", "sklearn", "matplotlib", "boto3")
"""Packages a command that only talks HTTP (or prints its help) must not load."""

PROBE = """
import json, sys
from zstc_cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted({name.split(".")[0] for name in sys.modules})}))
"""


@pytest.mark.parametrize("argv", [["--version"], ["classify", "--help"], ["jobs", "submit", "--help"]])
def test_start_up_loads_no_model_stack_or_emulator(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert [name for name in HEAVY if name in report["loaded"]] == []
