"""Accuracy, macro-F1, per-label scores and the eval variants, checked by hand on small examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zstc_cli.errors import CliError, ExitCode
from zstc_cli.evaluation.metrics import majority_baseline, score
from zstc_cli.evaluation.variants import Example, Variant, build_variants, run_variant


def test_scores_match_a_hand_computation() -> None:
    truth = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "a"]
    result = score(truth, predicted, ["a", "b", "c"])
    assert result.accuracy == 0.5
    # F1: a = 2*1/(2+1+1) = 0.5; b = 2*1/(2+1+0) = 2/3; c = 0
    assert result.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_majority_baseline_predicts_the_most_frequent_class() -> None:
    majority, result = majority_baseline(["a", "a", "b"], ["a", "b"])
    assert majority == "a"
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.macro_f1 == pytest.approx((0.8 + 0) / 2)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        score(["a"], [], ["a"])


def test_per_label_precision_recall_and_confusion_match_a_hand_computation() -> None:
    truth = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "a"]
    result = score(truth, predicted, ["a", "b", "c"])
    by_label = {item.label: item for item in result.per_label}
    # a: predicted twice, right once (P 1/2); annotated twice, found once (R 1/2)
    assert (by_label["a"].precision, by_label["a"].recall, by_label["a"].support) == (0.5, 0.5, 2)
    # b: predicted twice, right once (P 1/2); annotated once, found (R 1)
    assert (by_label["b"].precision, by_label["b"].recall, by_label["b"].support) == (0.5, 1.0, 1)
    # c: never predicted (P 0 by convention), never found (R 0)
    assert (by_label["c"].precision, by_label["c"].recall, by_label["c"].f1) == (0.0, 0.0, 0.0)
    # rows annotated, columns predicted
    assert result.confusion == ((1, 1, 0), (0, 1, 0), (1, 0, 0))


def test_a_variant_sends_its_parameters_and_label_texts_and_maps_answers_back(tmp_path: Path) -> None:
    # Given a phrasing variant and a classify function that always prefers the first label sent
    phrasings = tmp_path / "p.json"
    phrasings.write_text(json.dumps({"long": {"a": "about a", "b": "about b"}}), encoding="utf-8")
    [plain, template, phrased] = build_variants(["a", "b"], ["It is {}."], phrasings=phrasings)
    sent: list[dict[str, Any]] = []

    def classify(payload: dict[str, Any]) -> list[dict[str, Any]]:
        sent.append(payload)
        labels = payload["parameters"]["candidate_labels"]
        return [{"sequence": t, "labels": labels, "scores": [0.9, 0.1]} for t in payload["inputs"]]

    examples = [Example(str(i), f"text {i}", "a" if i % 3 else "b") for i in range(40)]
    # When the phrasing variant runs
    result = run_variant(classify, phrased, ["a", "b"], examples)
    # Then the rewritten labels were sent, in requests within the API's limits, and answers map back
    assert [p["parameters"] for p in sent] == [{"candidate_labels": ["about a", "about b"]}] * 2
    assert [len(p["inputs"]) for p in sent] == [32, 8]
    assert set(result.predicted) == {"a"}
    assert result.scores.accuracy == sum(e.truth == "a" for e in examples) / 40
    assert template.request_parameters(["a", "b"]) == {
        "candidate_labels": ["a", "b"],
        "hypothesis_template": "It is {}.",
    }
    assert plain.name == "labels as given"


def test_variant_files_of_the_wrong_shape_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text(json.dumps([{"name": "x", "labels": {"zzz": "y"}}]), encoding="utf-8")
    with pytest.raises(CliError, match="unknown class"):
        build_variants(["a"], variants_file=path)
    path.write_text(json.dumps([{"name": "x", "parameters": {"candidate_labels": ["q"]}}]), encoding="utf-8")
    with pytest.raises(CliError, match="without candidate_labels"):
        build_variants(["a"], variants_file=path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CliError, match="is not valid JSON"):
        build_variants(["a"], descriptions=path)
    path.write_text(
        json.dumps([{"name": "future option", "parameters": {"threshold": 0.5}}]), encoding="utf-8"
    )
    [_, future] = build_variants(["a"], variants_file=path)
    assert future.request_parameters(["a"]) == {"candidate_labels": ["a"], "threshold": 0.5}


def test_two_classes_with_one_label_text_are_refused() -> None:
    variant = Variant("same", {}, {"a": "x", "b": "x"})
    with pytest.raises(CliError, match="same label text"):
        run_variant(lambda payload: [], variant, ["a", "b"], [Example("1", "t", "a")])


# --- the eval command: thresholds from evaluation, label sets (an in-memory fake of the API client) ---

SCORES = (0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.66, 0.6, 0.55, 0.5)
"""Each item's top score, best first."""


