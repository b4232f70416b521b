"""The console's pages in headless Chromium against the local stack: each page's main flow, hostile text.

Every test leaves a screenshot under its tmp dir (``last.png``, and one per page shown);
``make console-screenshots`` writes the docs' four (docs/images/console-*.png) from these tests.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.browser import screenshot
from tests.support.cli_runs import LABELS, write_sample

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from zstc_cli.console.server import ConsoleServer

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'
WAIT_MS = 90_000


def test_playground_classifies_and_draws_ranked_bars(page: Page, tmp_path: Path) -> None:
    # Given the Playground with two texts, four labels, a threshold and evidence
    page.goto(page.url.split("#")[0] + "#playground")
    form = page.locator("#playground")
    form.get_by_label("Texts, one per line").fill("I want to run a marathon\nSave more money each month")
    form.get_by_label("Labels, comma-separated").fill(LABELS)
    form.get_by_label("Label descriptions").fill("Health: exercise, diet and sleep")
    form.get_by_label("Threshold, 0 to 1 (optional)").fill("0.3")
    form.get_by_label("Evidence").check()
    # When it classifies
    form.get_by_role("button", name="Classify").click()
    # Then each text has its four labels as ranked bars, scores best first, predicted ones marked
    cards = page.locator("#pg-results article")
    cards.nth(1).wait_for(timeout=WAIT_MS)
    assert cards.count() == 2
    first = cards.nth(0)
    assert first.locator(".bars li").count() == 4
    scores = [float(text) for text in first.locator(".bars .score").all_text_contents()]
    assert scores == sorted(scores, reverse=True)
    assert first.locator(".bars .label").first.text_content() == "Health"
    assert first.locator("li.predicted").count() + first.locator(".abstained").count() >= 1
    assert first.locator("mark").count() == 1  # the evidence window of the top label
    # And the request is shown for copy and paste
    form.get_by_text("The request as curl, CLI and Python").click()
    assert "/classify" in (page.locator("#pg-curl").text_content() or "")
    assert (page.locator("#pg-cli").text_content() or "").startswith("zstc classify")
    assert '"label_descriptions": {' in (page.locator("#pg-python").text_content() or "")
    # And a reload keeps the form
    page.reload()
    assert form.get_by_label("Labels, comma-separated").input_value() == LABELS
    form.get_by_role("button", name="Classify").click()
    cards.nth(1).wait_for(timeout=WAIT_MS)
    screenshot(page, tmp_path, "playground")


def test_jobs_page_uploads_a_file_and_follows_the_job_to_completed(
    page: Page, console: ConsoleServer, tmp_path: Path
) -> None:
    # Given a 12-row CSV chosen on the Jobs page
    sample = write_sample(tmp_path, 12)
    page.goto(page.url.split("#")[0] + "#jobs")
    form = page.locator("#jobs")
    form.get_by_label("Input file (.csv with a header row, or .jsonl)").set_input_files(str(sample))
    form.get_by_label("Labels, comma-separated (required for CSV)").fill(LABELS)
    form.get_by_label("CSV id column (optional)").fill("id")
    # When it is submitted
    form.get_by_role("button", name="Submit job").click()
    # Then the upload reaches 100% and the job is followed until Completed, with its results
    page.locator("#jobs-current-status", has_text="Completed").wait_for(timeout=WAIT_MS)
    assert page.locator("#jobs-progress").get_attribute("value") == "100"
    assert page.locator("#jobs-current-written").text_content() == "12"
    rows = page.locator("#jobs-results-body tr")
    rows.first.wait_for(timeout=WAIT_MS)
    assert rows.count() == 12
    # the jobs list refreshes on its own timer: wait for it to show the job Completed
    page.locator("#jobs-list tr", has_text="Completed").first.wait_for(timeout=WAIT_MS)
    # And the download is the one results CSV, every record
    href = page.locator("#jobs-download").get_attribute("href")
    assert href is not None
    answer = page.context.request.get(console.origin + href)
    assert answer.status == 200
    records = list(csv.DictReader(io.StringIO(answer.text())))
    with sample.open(encoding="utf-8", newline="") as handle:
        assert [row["record_id"] for row in records] == [row["id"] for row in csv.DictReader(handle)]
    screenshot(page, tmp_path, "jobs")


def test_a_rejected_job_shows_its_problems_by_line(page: Page, tmp_path: Path) -> None:
    # Given a CSV whose third line has no text
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,fine\n2,\n", encoding="utf-8")
    page.goto(page.url.split("#")[0] + "#jobs")
    form = page.locator("#jobs")
    form.get_by_label("Input file (.csv with a header row, or .jsonl)").set_input_files(str(bad))
    form.get_by_label("Labels, comma-separated (required for CSV)").fill("a,b")
    form.get_by_label("CSV id column (optional)").fill("id")
    # When it is submitted, then the job ends Rejected and its problem names line 3
    form.get_by_role("button", name="Submit job").click()
    page.locator("#jobs-current-status", has_text="Rejected").wait_for(timeout=WAIT_MS)
    problems = page.locator("#jobs-problem-list li").all_text_contents()
    assert problems
    assert problems[0].startswith("line 3")


def test_evaluate_page_shows_the_metrics_and_the_confusion_matrix(page: Page, tmp_path: Path) -> None:
    # Given an annotated sample of 24 rows
    sample = write_sample(tmp_path, 24)
    page.goto(page.url.split("#")[0] + "#evaluate")
    form = page.locator("#evaluate")
    form.get_by_label("Annotated sample (.csv with a header row, or .jsonl)").set_input_files(str(sample))
    form.get_by_label("Id column (optional)").fill("id")
    form.get_by_label("Hypothesis templates to compare, one per line (optional)").fill(
        "This text is about {}."
    )
    # When it runs
    form.get_by_role("button", name="Run evaluation").click()
    # Then the variants sit beside the majority baseline, and the matrix counts every example
    page.locator("#ev-matrix tbody tr").first.wait_for(timeout=WAIT_MS)
    variants = page.locator("#ev-variants th").all_text_contents()
    assert variants[:2] == ["labels as given", "template: This text is about {}."]
    assert variants[-1].startswith("majority: ")
    cells = page.locator("#ev-matrix tbody td").all_text_contents()
    assert sum(int(cell) for cell in cells) == 24
    assert page.locator("#ev-per-label tr").count() == page.locator("#ev-matrix tbody tr").count()
    assert page.locator("#ev-curve svg path").count() == 2
    assert (page.locator("#ev-confused td").first.text_content() or "").startswith("nyr-")
    # And a threshold chosen on the curve links to the label sets page
    form.get_by_label("Threshold", exact=True).fill("0.5")
    assert "coverage" in (page.locator("#ev-threshold-out").text_content() or "")
    assert page.locator("#ev-save-threshold").get_attribute("href") == "#label-sets?threshold=0.50"
    # And the report survives a reload
    page.reload()
    page.locator("#ev-matrix tbody tr").first.wait_for()
    screenshot(page, tmp_path, "evaluate")


def _sample_classes(sample: Path) -> list[str]:
    with sample.open(encoding="utf-8", newline="") as handle:
        return sorted({row["category"] for row in csv.DictReader(handle)})


def _save_label_set(page: Page, console: ConsoleServer, name: str, parameters: Mapping[str, object]) -> int:
    """Save a version of ``name`` through the console's API forwarding; its version number."""
    answer = page.request.post(
        f"{console.origin}/api/label-sets",
        data=json.dumps({"name": name, "parameters": parameters}),
        headers={"Origin": console.origin, "Content-Type": "application/json"},
    )
    assert answer.status == 201, answer.text()
    return int(answer.json()["version"])


