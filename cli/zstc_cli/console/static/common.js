// Shared helpers of the console's pages. Data from the API or a file is only ever set with
// textContent (never innerHTML): a label or a text is user input and renders as text.

/** Create an element: el("td", {className: "num"}, "0.91", childNode, ...). Strings become text. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria-") || key === "role" || key === "for" || key === "scope") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

/** Call the console server: {status, body} with the JSON body (null when there is none). */
export async function call(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let parsed = null;
  try { parsed = await response.json(); } catch { parsed = null; }
  return { status: response.status, body: parsed };
}

/** The zstc API through the console (which signs the call): api("POST", "/classify", {...}). */
export const api = (method, path, body) => call(method, "/api" + path, body);

/** The API's error envelope as one readable message, each detail with its field and position. */
export function errorText(answer) {
  const error = answer.body && answer.body.error;
  if (!error) return `HTTP ${answer.status}`;
  const details = (error.details || []).map((d) => `  ${(d.loc || []).join(".")}: ${d.msg}`);
  return [`${answer.status} ${error.code}: ${error.message}`, ...details].join("\n");
}

/** Put a text (or nothing) in the element with this id. */
export function show(id, text) { $(id).textContent = text === null || text === undefined ? "" : String(text); }

/** Labels from "a, b, c" (commas) or from lines. */
export function splitLabels(value, separator = ",") {
  return value.split(separator).map((item) => item.trim()).filter((item) => item);
}

/** Read a chosen file as text. */
export function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}

/** Labels from a labels file: one per line, or a CSV whose header is label[,description]. */
export function labelsFromFile(text) {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line);
  if (lines.length && /^label(,description)?$/i.test(lines[0])) {
    return lines.slice(1).map((line) => line.split(",")[0].trim()).filter((label) => label);
  }
  return lines;
}

/** When a labels file is chosen in ``input``, write its labels into ``field`` joined by ``joiner``. */
export function fillFromLabelsFile(input, field, joiner) {
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    field.value = labelsFromFile(await readFile(file)).join(joiner);
    field.dispatchEvent(new Event("input"));
  });
}

const STORE = "zstc.console.";

/** Every control marked data-persist keeps its value across reloads (localStorage). */
export function persistControls() {
  for (const control of document.querySelectorAll("[data-persist]")) {
    const key = STORE + control.id;
    const saved = localStorage.getItem(key);
    if (saved !== null) {
      if (control.type === "checkbox") control.checked = saved === "true";
      else control.value = saved;
    }
    const save = () => localStorage.setItem(key, control.type === "checkbox" ? String(control.checked) : control.value);
    control.addEventListener("input", save);
    control.addEventListener("change", save);
  }
}

export function remember(name, value) {
  if (value === null || value === undefined) localStorage.removeItem(STORE + name);
  else localStorage.setItem(STORE + name, JSON.stringify(value));
}

export function recall(name) {
  const saved = localStorage.getItem(STORE + name);
  try { return saved === null ? null : JSON.parse(saved); } catch { return null; }
}

/** A table cell with a number: 3 decimals for fractions. */
export function numberCell(value) {
  return el("td", { className: "num" }, typeof value === "number" && !Number.isInteger(value) ? value.toFixed(3) : String(value ?? ""));
}
