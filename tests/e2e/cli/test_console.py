"""``zstc console`` and ``zstc local up --console`` as a user runs them: the printed URL signs in."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.cli_runs import run_zstc
from tests.support.moto import free_port
from zstc_cli.console.server import TOKEN_HEADER
from zstc_cli.errors import ExitCode
from zstc_local.stack import LocalStack

URL = re.compile(r"(http://127\.0\.0\.1:(\d+)/\?token=([\w-]+))")
START_SECONDS = 120


@contextmanager
def running_zstc(
    *argv: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start ``zstc ARGV``, wait for the console's URL on stdout; SIGTERM it on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "zstc_cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            found = URL.search(line)
            if found:
                yield found.group(1), process
                break
        else:
            pytest.fail("".join(lines))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=START_SECONDS)


def health_through(url: str) -> dict[str, object]:
    found = URL.search(url)
    assert found is not None
    request = urllib.request.Request(
        f"http://127.0.0.1:{found.group(2)}/api/health", headers={TOKEN_HEADER: found.group(3)}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


def test_zstc_console_prints_a_url_whose_token_opens_it(api_url: str) -> None:
    with running_zstc("console", "--console-port", "0") as (url, process):
        # The page itself without the token is refused; with the printed URL it signs in
        found = URL.search(url)
        assert found is not None
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{found.group(2)}/", timeout=60)
        assert refused.value.code == 403
        assert health_through(url)["status"] == "InService"
    assert process.returncode == 0


def test_zstc_console_on_a_busy_port_is_one_line(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    busy = stack.settings.api_port
    code, _, err = run_zstc(capsys, "console", "--console-port", str(busy), "--api-url", "http://127.0.0.1:1")
    assert code == ExitCode.USER_ERROR
    assert err.startswith(f"zstc: cannot serve the console on 127.0.0.1:{busy}: ")


def test_local_up_with_console_serves_the_new_stack() -> None:
    ports = [str(free_port()) for _ in range(5)]
    argv = [
        "--api-port",
        ports[0],
        "--aws-port",
        ports[1],
        "--model-port",
        ports[2],
        "--lambda-port",
        ports[3],
    ]
    with running_zstc("local", "up", *argv, "--console", "--console-port", ports[4]) as (url, _):
        assert f":{ports[4]}/" in url
        assert health_through(url)["status"] == "InService"
