"""``zstc local up``: run the local stack until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType

from zstc_cli.client.api import HttpApiClient
from zstc_cli.client.target import AuthMode, Target
from zstc_cli.console.server import started_console
from zstc_cli.local_stack.settings import emulator_errors
from zstc_local.stack import LocalStack, StackSettings
from zstc_local.summary import describe

STATE_LOST_NOTE = (
    "stopped. Local state (jobs, uploads, results) lived in memory and is gone; "
    "resubmit jobs after the next `zstc local up`."
)


def serve(settings: StackSettings, console_port: int | None = None) -> None:
    """Start the stack, print where its parts listen, and stop it on SIGINT or SIGTERM.

    With ``console_port``, the web console serves the stack's API there too (``zstc local up --console``).
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
        with contextlib.ExitStack() as console:
            if console_port is not None and running.api is not None:
                web = console.enter_context(started_console(local_client(running.api.url), console_port))
                print(f"  web console    {web.url}   (the token is this start's: keep it to yourself)")
            print("Ctrl-C to stop.", flush=True)
            stop.wait()
    finally:
        print("stopping...", flush=True)
        running.stop()
        print(STATE_LOST_NOTE, flush=True)


def local_client(api_url: str) -> HttpApiClient:
    """The API client of the local stack at ``api_url`` (no auth, as the local API checks none)."""
    return HttpApiClient(Target(api_url=api_url, auth=AuthMode.NONE))
