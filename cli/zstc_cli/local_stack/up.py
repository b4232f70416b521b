"""``zstc local up``: run the local stack until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from zstc_cli.local_stack.settings import emulator_errors
from zstc_local.stack import LocalStack, StackSettings
from zstc_local.summary import describe

STATE_LOST_NOTE = (
    "stopped. Local state (jobs, uploads, results) lived in memory and is gone; "
    "resubmit jobs after the next `zstc local up`."
)


def serve(settings: StackSettings) -> None:
    """Start the stack, print where its parts listen, and stop it on SIGINT or SIGTERM.

    Raises ``CliError`` (exit 1) when it cannot start: a port in use, a template it cannot read.
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with emulator_errors():
        running = LocalStack(settings)
        running.start()
    try:
        print(describe(running), flush=True)
        print("Ctrl-C to stop.", flush=True)
        stop.wait()
    finally:
        print("stopping...", flush=True)
        running.stop()
        print(STATE_LOST_NOTE, flush=True)
