"""``zstc_cli.main``: the composition root's exit codes, one-line errors and ``--help`` pages."""

from __future__ import annotations

import pytest

from zstc_cli.errors import ExitCode
from zstc_cli.main import main

COMMANDS = [
    [],
    ["classify"],
    ["console"],
    ["health"],
    ["eval"],
    ["demo"],
    ["jobs"],
    ["jobs", "submit"],
    ["jobs", "status"],
    ["jobs", "list"],
    ["jobs", "results"],
    ["label-sets"],
    ["label-sets", "create"],
    ["label-sets", "list"],
    ["label-sets", "show"],
    ["label-sets", "delete"],
    ["stack"],
    ["stack", "env"],
    ["local"],
    ["local", "up"],
    ["local", "invoke"],
    ["local", "events"],
]
TARGET_COMMANDS = [
    ["classify", "x", "-l", "a,b"],
    ["console"],
    ["health"],
    ["eval", "sample.csv"],
    ["jobs", "submit", "in.jsonl"],
    ["jobs", "status", "j1"],
    ["jobs", "list"],
    ["jobs", "results", "j1"],
    ["label-sets", "list"],
    ["label-sets", "show", "intents@2"],
    ["label-sets", "delete", "intents"],
]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "zstc")
def test_every_help_page_has_examples_and_fits_80_columns(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an 80-column terminal, When a command's --help is printed
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = _run(capsys, *command, "--help")
    # Then it has examples, no line is wider than the terminal, and no summary is cut with "..."
    assert code == 0
    assert "Examples:" in out
    assert "$ zstc " in out
    lines = out.splitlines()
    assert [line for line in lines if len(line) > 80] == []
    assert [line for line in lines[1:] if line.rstrip().endswith("...")] == []


@pytest.mark.parametrize("command", TARGET_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_target_options_are_accepted_after_the_command(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # When --api-url comes after the command (an ftp URL, so nothing is called)
    code, _, err = _run(capsys, *command, "--api-url", "ftp://example.com")
    # Then the command accepts the option and checks it: a usage error about the URL, not the flag
    if command[0] == "eval" or command[:2] == ["jobs", "submit"]:
        assert code == ExitCode.USER_ERROR, err  # the input file is read first, and it is not there
        return
    assert (code, err.strip()) == (
        ExitCode.USAGE,
        "zstc: --api-url must be an http(s) URL, got 'ftp://example.com'",
    )


def test_a_command_level_target_option_wins_over_the_root_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        capsys, "--api-url", "http://127.0.0.1:1", "jobs", "status", "j1", "--api-url", "ftp://x"
    )
    assert (code, err.strip()) == (ExitCode.USAGE, "zstc: --api-url must be an http(s) URL, got 'ftp://x'")


def test_a_wrong_flag_is_one_line_naming_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "classify", "--zzz")
    assert (code, out, err) == (
        ExitCode.USAGE,
        "",
        "zstc: No such option: --zzz (see zstc classify --help)\n",
    )
    code, _, err = _run(capsys, "jobs", "results")
    assert code == ExitCode.USAGE
    assert err.count("\n") == 1
    assert err.startswith("zstc: Missing argument")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["classify", "--labels", "a,b"], "no text to classify"),
        (["classify", "x"], "--labels is required"),
        (["classify", "x", "--labels", "Health Finance Career"], "has spaces but no comma"),
        (["classify", "x", "--labels", "a,b", "--labels-file", "l.txt"], "not both"),
        (["--api-url", "not a url", "classify", "x", "-l", "a,b"], "--api-url must be an http(s) URL"),
        (["classify", "x", "-l", "a,b", "--threshold", "2"], "Invalid value for '--threshold'"),
    ],
)
def test_command_line_mistakes_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == ExitCode.USAGE
    assert err.startswith("zstc: ")
    assert message in err
    assert err.count("\n") == 1


def test_a_bad_api_port_variable_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZSTC_API_URL", raising=False)
    monkeypatch.setenv("ZSTC_API_PORT", "three thousand")
    code, _, err = _run(capsys, "health")
    assert (code, err.strip()) == (
        ExitCode.USAGE,
        "zstc: ZSTC_API_PORT must be a port number, got 'three thousand'",
    )
