// Label sets: list, create from a file or by hand, edit into a new version, compare two versions.
// The API: POST/GET /label-sets, GET/DELETE /label-sets/{name} (?version=N); a version holds
// {name, version, parameters: {candidate_labels, label_descriptions, threshold, ...}, note}.
import { $, api, el, errorText, fillFromLabelsFile, show } from "./common.js";

let loaded = null; // the version being edited: its other parameters (templates, examples) are kept
let pendingThreshold = null; // a threshold brought from the Evaluate page, applied to the set edited

const path = (name, version) =>
  `/label-sets/${encodeURIComponent(name)}` + (version ? `?version=${encodeURIComponent(version)}` : "");

/** A label set's fields as the form's lines: "label" or "label: description". */
function toLines(parameters) {
  const descriptions = parameters.label_descriptions || {};
  return parameters.candidate_labels.map((label) => (descriptions[label] ? `${label}: ${descriptions[label]}` : label)).join("\n");
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

/** Fill a <select> with the saved sets' names (nothing when the API has no label sets). */
export async function loadLabelSetChoices(select) {
  const answer = await api("GET", "/label-sets");
  if (answer.status !== 200) return;
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "(none)"),
    ...answer.body.label_sets.map((set) => el("option", { value: set.name }, `${set.name} (v${set.latest_version})`)));
  select.value = chosen;
}

/** Open `version` of `name` (the latest when none) in the form; Save makes the version after the latest. */
async function edit(name, version) {
  const [answer, latest] = await Promise.all([api("GET", path(name, version)), version ? api("GET", path(name)) : null]);
  for (const read of [answer, latest]) if (read && read.status !== 200) { show("ls-error", errorText(read)); return; }
  const next = (latest || answer).body.version + 1;
  loaded = answer.body;
  $("ls-name").value = answer.body.name;
  $("ls-labels").value = toLines(answer.body.parameters);
  $("ls-threshold").value = pendingThreshold ?? answer.body.parameters.threshold ?? "";
  $("ls-note").value = answer.body.note ?? "";
  pendingThreshold = null;
  for (const id of ["ls-name", "ls-labels", "ls-threshold", "ls-note"]) $(id).dispatchEvent(new Event("input"));
  show("ls-saved", `editing ${answer.body.label_set}; Save makes version ${next}`);
  $("ls-name").focus();
}

async function loadList() {
  const answer = await api("GET", "/label-sets");
  $("ls-unavailable").hidden = answer.status === 200;
  $("ls-body").hidden = answer.status !== 200;
  if (answer.status !== 200) { show("ls-unavailable-status", answer.status); return; }
  $("ls-list").replaceChildren(...answer.body.label_sets.map((set) => {
    const button = el("button", { type: "button", "aria-label": `Edit ${set.name}` }, "Edit");
    button.addEventListener("click", () => edit(set.name));
    return el("li", {}, `${set.name}: version ${set.latest_version}, ${set.labels} labels `, button);
  }));
}

async function save(event) {
  event.preventDefault();
  show("ls-error", "");
  show("ls-saved", "");
  const { labels, descriptions } = fromLines($("ls-labels").value);
  const name = $("ls-name").value.trim();
  // editing keeps what the form does not show (templates, examples, multi_label) of the version read
  const kept = loaded && loaded.name === name ? { ...loaded.parameters } : {};
  delete kept.label_descriptions;
  delete kept.threshold;
  const parameters = { ...kept, candidate_labels: labels };
  if (Object.keys(descriptions).length) parameters.label_descriptions = descriptions;
  if ($("ls-threshold").value !== "") parameters.threshold = Number($("ls-threshold").value);
  const body = { name, parameters };
  if ($("ls-note").value.trim()) body.note = $("ls-note").value.trim();
  const answer = await api("POST", "/label-sets", body);
  if (answer.status !== 200 && answer.status !== 201) { show("ls-error", errorText(answer)); return; }
  show("ls-saved", `saved ${answer.body.name} version ${answer.body.version}`);
  loaded = answer.body;
  loadList();
  loadLabelSetChoices($("pg-label-set"));
}

async function compare() {
  const name = $("ls-name").value.trim();
  const [a, b] = await Promise.all([api("GET", path(name, $("ls-compare-a").value)), api("GET", path(name, $("ls-compare-b").value))]);
  for (const answer of [a, b]) if (answer.status !== 200) { show("ls-error", errorText(answer)); return; }
  const describe = (set) => new Map(set.body.parameters.candidate_labels.map((label) => [label, (set.body.parameters.label_descriptions || {})[label] || ""]));
  const before = describe(a);
  const after = describe(b);
  const rows = [];
  for (const [label, text] of after) {
    if (!before.has(label)) rows.push([label, "added"]);
    else if (before.get(label) !== text) rows.push([label, `description: "${before.get(label)}" → "${text}"`]);
  }
  for (const label of before.keys()) if (!after.has(label)) rows.push([label, "removed"]);
  const [ta, tb] = [a.body.parameters.threshold ?? null, b.body.parameters.threshold ?? null];
  if (ta !== tb) rows.push(["(threshold)", `${ta ?? "none"} → ${tb ?? "none"}`]);
  if (!rows.length) rows.push(["(no change)", ""]);
  $("ls-diff").replaceChildren(...rows.map(([label, change]) => el("tr", {}, el("td", {}, label), el("td", {}, change))));
}

export function setupLabelSets() {
  $("ls-form").addEventListener("submit", save);
  $("ls-compare").addEventListener("click", compare);
  fillFromLabelsFile($("ls-file"), $("ls-labels"), "\n");
}

export function enterLabelSets() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  const wanted = query.get("threshold");
  const evaluated = query.get("label_set");
  if (wanted !== null) {
    pendingThreshold = wanted;
    $("ls-threshold").value = wanted;
    $("ls-threshold").dispatchEvent(new Event("input"));
    show("ls-saved", `threshold ${wanted} from the evaluation: choose Edit on a set, then Save for its next version`);
  }
  loadList();
  // the evaluated version ("name@N") opens for editing with the threshold in it: Save makes the set's
  // next version from that version's content (a bare "name" opens the latest)
  if (wanted !== null && evaluated) {
    const [name, version] = evaluated.split("@");
    edit(name, version);
  }
}
