// The runs view: #runs lists the runs under the server's --runs folder (GET /api/runs); #runs/<name> shows one
// (GET /api/runs/<name>): its curves, settings, checkpoint, verdicts, report and figures. A running run's page
// polls every 2 s, so that its curves grow while it trains.
import {$, drawLines, element, fetchJSON, formatNumber, formatValue, showStatus} from "./common.js";

const POLL_MS = 2000;
const COLOURS = ["#0877bd", "#f59322", "#2a9d4b", "#8e44ad", "#555"];

let shownRun = null;      // the name of the run whose page is shown, or null for the list
let pollTimer = null;

export function hide() {
  shownRun = null;
  clearTimeout(pollTimer);
}

export function show(name) {
  clearTimeout(pollTimer);
  shownRun = name || null;
  $("runs-list-view").hidden = Boolean(shownRun);
  $("run-detail").hidden = !shownRun;
  if (shownRun) showRun(shownRun);
  else showList();
}

function setStatus(text) {
  showStatus("runs-status", text);
}

async function showList() {
  let reply;
  try {
    reply = await fetchJSON("/api/runs");
  } catch (error) {
    setStatus(error.message);
    return;
  }
  setStatus(reply.runs.length ? "" : "No runs yet: `backprop train` or `make demo` makes one.");
  $("runs-root").textContent = reply.root;
  const rows = reply.runs.map((run) => element("tr", {},
    element("td", {}, element("a", {href: `#runs/${encodedName(run.name)}`, class: "run-link"}, run.name)),
    element("td", {}, run.kind),
    element("td", {class: `run-status ${run.status}`}, run.status),
    element("td", {}, new Date(run.modified * 1000).toLocaleString()),
    element("td", {}, summaryText(run.summary ?? run.settings ?? ""))));
  $("runs-list").tBodies[0].replaceChildren(...rows);
}

/** A run's name (a path relative to --runs, "/" between its parts) as it goes into a URL. */
function encodedName(name) {
  return name.split("/").map(encodeURIComponent).join("/");
}

function summaryText(summary) {
  if (summary && typeof summary === "object") {
    return Object.entries(summary).map(([key, value]) => `${key} ${formatValue(value)}`).join(", ");
  }
  return String(summary);
}

async function showRun(name) {
  let detail;
  try {
    detail = await fetchJSON(`/api/runs/${encodedName(name)}`);
  } catch (error) {
    setStatus(error.message);
    return;
  }
  if (shownRun !== name) return;   // the learner went elsewhere meanwhile
  setStatus("");
  $("run-name").textContent = detail.name;
  $("run-kind").textContent = detail.kind;
  $("run-status").textContent = detail.status;
  drawCurves(detail);
  fillTable($("run-settings"), Object.entries(detail.settings || {}).map(([k, v]) => [k, formatValue(v, 6, 50)]));
  fillTable($("run-checkpoint"), (detail.checkpoint || []).map((t) => [t.name, `(${t.shape.join(", ")})`]));
  const verdicts = (detail.verdicts || []).map((verdict) => element("li", {}, verdictText(verdict)));
  $("run-verdicts").replaceChildren(...verdicts);
  $("run-report").innerHTML = detail.report_html || "";   // sanitised by the server (Markdown, raw HTML off)
  $("run-figures").replaceChildren(...(detail.figures || []).map((url) => element("img", {src: url, alt: url})));
  if (detail.status === "running") {
    pollTimer = setTimeout(() => { if (shownRun === name) showRun(name); }, POLL_MS);
  }
}

function verdictText(verdict) {
  if (verdict && typeof verdict === "object") {
    return Object.entries(verdict).map(([key, value]) => `${key}: ${formatValue(value)}`).join("; ");
  }
  return String(verdict);
}

function fillTable(table, rows) {
  const row = (cells) => element("tr", {}, ...cells.map((cell) => element("td", {}, cell)));
  table.tBodies[0].replaceChildren(...rows.map(row));
}

/** One small chart per series against the run's x series (epoch, step, episode ...). */
function drawCurves(detail) {
  const curves = detail.curves || {};
  const x = curves[detail.x] || null;
  const names = Object.keys(curves).filter((name) => name !== detail.x);
  $("run-curves").replaceChildren(...names.map((name, index) => {
    const canvas = element("canvas", {id: `curve-${name}`, class: "run-curve", width: "320", height: "160",
                                      "data-points": String(curves[name].length)});
    const last = curves[name][curves[name].length - 1];
    drawLines(canvas, [{values: curves[name], colour: COLOURS[index % COLOURS.length]}], x,
              {title: `${name} (last ${formatNumber(last, 4)}) against ${detail.x || "index"}`});
    return canvas;
  }));
}
