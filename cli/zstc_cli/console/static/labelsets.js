// Label sets: list, create from a file or by hand, edit into a new version, compare two versions.
// The API: POST/GET /label-sets, GET/DELETE /label-sets/{name} (?version=N).
import { $, api, el, errorText, fillFromLabelsFile, show } from "./common.js";

const path = (name, version) => `/label-sets/${encodeURIComponent(name)}` + (version ? `?version=${version}` : "");

/** A label set's fields as the form's lines: "label" or "label: description". */
function toLines(set) {
  const descriptions = set.label_descriptions || {};
  return set.candidate_labels.map((label) => (descriptions[label] ? `${label}: ${descriptions[label]}` : label)).join("\n");
}

function fromLines(text) {
  const labels = [];
  const descriptions = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":");
    const label = (at > 0 ? line.slice(0, at) : line).trim();
    if (!label) continue;
    labels.push(label);
    if (at > 0 && line.slice(at + 1).trim()) descriptions[label] = line.slice(at + 1).trim();
  }
  return { labels, descriptions };
}

/** The candidate labels of a saved set (its latest version). */
export async function labelSetLabels(name) {
  const answer = await api("GET", path(name));
  return answer.status === 200 ? answer.body.candidate_labels : [];
}

/** Fill a <select> with the saved sets' names (nothing when the API has no label sets). */
export async function loadLabelSetChoices(select) {
  const answer = await api("GET", "/label-sets");
  if (answer.status !== 200) return;
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "(none)"),
    ...answer.body.label_sets.map((set) => el("option", { value: set.name }, `${set.name} (v${set.version})`)));
  select.value = chosen;
}

async function edit(name, version) {
  const answer = await api("GET", path(name, version));
  if (answer.status !== 200) { show("ls-error", errorText(answer)); return; }
  $("ls-name").value = answer.body.name;
  $("ls-labels").value = toLines(answer.body);
  $("ls-threshold").value = answer.body.threshold ?? "";
  for (const id of ["ls-name", "ls-labels", "ls-threshold"]) $(id).dispatchEvent(new Event("input"));
  $("ls-name").focus();
}

async function loadList() {
  const answer = await api("GET", "/label-sets");
  $("ls-unavailable").hidden = answer.status === 200;
  $("ls-body").hidden = answer.status !== 200;
  if (answer.status !== 200) { show("ls-unavailable-status", answer.status); return; }
  $("ls-list").replaceChildren(...answer.body.label_sets.map((set) => {
    const button = el("button", { type: "button" }, "Edit");
    button.addEventListener("click", () => edit(set.name));
    return el("li", {}, `${set.name}: version ${set.version}, ${set.labels ?? ""} labels `, button);
  }));
}

async function save(event) {
  event.preventDefault();
  show("ls-error", "");
  show("ls-saved", "");
  const { labels, descriptions } = fromLines($("ls-labels").value);
  const body = { name: $("ls-name").value.trim(), candidate_labels: labels };
  if (Object.keys(descriptions).length) body.label_descriptions = descriptions;
  if ($("ls-threshold").value !== "") body.threshold = Number($("ls-threshold").value);
  const answer = await api("POST", "/label-sets", body);
  if (answer.status !== 200 && answer.status !== 201) { show("ls-error", errorText(answer)); return; }
  show("ls-saved", `saved ${answer.body.name} version ${answer.body.version}`);
  loadList();
}

async function compare() {
  const name = $("ls-name").value.trim();
  const [a, b] = await Promise.all([api("GET", path(name, $("ls-compare-a").value)), api("GET", path(name, $("ls-compare-b").value))]);
  for (const answer of [a, b]) if (answer.status !== 200) { show("ls-error", errorText(answer)); return; }
  const describe = (set) => new Map(set.body.candidate_labels.map((label) => [label, (set.body.label_descriptions || {})[label] || ""]));
  const before = describe(a);
  const after = describe(b);
  const rows = [];
  for (const [label, text] of after) {
    if (!before.has(label)) rows.push([label, "added"]);
    else if (before.get(label) !== text) rows.push([label, `description: "${before.get(label)}" → "${text}"`]);
  }
  for (const label of before.keys()) if (!after.has(label)) rows.push([label, "removed"]);
  if ((a.body.threshold ?? null) !== (b.body.threshold ?? null)) rows.push(["(threshold)", `${a.body.threshold ?? "none"} → ${b.body.threshold ?? "none"}`]);
  if (!rows.length) rows.push(["(no change)", ""]);
  $("ls-diff").replaceChildren(...rows.map(([label, change]) => el("tr", {}, el("td", {}, label), el("td", {}, change))));
}

export function setupLabelSets() {
  $("ls-form").addEventListener("submit", save);
  $("ls-compare").addEventListener("click", compare);
  fillFromLabelsFile($("ls-file"), $("ls-labels"), "\n");
}

export function enterLabelSets() {
  const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("threshold");
  if (wanted !== null) {
    $("ls-threshold").value = wanted;
    $("ls-threshold").dispatchEvent(new Event("input"));
  }
  loadList();
}
