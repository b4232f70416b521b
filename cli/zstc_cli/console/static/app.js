// The console's router: one page per URL hash (#playground, #jobs, #label-sets, #evaluate).
import { $, call, persistControls, show } from "./common.js";
import { setupPlayground } from "./playground.js";
import { setupJobs, enterJobs } from "./jobs.js";
import { setupLabelSets, enterLabelSets } from "./labelsets.js";
import { setupEvaluate, enterEvaluate } from "./evaluate.js";

const PAGES = ["playground", "jobs", "label-sets", "evaluate"];
const ENTER = { jobs: enterJobs, "label-sets": enterLabelSets, evaluate: enterEvaluate };

function route() {
  const wanted = location.hash.replace(/^#/, "").split("?")[0];
  const page = PAGES.includes(wanted) ? wanted : "playground";
  for (const name of PAGES) $(name).hidden = name !== page;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `zstc console: ${$(page + "-title").textContent}`;
  if (ENTER[page]) ENTER[page]();
}

async function start() {
  persistControls();
  const target = await call("GET", "/console/target");
  if (target.status === 200) show("target", `API: ${target.body.api_url} (auth: ${target.body.auth})`);
  setupPlayground(target.body || {});
  setupJobs();
  setupLabelSets();
  setupEvaluate();
  window.addEventListener("hashchange", route);
  route();
}

start();
