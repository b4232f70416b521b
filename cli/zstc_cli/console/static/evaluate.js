// Evaluate: an annotated sample in; the metrics come from the console server, which runs zstc eval's
// code (scikit-learn): this page only draws them.
import { $, call, el, errorText, numberCell, readFile, remember, recall, show, splitLabels } from "./common.js";
import { loadLabelSetChoices } from "./labelsets.js";

const SVG = "http://www.w3.org/2000/svg";
let report = null;

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Coverage and precision against the threshold (the server's points, as steps), the chosen one marked. */
function drawCurve(points, chosen) {
  const width = 420, height = 220, pad = 34;
  const x = (t) => pad + t * (width - 2 * pad);
  const y = (v) => height - pad - v * (height - 2 * pad);
  const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "Coverage (solid) and precision of the auto-labelled items (dashed) by threshold" });
  chart.append(svg("line", { x1: pad, y1: y(0), x2: x(1), y2: y(0), stroke: "#999" }));
  chart.append(svg("line", { x1: pad, y1: y(0), x2: pad, y2: y(1), stroke: "#999" }));
  for (const key of ["coverage", "precision"]) {
    // a point holds from the previous point's threshold up to its own; past the last, nothing is covered
    const steps = points.flatMap((p, i) => [[i ? points[i - 1].threshold : 0, p[key]], [p.threshold, p[key]]]);
    const last = points.length ? points[points.length - 1].threshold : 0;
    const path = [...steps, [last, 0], [1, 0]]
      .map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    chart.append(svg("path", { d: path, class: key }));
  }
  chart.append(svg("line", { x1: x(chosen), y1: y(0), x2: x(chosen), y2: y(1), class: "chosen" }));
  for (const tick of [0, 0.5, 1]) {
    const label = svg("text", { x: x(tick) - 6, y: height - 14 });
    label.textContent = String(tick);
    chart.append(label);
    const value = svg("text", { x: 4, y: y(tick) + 4 });
    value.textContent = String(tick);
    chart.append(value);
  }
  const legend = svg("text", { x: pad + 8, y: 16 });
  legend.textContent = "threshold → coverage (solid), precision (dashed)";
  chart.append(legend);
  $("ev-curve").replaceChildren(chart);
}

function showThreshold() {
  if (!report) return;
  const chosen = Number($("ev-threshold").value);
  // the items whose top score reaches the chosen threshold: the first point at or above it
  const point = report.tradeoff.find((p) => p.threshold >= chosen);
  const text = !point
    ? "nothing auto-labelled"
    : `${point.items} of ${report.examples} auto-labelled (coverage ${(point.coverage * 100).toFixed(0)}%), precision ${(point.precision * 100).toFixed(0)}%`;
  show("ev-threshold-out", `${chosen.toFixed(2)}: ${text}`);
  const target = new URLSearchParams({ threshold: chosen.toFixed(2) });
  // the evaluated version ("name@N", as the report pins it) is the one to edit: a save makes the
  // set's next version from what was measured, not from a later version saved meanwhile
  if (report.label_set) target.set("label_set", report.label_set);
  $("ev-save-threshold").href = `#label-sets?${target}`;
  drawCurve(report.tradeoff, chosen);
}

function render(data) {
  report = data;
  $("ev-report").hidden = false;
  const rows = [...data.variants, data.majority];
  $("ev-variants").replaceChildren(...rows.map((row) => el("tr", {}, el("th", { scope: "row" }, row.name),
    numberCell(row.accuracy), numberCell(row.macro_f1))));
  show("ev-best", data.best.name);
  $("ev-per-label").replaceChildren(...data.best.per_label.map((row) => el("tr", {}, el("th", { scope: "row" }, row.label),
    numberCell(row.precision), numberCell(row.recall), numberCell(row.f1), numberCell(row.support))));
  const head = el("tr", {}, el("th", { scope: "col" }, "annotated \\ predicted"), ...data.classes.map((name) => el("th", { scope: "col" }, name)));
  const body = data.best.confusion.map((row, i) => el("tr", {}, el("th", { scope: "row" }, data.classes[i]),
    ...row.map((count, j) => el("td", { className: i === j && count ? "num hot" : "num" }, String(count)))));
  $("ev-matrix").replaceChildren(el("caption", { className: "visually-hidden" }, "Confusion matrix"), el("thead", {}, head), el("tbody", {}, ...body));
  $("ev-confused").replaceChildren(...data.most_confused.map((item) => el("tr", {}, el("td", {}, item.id),
    el("td", {}, item.truth), el("td", {}, item.predicted), numberCell(item.score), el("td", {}, item.text))));
  showThreshold();
}

async function run(event) {
  event.preventDefault();
  show("ev-error", "");
  const file = $("ev-file").files[0];
  if (!file) { show("ev-error", "choose a .csv or .jsonl file"); return; }
  const body = {
    filename: file.name,
    content: await readFile(file),
    text_column: $("ev-text-column").value,
    truth_column: $("ev-truth-column").value,
    id_column: $("ev-id-column").value || null,
    labels: $("ev-label-set").value ? [] : splitLabels($("ev-labels").value),
    label_set: $("ev-label-set").value || null,
    templates: $("ev-templates").value.split(/\r?\n/).map((t) => t.trim()).filter((t) => t),
    multi_label: $("ev-multi").checked,
  };
  if ($("ev-limit").value) body.limit = Number($("ev-limit").value);
  $("ev-run").disabled = true;
  show("ev-status", `classifying ${file.name}...`);
  try {
    const answer = await call("POST", "/console/evaluate", body);
    if (answer.status !== 200) { show("ev-status", ""); show("ev-error", errorText(answer)); return; }
    const of = answer.body.label_set ? ` of label set ${answer.body.label_set}` : "";
    show("ev-status", `${answer.body.examples} examples, ${answer.body.classes.length} classes${of}`);
    remember("evaluation", answer.body);
    render(answer.body);
  } finally {
    $("ev-run").disabled = false;
  }
}

/** Entering the page: the saved label sets as they are now (one may have been created meanwhile). */
export function enterEvaluate() {
  loadLabelSetChoices($("ev-label-set"));
}

export function setupEvaluate() {
  $("ev-form").addEventListener("submit", run);
  $("ev-threshold").addEventListener("input", showThreshold);
  const saved = recall("evaluation");
  if (saved) render(saved);
}
