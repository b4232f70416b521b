"""``zstc local ...`` with no local stack running: every command takes the same ports and says so."""

from __future__ import annotations

import pytest

from tests.support.moto import free_port
from zstc_cli.errors import ExitCode
from zstc_cli.main import main
from zstc_local.template import REPO_ROOT

EVENT = REPO_ROOT / "events" / "api" / "classify_single.json"


def _ports() -> list[str]:
    return [
        *("--api-port", str(free_port()), "--aws-port", str(free_port())),
        *("--model-port", str(free_port()), "--lambda-port", str(free_port())),
    ]


def test_local_invoke_without_a_stack_is_exit_5_not_the_handler_s_503(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given ports where no local stack listens, When a handler is invoked against them
    ports = _ports()
    code = main(["local", "invoke", "ApiFunction", "--event", str(EVENT), *ports])
    # Then nothing runs: exit 5 and one line saying how to start the stack
    captured = capsys.readouterr()
    assert code == ExitCode.UNREACHABLE
    assert captured.out == ""
    assert captured.err.startswith(f"zstc: no local stack answers: nothing listens on 127.0.0.1:{ports[3]}")
    assert "zstc local up" in captured.err


def test_local_events_takes_the_same_port_flags(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["local", "events", "--out-dir", "/tmp/zstc-never-written", *_ports()])
    assert code == ExitCode.UNREACHABLE
    assert "cannot reach the API" in capsys.readouterr().err
