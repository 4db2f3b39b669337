// The studio's page: shows one of three views by the URL's hash (#playground, #graph, #runs or #runs/<name>).
// A view's start() runs the first time it is shown, show(rest of the hash) each time, hide() when another view
// replaces it (the playground pauses then); each is optional.
import * as playground from "./playground.js";
import * as graph from "./graph.js";
import * as runs from "./runs.js";

const VIEWS = {playground, graph, runs};
const started = new Set();
let current = null;

function route() {
  const [name, ...rest] = location.hash.replace(/^#/, "").split("/");
  const view = VIEWS[name] ? name : "playground";
  if (current && current !== view) VIEWS[current].hide?.();
  for (const key of Object.keys(VIEWS)) {
    document.getElementById(`view-${key}`).hidden = key !== view;
    document.getElementById(`tab-${key}`).classList.toggle("active", key === view);
  }
  if (!started.has(view)) {
    started.add(view);
    VIEWS[view].start?.();
  }
  current = view;
  VIEWS[view].show?.(decoded(rest.join("/")));
}

/** The hash's text with its %-escapes undone (as typed when it has a stray "%"). */
function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

window.studioStats = {frames: 0, lastDrawMs: 0, meanDrawMs: 0, framesPerSecond: 0};
window.addEventListener("hashchange", route);
route();
