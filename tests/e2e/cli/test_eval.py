"""zstc eval through the API and in-process (--local)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.support.cli_runs import call_api, run_zstc, write_sample
from zstc_cli.commands.evaluate import TRADEOFF_PNG
from zstc_cli.errors import ExitCode
from zstc_cli.evaluation.metrics import precision_coverage, reaching, score
from zstc_cli.evaluation.report import PNG_PIXELS, target_line


def test_eval_through_the_api_reports_metrics_png_and_html(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given an annotated sample, label phrasings and descriptions
    sample = write_sample(tmp_path, 40)
    classes = sorted({row["category"] for row in csv.DictReader(sample.open(encoding="utf-8"))})
    phrasings = tmp_path / "phrasings.json"
    phrasings.write_text(json.dumps({"lowercase": {c: c.lower() for c in classes}}), encoding="utf-8")
    descriptions = tmp_path / "descriptions.json"
    descriptions.write_text(
        json.dumps({c: f"a resolution about {c.lower()}" for c in classes}), encoding="utf-8"
    )
    out_dir = tmp_path / "report"
    # When zstc eval compares them with a second template
    code, out, err = run_zstc(
        capsys,
        "eval",
        str(sample),
        "--truth-column",
        "category",
        "--id-column",
        "id",
        "--template",
        "This New Year's resolution is about {}.",
        "--phrasings",
        str(phrasings),
        "--descriptions",
        str(descriptions),
        "--out-dir",
        str(out_dir),
    )
    assert code == 0, err
    # Then each variant's accuracy and macro-F1 are printed beside the majority baseline, and they are
    # the scores of the API's own answers for that variant
    lines = {line.split("│")[0].strip(): line.split("│")[1:] for line in out.splitlines() if "│" in line}
    texts = [row["text"] for row in csv.DictReader(sample.open(encoding="utf-8"))]
    truth = [row["category"] for row in csv.DictReader(sample.open(encoding="utf-8"))]
    predicted = []
    for start in range(0, len(texts), 32):
        predicted += [
            a["labels"][0]
            for a in call_api(
                "POST",
                f"{api_url}/classify",
                {"inputs": texts[start : start + 32], "parameters": {"candidate_labels": classes}},
            )
        ]
    expected = score(truth, predicted, classes)
    accuracy, macro_f1 = (float(cell) for cell in lines["labels as given"])
    assert (accuracy, macro_f1) == (round(expected.accuracy, 3), round(expected.macro_f1, 3))
    for name in (
        "template: This New Year's resolution is about {}.",
        "phrasing: lowercase",
        "label descriptions",
        "majority: Personal Growth",
    ):
        assert name in lines, out
    assert "precision" in out
    assert "recall" in out
    assert "most-confused pairs (annotated -> predicted): " in out
    # And the PNG opens with the expected size, the HTML report is self-contained
    from PIL import Image  # noqa: PLC0415

    with Image.open(out_dir / "confusion-matrix.png") as image:
        assert image.format == "PNG"
        assert image.size == PNG_PIXELS
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert "<table>" in html
    assert "Most confused examples" in html
    assert 'src="http' not in html  # nothing loaded from elsewhere: self-contained
    assert "<link" not in html
    assert "<script" not in html


def test_eval_target_precision_prints_the_threshold_of_the_api_s_scores_and_draws_the_curve(
    api_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given an annotated sample and the API's own answers for it
    sample = write_sample(tmp_path, 30)
    rows = list(csv.DictReader(sample.open(encoding="utf-8")))
    classes = sorted({row["category"] for row in rows})
    answers = call_api(
        "POST",
        f"{api_url}/classify",
        {"inputs": [row["text"] for row in rows], "parameters": {"candidate_labels": classes}},
    )
    points = precision_coverage(
        [[(a["labels"][0] == row["category"], a["scores"][0])] for a, row in zip(answers, rows, strict=True)]
    )
    # When zstc eval is asked for the threshold reaching 60% precision
    out_dir = tmp_path / "report"
    code, out, err = run_zstc(
        capsys, "eval", str(sample), "--target-precision", "0.6", "--out-dir", str(out_dir)
    )
    # Then it prints the threshold and coverage those scores give, and the trade-off table
    assert code == 0, err
    assert target_line(points, 0.6, reaching(points, 0.6)) in out
    assert "auto-labelling by threshold on the top score (labels as given; the top class)" in out
    # And the PNG of the curve and the report's section are written
    from PIL import Image  # noqa: PLC0415

    with Image.open(out_dir / TRADEOFF_PNG) as image:
        assert (image.format, image.size) == ("PNG", PNG_PIXELS)
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "Auto-labelling: precision and coverage by threshold" in html
    assert html.count("data:image/png;base64,") == 2


def test_eval_local_runs_the_engine_in_process(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sample = write_sample(tmp_path, 12)
    code, out, err = run_zstc(capsys, "eval", str(sample), "--local", "--out-dir", str(tmp_path / "r"))
    assert code == 0, err
    assert "(local engine)" in out
    assert (tmp_path / "r" / "report.html").is_file()


def test_eval_input_mistakes_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sample = write_sample(tmp_path, 5)
    code, _, err = run_zstc(capsys, "eval", str(sample), "--truth-column", "label", "--local")
    assert code == ExitCode.USER_ERROR
    assert err.strip() == f"zstc: {sample} line 2: no column 'label' (it has id, text, category)"
    code, _, err = run_zstc(capsys, "eval", str(sample), "--labels", "Health", "--local")
    assert "has values not in --labels" in err
    bad = tmp_path / "variants.json"
    bad.write_text('{"not": "a list"}', encoding="utf-8")
    code, _, err = run_zstc(capsys, "eval", str(sample), "--variants", str(bad), "--local")
    assert code == ExitCode.USER_ERROR
    assert "expected a list" in err
    code, _, err = run_zstc(capsys, "eval", str(sample), "--local", "--model-dir", "/tmp/nope-model")
    assert (code, err.strip()) == (
        ExitCode.USER_ERROR,
        "zstc: model directory /tmp/nope-model does not exist",
    )