def _evaluate_label_set(page: Page, sample: Path, name: str) -> None:
    """Run the Evaluate page on ``sample`` against the latest version of the saved set ``name``."""
    page.goto(page.url.split("#")[0] + "#evaluate")
    form = page.locator("#evaluate")
    form.get_by_label("Annotated sample (.csv with a header row, or .jsonl)").set_input_files(str(sample))
    form.get_by_label("Id column (optional)").fill("id")
    form.get_by_label("Hypothesis templates to compare, one per line (optional)").fill("")
    page.locator(f"#ev-label-set option[value='{name}']").wait_for(state="attached", timeout=WAIT_MS)
    form.get_by_label("Or a saved label set").select_option(name)
    form.get_by_role("button", name="Run evaluation").click()


def test_evaluate_page_evaluates_a_saved_label_set_and_saves_a_threshold_into_it(
    page: Page, console: ConsoleServer, tmp_path: Path
) -> None:
    # Given a saved label set holding the sample's classes
    sample = write_sample(tmp_path, 16)
    _save_label_set(page, console, "evaluated", {"candidate_labels": _sample_classes(sample)})
    # When the Evaluate page runs the sample against it
    _evaluate_label_set(page, sample, "evaluated")
    # Then its variant is named after the exact version
    page.locator("#ev-status", has_text="of label set evaluated@1").wait_for(timeout=WAIT_MS)
    assert page.locator("#ev-variants th").first.text_content() == "label set evaluated@1"
    # And a threshold chosen on the curve opens that set for editing with the threshold in it
    page.locator("#evaluate").get_by_label("Threshold", exact=True).fill("0.35")
    page.locator("#ev-save-threshold").click()
    page.locator("#ls-saved", has_text="editing evaluated@1; Save makes version 2").wait_for(timeout=WAIT_MS)
    sets = page.locator("#label-sets")
    assert sets.get_by_label("Threshold, 0 to 1 (optional)").input_value() == "0.35"
    sets.get_by_role("button", name="Save").click()
    page.locator("#ls-saved", has_text="saved evaluated version 2").wait_for(timeout=WAIT_MS)
    saved = page.request.get(f"{console.origin}/api/label-sets/evaluated")
    assert saved.json()["parameters"]["threshold"] == 0.35


