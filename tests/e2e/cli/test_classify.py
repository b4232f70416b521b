"""zstc classify and zstc health against the running local stack."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.support.cli_runs import LABELS, call_api, run_zstc
from tests.support.moto import free_port
from zstc_cli.errors import ExitCode


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_zstc(capsys, "--version")
    assert (code, out.strip()) == (0, "zstc 0.1.0")


def test_classify_prints_a_table_best_label_first(api_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    # When a text is classified with the default output
    code, out, _ = run_zstc(capsys, "classify", "pay off my credit card debt", "--labels", LABELS)
    # Then a table lists every label with its score and a bar, best first (the API's order)
    assert code == 0
    answer = call_api(
        "POST",
        f"{api_url}/classify",
        {"inputs": "pay off my credit card debt", "parameters": {"candidate_labels": LABELS}},
    )
    rows = [line.split("│") for line in out.splitlines() if "│" in line]
    assert [row[0].strip() for row in rows] == answer["labels"]
    assert [float(row[1]) for row in rows] == [round(s, 3) for s in answer["scores"]]
    assert rows[0][2].strip().startswith("█")
    assert "pay off my credit card debt" in out


def test_classify_json_is_the_api_answer(api_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_zstc(
        capsys,
        "classify",
        "go jogging every morning",
        "-l",
        LABELS,
        "--multi-label",
        "--template",
        "This resolution is about {}.",
        "--json",
    )
    assert code == 0
    parameters = {
        "candidate_labels": LABELS,
        "multi_label": True,
        "hypothesis_template": "This resolution is about {}.",
    }
    expected = call_api(
        "POST", f"{api_url}/classify", {"inputs": "go jogging every morning", "parameters": parameters}
    )
    assert json.loads(out) == expected


def test_classify_steering_flags_are_the_api_options(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given descriptions in a file, two templates, a threshold and evidence
    descriptions = tmp_path / "descriptions.json"
    descriptions.write_text(json.dumps({"Finance": "money: saving, debt, budgeting"}), encoding="utf-8")
    flags = ["-t", "This text is about {}.", "-t", "The topic is {}.", "--descriptions", str(descriptions)]
    code, out, _ = run_zstc(
        capsys,
        "classify",
        "pay off my credit card",
        "-l",
        LABELS,
        *flags,
        "--threshold",
        "0.3",
        "--evidence",
        "--json",
    )
    # Then the answer is the API's for exactly those options
    assert code == 0
    parameters = {
        "candidate_labels": LABELS,
        "multi_label": False,
        "hypothesis_template": ["This text is about {}.", "The topic is {}."],
        "label_descriptions": {"Finance": "money: saving, debt, budgeting"},
        "threshold": 0.3,
        "return_evidence": True,
    }
    expected = call_api(
        "POST", f"{api_url}/classify", {"inputs": "pay off my credit card", "parameters": parameters}
    )
    assert json.loads(out) == expected
    assert {"predicted_labels", "evidence", "windows"} <= set(expected)
    # And the table marks the predicted label and shows each label's evidence span
    code, out, _ = run_zstc(
        capsys, "classify", "pay off my credit card", "-l", LABELS, *flags, "--threshold", "0.3", "--evidence"
    )
    assert code == 0
    assert "predicted" in out
    assert "evidence" in out
    # And descriptions of labels that are not candidates (a shared file) are left out with a note
    descriptions.write_text(json.dumps({"Cooking": "food", "Finance": "money"}), encoding="utf-8")
    code, out, err = run_zstc(
        capsys, "classify", "x", "-l", LABELS, "--descriptions", str(descriptions), "--json"
    )
    assert code == 0
    assert "describes Cooking, not among --labels; not sent" in err
    with_finance = {
        "candidate_labels": LABELS,
        "multi_label": False,
        "label_descriptions": {"Finance": "money"},
    }
    assert json.loads(out) == call_api(
        "POST", f"{api_url}/classify", {"inputs": "x", "parameters": with_finance}
    )


def test_classify_reads_a_file_and_stdin_and_chunks_within_the_limits(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 40 texts and 9 labels: 360 pairs, more than one request may carry (256 pairs)
    texts = [f"resolution number {i}: save money and run" for i in range(40)]
    labels = "a1,b2,c3,d4,e5,f6,g7,h8,i9"
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts[:30]) + "\n\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(texts[30:])))
    # When they come from a file and stdin
    code, out, _ = run_zstc(capsys, "classify", "-f", str(path), "-l", labels, "--json")
    assert code == 0
    from_file = json.loads(out)
    code, out, _ = run_zstc(capsys, "classify", "-f", "-", "-l", labels, "--json")
    assert code == 0
    # Then every text is answered, in order
    answers = from_file + json.loads(out)
    assert [answer["sequence"] for answer in answers] == texts


def test_bad_labels_are_one_line_with_the_api_error(api_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_zstc(capsys, "classify", "x", "--labels", "Health,Health")
    assert code == ExitCode.API_REFUSED
    assert err.strip().splitlines() == [
        "zstc: POST /classify -> 422 validation_error: invalid request: parameters.candidate_labels: "
        'candidate_labels[1] repeats the label "Health"'
    ]


def test_missing_labels_and_texts_are_usage_errors(api_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_zstc(capsys, "classify", "x")
    assert (code, err.strip()) == (
        ExitCode.USAGE,
        'zstc: --labels is required, e.g. --labels "Health,Finance,Career" '
        "(or --labels-file FILE, or --label-set NAME)",
    )
    code, _, err = run_zstc(capsys, "classify", "--labels", "a,b")
    assert code == ExitCode.USAGE
    assert "no text to classify" in err
    code, _, err = run_zstc(capsys, "classify", "-f", "/nonexistent/texts.txt", "-l", "a,b")
    assert (code, err.strip()) == (
        ExitCode.USER_ERROR,
        "zstc: cannot read /nonexistent/texts.txt: No such file or directory",
    )
    code, _, err = run_zstc(capsys, "classify", "--no-such-option")
    assert code == ExitCode.USAGE


def test_an_unreachable_api_is_exit_5_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, _, err = run_zstc(capsys, "--api-url", url, "--retries", "1", "classify", "x", "-l", "a,b")
    assert code == ExitCode.UNREACHABLE
    assert err.startswith(f"zstc: POST /classify: cannot reach the API at {url}")
    assert "zstc local up" in err


def test_health(api_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_zstc(capsys, "health")
    assert (code, out.strip()) == (0, "endpoint zstc-bart-large-mnli: InService")
