// Playground: classify texts, see ranked bars, predicted labels, abstentions and evidence.
import { $, api, el, errorText, fillFromLabelsFile, show, splitLabels } from "./common.js";
import { loadLabelSetChoices } from "./labelsets.js";

let target = {};

/** "label: text" lines as [label, text] pairs (lines without a colon are skipped). */
function labelledLines(value) {
  return value.split(/\r?\n/).filter((line) => line.includes(":"))
    .map((line) => [line.slice(0, line.indexOf(":")).trim(), line.slice(line.indexOf(":") + 1).trim()])
    .filter(([label, text]) => label && text);
}

/** The request body the form describes ({inputs, parameters}). */
function buildRequest() {
  const inputs = $("pg-texts").value.split(/\r?\n/).map((t) => t.trim()).filter((t) => t);
  if ($("pg-label-set").value) {
    // a saved set holds the label parameters; evidence is chosen per request
    const parameters = { label_set: $("pg-label-set").value };
    if ($("pg-evidence").checked) parameters.return_evidence = true;
    return { inputs: inputs.length === 1 ? inputs[0] : inputs, parameters };
  }
  const parameters = { candidate_labels: splitLabels($("pg-labels").value) };
  if ($("pg-multi").checked) parameters.multi_label = true;
  const templates = $("pg-templates").value.split(/\r?\n/).map((t) => t.trim()).filter((t) => t);
  if (templates.length === 1) parameters.hypothesis_template = templates[0];
  if (templates.length > 1) parameters.hypothesis_template = templates;
  const descriptions = {};
  for (const [label, text] of labelledLines($("pg-descriptions").value)) descriptions[label] = text;
  if (Object.keys(descriptions).length) parameters.label_descriptions = descriptions;
  const examples = {};
  for (const [label, text] of labelledLines($("pg-examples").value)) (examples[label] ||= []).push(text);
  if (Object.keys(examples).length) parameters.label_examples = examples;
  if ($("pg-threshold").value !== "") parameters.threshold = Number($("pg-threshold").value);
  if ($("pg-evidence").checked) parameters.return_evidence = true;
  return { inputs: inputs.length === 1 ? inputs[0] : inputs, parameters };
}

function quoteShell(value) { return "'" + String(value).replace(/'/g, "'\\''") + "'"; }

/** The same request as curl, a zstc command and Python (requests), for copy and paste. */
function showRequest(request) {
  const url = (target.api_url || "http://127.0.0.1:3000") + "/classify";
  const body = JSON.stringify(request);
  const auth = target.auth === "api-key" ? " -H \"x-api-key: $ZSTC_API_KEY\"" : "";
  show("pg-curl", `curl -s ${url} -H 'Content-Type: application/json'${auth} -d ${quoteShell(body)}`);
  const p = request.parameters;
  const texts = Array.isArray(request.inputs) ? request.inputs : [request.inputs];
  const cli = ["zstc", "classify", ...texts.map(quoteShell)];
  if (p.label_set) cli.push("--label-set", quoteShell(p.label_set));
  else cli.push("-l", quoteShell(p.candidate_labels.join(",")));
  if (p.multi_label) cli.push("--multi-label");
  for (const template of [].concat(p.hypothesis_template || [])) cli.push("-t", quoteShell(template));
  if (p.threshold !== undefined) cli.push("--threshold", String(p.threshold));
  if (p.return_evidence) cli.push("--evidence");
  if (p.label_descriptions) cli.push("--descriptions", "descriptions.json");
  show("pg-cli", cli.join(" "));
  show("pg-python", `import requests\n\nanswer = requests.post(\n    ${JSON.stringify(url)},\n    json=${JSON.stringify(request, null, 4).replace(/\n/g, "\n    ")},\n)\nprint(answer.json())`);
}

/** The text with the top label's evidence window marked. */
function sequenceWithEvidence(answer) {
  const paragraph = el("p", { className: "sequence" });
  const evidence = (answer.evidence || []).find((item) => item.label === answer.labels[0]);
  if (!evidence) {
    paragraph.textContent = answer.sequence;
    return paragraph;
  }
  const text = answer.sequence;
  paragraph.append(
    text.slice(0, evidence.start),
    el("mark", { title: `evidence for ${evidence.label}: ${evidence.score.toFixed(3)}` }, text.slice(evidence.start, evidence.end)),
    text.slice(evidence.end),
  );
  return paragraph;
}

function renderAnswer(answer) {
  const predicted = new Set(answer.predicted_labels || []);
  const list = el("ol", { className: "bars", "aria-label": "Labels, best first" });
  answer.labels.forEach((label, index) => {
    const score = answer.scores[index];
    const bar = el("span");
    bar.style.width = `${Math.round(score * 1000) / 10}%`;
    list.append(el("li", { className: predicted.has(label) ? "predicted" : "" },
      el("span", { className: "label" }, label),
      el("span", { className: "bar", role: "img", "aria-label": `${label}: ${score.toFixed(3)}` }, bar),
      el("span", { className: "score num" }, score.toFixed(3)),
      el("span", { className: "badge" }, predicted.has(label) ? "predicted" : "")));
  });
  const card = el("article", { className: "result" }, sequenceWithEvidence(answer), list);
  if (answer.predicted_labels && predicted.size === 0) card.append(el("p", { className: "abstained" }, "abstained: no label reaches the threshold"));
  return card;
}

async function classify(event) {
  event.preventDefault();
  show("pg-error", "");
  const request = buildRequest();
  showRequest(request);
  $("pg-classify").disabled = true;
  try {
    const answer = await api("POST", "/classify", request);
    const results = $("pg-results");
    results.replaceChildren();
    if (answer.status !== 200) {
      show("pg-error", errorText(answer));
      return;
    }
    for (const item of [].concat(answer.body)) results.append(renderAnswer(item));
  } finally {
    $("pg-classify").disabled = false;
  }
}

export function setupPlayground(targetInfo) {
  target = targetInfo;
  $("pg-form").addEventListener("submit", classify);
  fillFromLabelsFile($("pg-labels-file"), $("pg-labels"), ", ");
  loadLabelSetChoices($("pg-label-set"));
}
