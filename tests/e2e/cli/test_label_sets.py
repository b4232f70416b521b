"""zstc label-sets against the running local stack: versions, name@N on classify and jobs, delete."""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path

import pytest

from tests.support.cli_runs import call_api, run_zstc, write_sample
from zstc_cli.errors import ExitCode

CSV = (
    "label,description,example\n"
    "Health,exercise diet and sleep,run a marathon\n"
    "Health,,eat more vegetables\n"
    "Finance,money saving and debt,pay off my credit card\n"
    "Career,,get a promotion at work\n"
    "Family,,call my grandparents every Sunday\n"
)
YAML = """\
labels:
  - name: Health
    description: exercise, diet and sleep
  - Finance
  - Career
  - Family
hypothesis_template: This resolution is about {}.
threshold: 0.3
"""


def test_a_set_from_a_file_is_versioned_pinned_used_by_a_job_and_deleted(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given version 1 from a CSV and version 2 from YAML
    (tmp_path / "labels.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "labels.yaml").write_text(YAML, encoding="utf-8")
    code, out, err = run_zstc(capsys, "label-sets", "create", "goals", "--from", str(tmp_path / "labels.csv"))
    assert (code, out.strip()) == (0, "goals@1"), err
    code, out, err = run_zstc(
        capsys, "label-sets", "create", "goals", "--from", str(tmp_path / "labels.yaml"), "--note", "wording"
    )
    assert (code, out.strip()) == (0, "goals@2"), err
    # And the same file again creates nothing new
    code, out, _ = run_zstc(
        capsys, "label-sets", "create", "goals", "--from", str(tmp_path / "labels.yaml"), "--note", "wording"
    )
    assert (code, out.strip()) == (0, "goals@2")

    # Then show honours @N, and version 1 kept its examples
    code, out, _ = run_zstc(capsys, "label-sets", "show", "goals@1")
    first = json.loads(out)
    assert first["parameters"]["label_examples"]["Health"] == ["run a marathon", "eat more vegetables"]
    assert json.loads(run_zstc(capsys, "label-sets", "show", "goals")[1])["version"] == 2
    code, out, _ = run_zstc(capsys, "label-sets", "list")
    assert "goals" in out

    # And classify --label-set answers as the same labels sent inline do
    code, out, err = run_zstc(
        capsys, "classify", "run a marathon this spring", "--label-set", "goals@2", "--json"
    )
    assert code == 0, err
    inline = call_api(
        "POST",
        f"{api_url}/classify",
        {
            "inputs": "run a marathon this spring",
            "parameters": json.loads(run_zstc(capsys, "label-sets", "show", "goals@2")[1])["parameters"],
        },
    )
    assert json.loads(out) == inline

    # When a job is submitted with the set's latest version, then the job records goals@2
    sample = write_sample(tmp_path, 5)
    code, out, err = run_zstc(
        capsys,
        "jobs",
        "submit",
        str(sample),
        "--label-set",
        "goals",
        "--id-column",
        "id",
        "--wait",
        "--poll-seconds",
        "0.2",
    )
    assert code == 0, err
    assert "label set: goals@2" in out
    job_id = out.split()[1].rstrip(":")

    # When the set is deleted, then new requests naming it are refused and the job is unchanged
    code, _, err = run_zstc(capsys, "label-sets", "delete", "goals")
    assert (code, err.strip()) == (0, "label set goals deleted (2 versions)")
    code, _, err = run_zstc(capsys, "classify", "x", "--label-set", "goals@1")
    assert code == ExitCode.API_REFUSED
    assert "404" in err
    code, out, _ = run_zstc(capsys, "jobs", "status", job_id, "--json")
    assert json.loads(out)["label_set"] == "goals@2"
    assert json.loads(out)["status"] == "Completed"


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["classify", "x", "--label-set", "goals@two"],
            ExitCode.USAGE,
            "--label-set goals@two: label_set version",
        ),
        (["classify", "x", "--label-set", "goals", "-l", "a,b"], ExitCode.USAGE, "drop --labels"),
        (["classify", "x", "--label-set", "nope"], ExitCode.API_REFUSED, "no label set nope"),
        (["label-sets", "show", "nope@3"], ExitCode.API_REFUSED, "no label set nope"),
        (["label-sets", "delete", "nope"], ExitCode.API_REFUSED, "no label set nope"),
    ],
)
def test_label_set_failures_are_one_line_with_their_exit_code(
    api_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    exit_code, _, err = run_zstc(capsys, *argv)
    assert exit_code == code, err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_an_example_for_an_unknown_label_is_refused_naming_it(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "labels.yaml"
    path.write_text("labels:\n  - name: Health\n    examples: [run]\n  - Finance\n", encoding="utf-8")
    assert run_zstc(capsys, "label-sets", "create", "ok", "--from", str(path))[0] == 0
    body = {
        "name": "bad",
        "parameters": {"candidate_labels": ["Health"], "label_examples": {"Travel": ["fly"]}},
    }
    with pytest.raises(urllib.error.HTTPError) as raised:
        call_api("POST", f"{api_url}/label-sets", body)
    answer = json.loads(raised.value.read())
    assert raised.value.code == 422
    assert "Travel" in answer["error"]["message"]