class FakeApi:
    """The API client's classify and label-set calls, in memory: item i's top score is SCORES[i], and
    its top class is the annotated one unless i is in ``wrong`` (by default items 3 and 7, at 0.8 and 0.6).
    """

    def __init__(
        self, label_set: dict[str, Any] | None = None, wrong: frozenset[int] = frozenset({3, 7})
    ) -> None:
        self.label_set = label_set
        self.wrong = wrong
        self.sent: list[dict[str, Any]] = []
        self.fetched: list[tuple[str, int | None]] = []
        self.created: list[dict[str, Any]] = []

    def classify(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        self.sent.append(payload["parameters"])
        answers = []
        for text in payload["inputs"]:
            index = int(text.removeprefix("item "))
            right, wrong = (_truth(index), _truth(index + 1))
            top, other = (wrong, right) if index in self.wrong else (right, wrong)
            answers.append({"sequence": text, "labels": [top, other], "scores": [SCORES[index], 0.01]})
        return answers

    def get_label_set(self, name: str, version: int | None = None) -> dict[str, Any]:
        self.fetched.append((name, version))
        assert self.label_set is not None
        return self.label_set

    def create_label_set(self, body: dict[str, Any]) -> dict[str, Any]:
        self.created.append(body)
        return {**body, "version": 3}


def _truth(index: int) -> str:
    return "ab"[index % 2]


def _sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.csv"
    rows = "".join(f"item {i},{_truth(i)}\n" for i in range(len(SCORES)))
    path.write_text("text,category\n" + rows, encoding="utf-8")
    return path


def _eval(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    api: FakeApi,
    tmp_path: Path,
    *argv: str,
) -> tuple[int, str, str]:
    from zstc_cli.main import main  # noqa: PLC0415

    monkeypatch.setattr("zstc_cli.commands.evaluate.api_client", lambda ctx, target: api)
    monkeypatch.setenv("COLUMNS", "160")
    code = main(["eval", str(_sample(tmp_path)), "--out-dir", str(tmp_path / "report"), *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def _label_set(**fields: Any) -> dict[str, Any]:
    """A stored version as GET /label-sets/{name} answers it (``fields`` change its parameters)."""
    return {
        "name": "topics",
        "version": 2,
        "label_set": "topics@2",
        "parameters": {
            "candidate_labels": ["a", "b"],
            "label_descriptions": {"a": "about a"},
            "label_examples": {"a": ["an a"]},
            "hypothesis_template": ["It is {}.", "About {}."],
            "multi_label": False,
            **fields,
        },
        "note": "tuned wording",
        "created_at": "2026-12-01T10:00:00Z",
        "content_hash": "0" * 64,
    }


def test_target_precision_prints_the_lowest_threshold_reaching_it_and_its_coverage(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given ten items whose top scores fall from 0.95 to 0.5, two of them wrong (at 0.8 and 0.6)
    # When eval is asked for 85% precision
    code, out, err = _eval(capsys, monkeypatch, FakeApi(), tmp_path, "--target-precision", "0.85")
    # Then the seven best (6 right of 7, 86%) are the most it can auto-label at that precision
    assert code == 0, err
    assert "at 0.66, 70% of items are auto-labelled at 86% precision (7 of 10; target 85%)" in out
    # And the table shows the trade-off from every item (the sample's accuracy) down
    rows = [line.split("│") for line in out.splitlines() if line.count("│") == 3]
    assert [cell.strip() for cell in rows[-len(rows)]] == ["0.5", "100.0%", "10", "0.800"]
    # And the report has the curve
    report = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "Auto-labelling: precision and coverage by threshold" in report
    assert "at 0.66, 70% of items are auto-labelled" in report
    assert (tmp_path / "report" / "precision-coverage.png").read_bytes()[:4] == b"\x89PNG"


def test_an_unreachable_target_precision_says_so_and_is_not_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a classifier whose best item is wrong
    api = FakeApi(wrong=frozenset({0}))
    code, out, err = _eval(capsys, monkeypatch, api, tmp_path, "--target-precision", "1")
    assert code == 0, err
    assert "no threshold reaches 100% precision on this sample: the highest is 90%, at 0.5" in out


@pytest.mark.parametrize("value", ["0", "1.5", "-0.2"])
def test_a_target_precision_outside_0_to_1_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = FakeApi()
    code, _, err = _eval(capsys, monkeypatch, api, tmp_path, "--target-precision", value)
    assert code == ExitCode.USAGE
    assert "--target-precision must be above 0 and at most 1" in err
    assert api.sent == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--save-threshold", "--target-precision", "0.9"], "--save-threshold needs --label-set and"),
        (["--save-threshold", "--label-set", "topics"], "--save-threshold needs --label-set and"),
        (
            ["--save-threshold", "--label-set", "topics", "--target-precision", "0.9", "-t", "It is {}."],
            "--save-threshold measures the label set as stored: drop --template",
        ),
        (["--label-set", "topics", "--labels", "a,b"], "--label-set brings its own labels"),
        (["--label-set", "topics@0"], "use NAME or NAME@N"),
        (["--label-set", "topics@latest"], "use NAME or NAME@N"),
        (["--label-set", "@2"], "use NAME or NAME@N"),
    ],
)
def test_label_set_options_that_cannot_work_together_are_usage_errors(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    api = FakeApi(_label_set())
    code, _, err = _eval(capsys, monkeypatch, api, tmp_path, *argv)
    assert code == ExitCode.USAGE
    assert message in err
    assert (api.sent, api.created) == ([], [])


def test_a_label_set_version_classifies_with_its_labels_descriptions_examples_and_templates(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = FakeApi(_label_set())
    code, out, err = _eval(capsys, monkeypatch, api, tmp_path, "--label-set", "topics@2")
    assert code == 0, err
    assert api.fetched == [("topics", 2)]
    assert api.sent[0] == {
        "candidate_labels": ["a", "b"],
        "label_descriptions": {"a": "about a"},
        "label_examples": {"a": ["an a"]},
        "hypothesis_template": ["It is {}.", "About {}."],
        "multi_label": False,
    }
    assert "label set topics@2" in out


def test_a_sample_class_the_label_set_lacks_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = FakeApi(_label_set(candidate_labels=["b", "c"]))
    code, _, err = _eval(capsys, monkeypatch, api, tmp_path, "--label-set", "topics")
    assert code == ExitCode.USER_ERROR
    assert "category has values not in the label set topics: a" in err
    assert api.sent == []


SAVE_AT = ("--label-set", "topics", "--save-threshold", "--target-precision")
"""Save the threshold reaching the precision that follows into the next version of "topics"."""


def test_save_threshold_creates_the_next_version_with_only_the_threshold_changed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stored = _label_set()
    api = FakeApi(stored)
    code, out, err = _eval(capsys, monkeypatch, api, tmp_path, *SAVE_AT, "0.85")
    assert code == 0, err
    assert api.fetched == [("topics", None)]
    assert api.created == [
        {
            "name": "topics",
            "parameters": {**stored["parameters"], "threshold": 0.66},
            "expected_version": 2,
            "note": "tuned wording",
        }
    ]
    assert "saved threshold 0.66 as label set topics version 3" in out


def test_save_threshold_saves_nothing_when_no_threshold_reaches_the_target(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = FakeApi(_label_set(), wrong=frozenset({0}))
    code, _, err = _eval(capsys, monkeypatch, api, tmp_path, *SAVE_AT, "1")
    assert code == ExitCode.USER_ERROR
    assert "zstc: threshold not saved: no threshold reaches 100% precision" in err
    assert api.created == []
    assert (tmp_path / "report" / "report.html").is_file()  # the report is still written


def test_a_multi_label_set_counts_each_predicted_label(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = FakeApi(_label_set(multi_label=True))
    code, out, err = _eval(
        capsys, monkeypatch, api, tmp_path, "--label-set", "topics", "--target-precision", "0.5"
    )
    assert code == 0, err
    assert "each predicted label counts" in out
    # Then at 0.01 every item's two labels are predicted, one of them right: 50% precision (a
    # single-label reading would need 0.5 for its 80%)
    assert "at 0.01, 100% of items are auto-labelled at 50% precision (10 of 10; target 50%)" in out
