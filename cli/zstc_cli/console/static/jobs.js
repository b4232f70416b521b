// Jobs: the list with paging, a new job (POST /jobs, then the upload with a progress bar),
// live status until terminal, a Rejected job's problems by line, results with paging and a download.
import { $, api, el, errorText, numberCell, recall, remember, show, splitLabels } from "./common.js";

const TERMINAL = new Set(["Completed", "Rejected", "Failed", "Stopped"]);
const POLL_MS = 1000;
const RESULTS_PAGE = 20;

let resultTokens = [null];
let pollTimer = null;

async function loadList(token) {
  const query = new URLSearchParams({ limit: "20" });
  if ($("jobs-status-filter").value) query.set("status", $("jobs-status-filter").value);
  if (token) query.set("next_token", token);
  const answer = await api("GET", "/jobs?" + query);
  if (answer.status !== 200) { show("jobs-error", errorText(answer)); return; }
  const body = $("jobs-list");
  body.replaceChildren();
  for (const job of answer.body.jobs) {
    const open = el("button", { type: "button", className: "link" }, job.job_id);
    open.addEventListener("click", () => follow(job.job_id));
    body.append(el("tr", {}, el("td", {}, open), el("td", {}, job.status), numberCell(job.records ?? ""),
      numberCell(job.results_written ?? ""), el("td", {}, job.created_at), el("td", {}, job.updated_at)));
  }
  $("jobs-next").disabled = !answer.body.next_token;
  $("jobs-next").dataset.token = answer.body.next_token || "";
}

function upload(jobId, file) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("PUT", `/console/jobs/${encodeURIComponent(jobId)}/upload`);
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      $("jobs-progress").value = Math.round((event.loaded / event.total) * 100);
      show("jobs-progress-text", `${event.loaded} of ${event.total} bytes`);
    });
    request.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(request.responseText); } catch { body = null; }
      resolve({ status: request.status, body });
    });
    request.addEventListener("error", () => resolve({ status: 0, body: null }));
    request.send(file);
  });
}

async function submit(event) {
  event.preventDefault();
  show("jobs-error", "");
  const file = $("jobs-file").files[0];
  if (!file) { show("jobs-error", "choose a .csv or .jsonl file"); return; }
  const format = file.name.toLowerCase().endsWith(".jsonl") ? "jsonl" : "csv";
  const body = { format, filename: file.name, multi_label: $("jobs-multi").checked };
  const labels = splitLabels($("jobs-labels").value);
  if (labels.length) body.candidate_labels = labels;
  if (format === "csv") {
    body.text_column = $("jobs-text-column").value || "text";
    if ($("jobs-id-column").value) body.id_column = $("jobs-id-column").value;
  }
  $("jobs-submit").disabled = true;
  try {
    const created = await api("POST", "/jobs", body);
    if (created.status !== 201) { show("jobs-error", errorText(created)); return; }
    const jobId = created.body.job_id;
    $("jobs-progress").value = 0;
    const uploaded = await upload(jobId, file);
    if (uploaded.status !== 200) { show("jobs-error", errorText(uploaded)); }
    follow(jobId);
  } finally {
    $("jobs-submit").disabled = false;
  }
}

function showJob(job) {
  $("jobs-current").hidden = false;
  show("jobs-current-id", job.job_id);
  show("jobs-current-status", job.status);
  show("jobs-current-records", job.records ?? "");
  show("jobs-current-written", job.results_written ?? "");
  show("jobs-current-failed", job.records_failed ?? "");
  show("jobs-current-updated", job.updated_at);
  show("jobs-current-reason", job.failure_reason || "");
  const problems = job.problems || [];
  $("jobs-problems").hidden = problems.length === 0;
  $("jobs-problem-list").replaceChildren(...problems.map((problem) => el("li", {}, problem)));
}

async function follow(jobId) {
  clearTimeout(pollTimer);
  remember("job", jobId);
  $("jobs-results").hidden = true;
  const answer = await api("GET", `/jobs/${encodeURIComponent(jobId)}`);
  if (answer.status !== 200) { show("jobs-error", errorText(answer)); return; }
  showJob(answer.body);
  if (!TERMINAL.has(answer.body.status)) {
    pollTimer = setTimeout(() => follow(jobId), POLL_MS);
    return;
  }
  loadList(null);
  if (answer.body.status === "Completed") {
    resultTokens = [null];
    $("jobs-download").href = `/console/jobs/${encodeURIComponent(jobId)}/results.csv`;
    loadResults(jobId, 0);
  }
}

async function loadResults(jobId, page) {
  const query = new URLSearchParams({ limit: String(RESULTS_PAGE) });
  if (resultTokens[page]) query.set("next_token", resultTokens[page]);
  const answer = await api("GET", `/jobs/${encodeURIComponent(jobId)}/results?${query}`);
  if (answer.status !== 200) { show("jobs-error", errorText(answer)); return; }
  resultTokens[page + 1] = answer.body.next_token || null;
  $("jobs-results").hidden = false;
  $("jobs-results-body").replaceChildren(...answer.body.results.map((result) => el("tr", {},
    el("td", {}, String(result.record_id)), el("td", {}, result.top_label ?? result.error ?? ""),
    numberCell(result.top_score ?? ""), el("td", {}, result.text ?? ""))));
  $("jobs-results-prev").disabled = page === 0;
  $("jobs-results-next").disabled = !answer.body.next_token;
  $("jobs-results").dataset.page = String(page);
}

export function setupJobs() {
  $("jobs-form").addEventListener("submit", submit);
  $("jobs-refresh").addEventListener("click", () => loadList(null));
  $("jobs-status-filter").addEventListener("change", () => loadList(null));
  $("jobs-next").addEventListener("click", () => loadList($("jobs-next").dataset.token));
  const page = () => Number($("jobs-results").dataset.page || "0");
  $("jobs-results-next").addEventListener("click", () => loadResults(recall("job"), page() + 1));
  $("jobs-results-prev").addEventListener("click", () => loadResults(recall("job"), Math.max(0, page() - 1)));
}

export function enterJobs() {
  loadList(null);
  const jobId = recall("job");
  if (jobId) follow(jobId);
}
