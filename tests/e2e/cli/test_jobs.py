"""zstc jobs against the running local stack: submit, wait, results, Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli_runs import LABELS, api_results, call_api, run_zstc, write_sample
from zstc_cli.errors import ExitCode
from zstc_local.stack import LocalStack


def test_submit_wait_then_export_the_results_the_api_serves(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # When a CSV is submitted with --wait
    sample = write_sample(tmp_path, 25)
    code, out, err = run_zstc(
        capsys,
        "jobs",
        "submit",
        str(sample),
        "-l",
        LABELS,
        "--id-column",
        "id",
        "--wait",
        "--poll-seconds",
        "0.2",
    )
    # Then it ends Completed, with the progress on stderr and the summary on stdout
    assert code == 0, err
    job_id = out.split()[1].rstrip(":")
    assert f"job {job_id}: Completed" in out
    assert "records: 25, results written: 25" in out
    assert "25/25" in err
    # And status, list and the exports agree with the API
    code, out, _ = run_zstc(capsys, "jobs", "status", job_id, "--json")
    assert json.loads(out) == call_api("GET", f"{api_url}/jobs/{job_id}")
    code, out, _ = run_zstc(capsys, "jobs", "list", "--status", "Completed")
    assert job_id in out
    expected = api_results(api_url, job_id)
    assert len(expected) == 25
    code, _, err = run_zstc(
        capsys, "jobs", "results", job_id, "--out", str(tmp_path / "r.csv"), "--page-size", "4"
    )
    assert (code, err.strip()) == (0, f"25 results written to {tmp_path / 'r.csv'}")
    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        {
            **{
                column: value for column, value in row.items() if value != ""
            },  # extras the job did not ask for
            "position": int(row["position"]),
            "top_score": float(row["top_score"]),
            "labels": json.loads(row["labels"]),
            "scores": json.loads(row["scores"]),
        }
        for row in rows
    ] == [
        # the one results layout (zstc.contract.results), the text included
        {**r, "record_id": str(r["record_id"])}
        for r in expected
    ]
    code, _, _ = run_zstc(capsys, "jobs", "results", job_id, "--out", str(tmp_path / "r.jsonl"))
    assert code == 0
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected


def test_a_rejected_job_exits_6_with_its_problems(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,fine\n2,\n", encoding="utf-8")
    code, out, err = run_zstc(
        capsys, "jobs", "submit", str(bad), "-l", "a,b", "--wait", "--poll-seconds", "0.2"
    )
    assert code == ExitCode.JOB_UNSUCCESSFUL
    assert "Rejected" in out
    assert "problem: line 3" in out
    assert err.strip().splitlines()[-1].endswith("ended Rejected")


def test_job_errors_are_one_line(api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_zstc(capsys, "jobs", "status", "0123456789abcdef")
    assert (code, err.strip()) == (
        ExitCode.API_REFUSED,
        "zstc: GET /jobs/0123456789abcdef -> 404 not_found: no job 0123456789abcdef",
    )
    code, _, err = run_zstc(capsys, "jobs", "status", "../health")
    assert code == ExitCode.API_REFUSED
    code, _, err = run_zstc(capsys, "jobs", "submit", str(tmp_path / "none.csv"), "-l", "a")
    assert (code, err.strip()) == (ExitCode.USER_ERROR, f"zstc: no such file: {tmp_path / 'none.csv'}")
    (tmp_path / "x.txt").write_text("hello", encoding="utf-8")
    code, _, err = run_zstc(capsys, "jobs", "submit", str(tmp_path / "x.txt"), "-l", "a")
    assert "must be a .jsonl or .csv file" in err
    sample = write_sample(tmp_path, 2)
    code, _, err = run_zstc(capsys, "jobs", "submit", str(sample))
    assert code == ExitCode.API_REFUSED
    assert "POST /jobs -> 422" in err
    assert "candidate_labels is required for csv input" in err
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"inputs": "run", "id": 1}\n', encoding="utf-8")
    code, _, err = run_zstc(capsys, "jobs", "submit", str(lines), "-l", "a", "--id-column", "id")
    assert code == ExitCode.USER_ERROR
    assert "--text-column and --id-column name csv columns" in err


def test_ctrl_c_during_wait_leaves_the_job_running_and_says_how_to_resume(
    stack: LocalStack, tmp_path: Path
) -> None:
    assert stack.api is not None
    sample = write_sample(tmp_path, 500)
    # A shell without job control starts background commands (make test &) with SIGINT ignored, which
    # exec keeps and Python honours; a handled signal is reset to the default across exec instead, so
    # the CLI gets Ctrl-C as a user at a terminal has it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zstc_cli",
            "--api-url",
            stack.api.url,
            "jobs",
            "submit",
            str(sample),
            "-l",
            LABELS,
            "--wait",
            "--poll-seconds",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    signal.signal(signal.SIGINT, previous)
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("job "), first
        job_id = first.split()[1]
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err
    assert f"job {job_id} keeps running. Resume with: zstc jobs status {job_id}" in err
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = call_api("GET", f"{stack.api.url}/jobs/{job_id}")
        if job["status"] == "Completed":
            break
        time.sleep(0.5)
    assert job["status"] == "Completed"