def test_a_threshold_saved_from_an_evaluation_builds_on_the_evaluated_version_not_the_latest(
    page: Page, console: ConsoleServer, tmp_path: Path
) -> None:
    # Given a label set evaluated at version 1 (the sample's classes, one described)
    sample = write_sample(tmp_path, 16)
    classes = _sample_classes(sample)
    first = {"candidate_labels": classes, "label_descriptions": {classes[0]: "what the first class is about"}}
    _save_label_set(page, console, "evaluated-then-changed", first)
    _evaluate_label_set(page, sample, "evaluated-then-changed")
    page.locator("#ev-status", has_text="of label set evaluated-then-changed@1").wait_for(timeout=WAIT_MS)
    # And a version 2 saved since, with another label, no description and its own threshold
    second = {"candidate_labels": [*classes, "Travel"], "threshold": 0.9}
    assert _save_label_set(page, console, "evaluated-then-changed", second) == 2
    # When a threshold chosen on the evaluation's curve is saved
    page.locator("#evaluate").get_by_label("Threshold", exact=True).fill("0.35")
    page.locator("#ev-save-threshold").click()
    # Then the form holds version 1, the one evaluated, and says the save makes version 3
    page.locator("#ls-saved", has_text="editing evaluated-then-changed@1; Save makes version 3").wait_for(
        timeout=WAIT_MS
    )
    sets = page.locator("#label-sets")
    lines = sets.get_by_label("Labels, one per line").input_value().splitlines()
    assert lines == [f"{classes[0]}: what the first class is about", *classes[1:]]
    assert sets.get_by_label("Threshold, 0 to 1 (optional)").input_value() == "0.35"
    sets.get_by_role("button", name="Save").click()
    page.locator("#ls-saved", has_text="saved evaluated-then-changed version 3").wait_for(timeout=WAIT_MS)
    # And version 3 is version 1's labels and descriptions with the threshold, nothing of version 2
    saved = page.request.get(f"{console.origin}/api/label-sets/evaluated-then-changed?version=3").json()
    assert saved["parameters"]["candidate_labels"] == classes
    assert saved["parameters"]["label_descriptions"] == first["label_descriptions"]
    assert saved["parameters"]["threshold"] == 0.35


def test_hostile_text_in_a_label_or_a_text_renders_as_text(page: Page, tmp_path: Path) -> None:
    # Given a label and a text that are HTML with script
    page.goto(page.url.split("#")[0] + "#playground")
    form = page.locator("#playground")
    form.get_by_label("Texts, one per line").fill(f"{HOSTILE} and some words")
    form.get_by_label("Labels, comma-separated").fill(f"safe, {HOSTILE.replace(',', ' ')}")
    form.get_by_label("Threshold, 0 to 1 (optional)").fill("")
    form.get_by_role("button", name="Classify").click()
    # Then they are shown as their characters: no element made from them, no script run
    card = page.locator("#pg-results article").first
    card.wait_for(timeout=WAIT_MS)
    assert HOSTILE in (card.locator(".sequence").text_content() or "")
    assert HOSTILE.replace(",", " ") in card.locator(".bars .label").all_text_contents()
    assert page.locator("#pg-results img, #pg-results script").count() == 0
    assert page.evaluate("window.pwned") is None
    screenshot(page, tmp_path, "hostile")


