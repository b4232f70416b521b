"""``zstc local ...`` with no local stack running: every command takes the same ports and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli_runs import run_zstc, stack_port_flags
from tests.support.moto import free_port
from zstc_cli.errors import ExitCode
from zstc_cli.main import main
from zstc_local.stack import LocalStack
from zstc_local.template import REPO_ROOT

EVENT = REPO_ROOT / "events" / "api" / "classify_single.json"


def free_port_flags() -> list[str]:
    return [
        *("--api-port", str(free_port()), "--aws-port", str(free_port())),
        *("--model-port", str(free_port()), "--lambda-port", str(free_port())),
    ]


def test_local_invoke_without_a_stack_is_exit_5_not_the_handler_s_503(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given ports where no local stack listens, When a handler is invoked against them
    ports = free_port_flags()
    code = main(["local", "invoke", "ApiFunction", "--event", str(EVENT), *ports])
    # Then nothing runs: exit 5 and one line saying how to start the stack
    captured = capsys.readouterr()
    assert code == ExitCode.UNREACHABLE
    assert captured.out == ""
    assert captured.err.startswith(f"zstc: no local stack answers: nothing listens on 127.0.0.1:{ports[3]}")
    assert "zstc local up" in captured.err


def test_local_events_takes_the_same_port_flags(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["local", "events", "--out-dir", "/tmp/zstc-never-written", *free_port_flags()])
    assert code == ExitCode.UNREACHABLE
    assert "cannot reach the API" in capsys.readouterr().err


def test_local_invoke_mistakes_are_one_line(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ports = stack_port_flags(stack)
    code, _, err = run_zstc(capsys, "local", "invoke", "ApiFunction", "--event", "nosuch.json", *ports)
    assert (code, err.strip()) == (
        ExitCode.USER_ERROR,
        "zstc: --event nosuch.json: No such file or directory",
    )
    s3_event = REPO_ROOT / "events" / "batch" / "s3_put_jsonl.json"
    code, _, err = run_zstc(capsys, "local", "invoke", "ApiFunction", "--event", str(s3_event), *ports)
    assert code == ExitCode.USER_ERROR
    assert "is not an event for ApiFunction: it expects an API Gateway REST proxy event" in err
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    code, _, err = run_zstc(
        capsys, "local", "invoke", "ApiFunction", "--event", str(tmp_path / "broken.json"), *ports
    )
    assert "is not a JSON file" in err
    code, _, err = run_zstc(capsys, "local", "invoke", "NoSuchFunction", "--event", str(s3_event), *ports)
    assert code == ExitCode.USER_ERROR
    assert "template has no function 'NoSuchFunction'" in err


def test_local_up_refuses_a_missing_model_dir_before_starting(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_zstc(capsys, "local", "up", "--model-dir", "/tmp/nope", "--api-port", str(free_port()))
    assert (code, err.strip()) == (
        ExitCode.USER_ERROR,
        "zstc: --model-dir /tmp/nope: no such directory (a Hugging Face model directory)",
    )
    code, _, err = run_zstc(capsys, "local", "up", "--parameter", "oops")
    assert (code, err.strip()) == (ExitCode.USAGE, "zstc: --parameter expects NAME=VALUE, got 'oops'")


def test_local_up_on_a_busy_port_is_one_line(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_zstc(
        capsys,
        "local",
        "up",
        "--aws-port",
        str(stack.settings.aws_port),
        "--api-port",
        str(free_port()),
        "--model-port",
        str(free_port()),
        "--lambda-port",
        str(free_port()),
    )
    assert code == ExitCode.USER_ERROR
    assert err.strip() == (
        f"zstc: port {stack.settings.aws_port} on 127.0.0.1 is in use; stop what uses it or pick another "
        "with --aws-port"
    )


def test_generated_batch_events_replay_a_real_job(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given the events of a real job on the running stack
    ports = stack_port_flags(stack)
    code, out, err = run_zstc(capsys, "local", "events", "--out-dir", str(tmp_path), *ports)
    assert code == 0, err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["s3_put.json", "transform_completed.json"]
    # When they are replayed to their functions
    code, out, _ = run_zstc(
        capsys, "local", "invoke", "StartBatchFunction", "--event", str(tmp_path / "s3_put.json"), *ports
    )
    # Then each reaches the real job and is recognised as a redelivery
    assert code == 0
    assert json.loads(out[out.index("{") :]) == {"outcomes": ["already started"]}
    code, out, _ = run_zstc(
        capsys,
        "local",
        "invoke",
        "ProcessResultsFunction",
        "--event",
        str(tmp_path / "transform_completed.json"),
        *ports,
    )
    assert code == 0
    assert json.loads(out[out.index("{") :]) == {"outcome": "duplicate"}


def test_local_invoke_keeps_the_user_s_own_aws_session_from_the_emulator(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a shell with a real AWS session, and a POST /jobs event (its answer holds a presigned URL)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "users-own-session-token")
    monkeypatch.setenv("AWS_PROFILE", "users-own-profile")
    event = json.loads((REPO_ROOT / "events" / "api" / "classify_single.json").read_text(encoding="utf-8"))
    event |= {"resource": "/jobs", "path": "/jobs", "httpMethod": "POST", "isBase64Encoded": False}
    event["requestContext"] |= {"resourcePath": "/jobs", "path": "/v1/jobs", "httpMethod": "POST"}
    event["body"] = json.dumps({"format": "csv", "candidate_labels": ["Health", "Finance"]})
    path = tmp_path / "create_job.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    # When the handler is invoked against the running stack
    code, out, err = run_zstc(
        capsys, "local", "invoke", "ApiFunction", "--event", str(path), *stack_port_flags(stack)
    )
    # Then the job is created and its presigned URL is signed with the local credentials only
    assert code == 0, err
    assert '"statusCode": 201' in out.replace('":', '": ').replace(":  ", ": ")
    assert "X-Amz-Security-Token" not in out
    assert "users-own-session-token" not in out