def test_a_page_of_another_origin_cannot_drive_the_console(page: Page, console: ConsoleServer) -> None:
    # Given a signed-in browser that opens another site's page
    jobs_before = len(console.client.list_jobs(limit=100)["jobs"])
    page.route(
        "http://other.test/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>other</title>"),
    )
    page.goto("http://other.test/")
    # When that page posts a job to the console, as a form or a no-cors fetch would
    status = page.evaluate(
        """async (origin) => {
            await fetch(origin + "/api/jobs", {method: "POST", mode: "no-cors", credentials: "include",
                body: JSON.stringify({format: "jsonl"})}).catch(() => null);
            const read = await fetch(origin + "/api/jobs", {credentials: "include"}).catch(() => null);
            return read === null ? "blocked" : String(read.status);
        }""",
        console.origin,
    )
    # Then no job was created and nothing was readable
    assert status == "blocked"
    assert len(console.client.list_jobs(limit=100)["jobs"]) == jobs_before


def test_label_sets_page_creates_a_set_and_edits_it_into_a_new_version(page: Page, tmp_path: Path) -> None:
    # Given a label set typed by hand, one label with a description
    page.goto(page.url.split("#")[0] + "#label-sets")
    form = page.locator("#label-sets")
    form.get_by_label("Name").fill("goals")
    form.get_by_label("Labels, one per line").fill("Health: exercise and diet\nFinance\nCareer")
    form.get_by_label("Threshold, 0 to 1 (optional)").fill("0.4")
    # When it is saved, then it is version 1 and listed
    form.get_by_role("button", name="Save").click()
    page.locator("#ls-saved", has_text="saved goals version 1").wait_for(timeout=WAIT_MS)
    page.locator("#ls-list li", has_text="goals: version 1, 3 labels").wait_for()
    # When it is edited (Career out, Family in, another threshold) and saved again
    form.get_by_role("button", name="Edit goals").click()
    page.locator("#ls-saved", has_text="editing goals@1; Save makes version 2").wait_for(timeout=WAIT_MS)
    assert form.get_by_label("Labels, one per line").input_value().startswith("Health: exercise and diet")
    form.get_by_label("Labels, one per line").fill("Health: exercise and diet\nFinance\nFamily")
    form.get_by_label("Threshold, 0 to 1 (optional)").fill("0.5")
    form.get_by_label("Note: what changed, why (optional)").fill("Family instead of Career")
    form.get_by_role("button", name="Save").click()
    # Then it is version 2, and comparing 1 with 2 shows what changed
    page.locator("#ls-saved", has_text="saved goals version 2").wait_for(timeout=WAIT_MS)
    form.get_by_label("Version", exact=True).fill("1")
    form.get_by_label("with version").fill("2")
    form.get_by_role("button", name="Compare").click()
    page.locator("#ls-diff tr").nth(2).wait_for(timeout=WAIT_MS)
    rows = [" | ".join(row.locator("td").all_text_contents()) for row in page.locator("#ls-diff tr").all()]
    assert rows == ["Family | added", "Career | removed", "(threshold) | 0.4 → 0.5"]
    screenshot(page, tmp_path, "label-sets")
    # And the Playground classifies with the saved set: its labels, its threshold
    page.goto(page.url.split("#")[0] + "#playground")
    playground = page.locator("#playground")
    playground.get_by_label("Or a saved label set").select_option("goals")
    playground.get_by_role("button", name="Classify").click()
    card = page.locator("#pg-results article").first
    card.wait_for(timeout=WAIT_MS)
    assert sorted(card.locator(".bars .label").all_text_contents()) == ["Family", "Finance", "Health"]
    assert '"label_set":"goals"' in (page.locator("#pg-curl").text_content() or "")
    playground.get_by_label("Or a saved label set").select_option("")
