// The graph view: an expression (or a small model) goes to POST /api/graph, which runs it forward and backward
// with backprop; the computational graph comes back with each node's position, value and gradient. The
// stepper then walks the backward pass node by node (backward_order, the output first): each revealed node
// shows the gradient it receives, each of its input edges the gradient it passes on (the chain rule).
import {$, element, fetchJSON, formatValue, showStatus, svgElement} from "./common.js";

const BOX = {width: 128, height: 62};
const SPACING = {x: 180, y: 76};   // the least distance between two node centres on the page

let graph = null;
let revealed = 0;                   // how many nodes of backward_order are shown

export async function start() {
  $("graph-draw").addEventListener("click", () => draw());
  $("expression").addEventListener("keydown", (event) => { if (event.key === "Enter") draw(); });
  $("expression").addEventListener("input", () => syncValueInputs());
  $("graph-model").addEventListener("change", () => {
    if ($("graph-model").value) draw({model: $("graph-model").value});
  });
  $("backward-previous").addEventListener("click", () => reveal(revealed - 1));
  $("backward-next").addEventListener("click", () => reveal(revealed + 1));
  $("backward-all").addEventListener("click", () => reveal(graph ? graph.backward_order.length : 0));
  try {
    const models = await fetchJSON("/api/graph/models");
    for (const [name, expression] of Object.entries(models)) {
      $("graph-model").append(element("option", {value: name, title: expression}, `${name}: ${expression}`));
    }
  } catch (error) {
    setStatus(`cannot load the models: ${error.message}`);
  }
  await draw();
}

function setStatus(text) {
  showStatus("graph-status", text);
}

// a name of the expression: a word not followed by "(" (that would be a function); the server's grammar decides
const NAME = /\b[A-Za-z_]\w*\b(?!\s*\()/g;

/** The request: the expression and the values typed in (an empty field: the server picks the value). */
function request() {
  const values = {};
  for (const input of $("graph-values").querySelectorAll("input")) {
    if (input.value.trim() === "") continue;
    try {
      values[input.dataset.name] = JSON.parse(input.value);
    } catch {
      throw new Error(`value of ${input.dataset.name}: expected a number or a list like [1, 2], got '${input.value}'`);
    }
  }
  return {expression: $("expression").value, values};
}

async function draw(body = null) {
  try {
    graph = await fetchJSON("/api/graph", body || request());
  } catch (error) {
    setStatus(error.message);
    return;
  }
  setStatus("");
  if (!body || !body.model) $("graph-model").value = "";
  $("expression").value = graph.expression;
  const leaves = graph.nodes.filter((node) => node.kind === "leaf" && node.name);
  syncValueInputs(Object.fromEntries(leaves.map((node) => [node.name, node.value])));
  buildGraph();
  reveal(0);
}

/** One value field per name of the expression, in order of appearance: a field keeps what was typed in it, or
 * takes the value from `values` (those of the graph just drawn). */
function syncValueInputs(values = {}) {
  const names = [...new Set($("expression").value.match(NAME) || [])];
  const fields = [...$("graph-values").querySelectorAll("input")];
  if (fields.map((input) => input.dataset.name).join() === names.join() && !Object.keys(values).length) return;
  const typed = new Map(fields.map((input) => [input.dataset.name, input.value]));
  $("graph-values").replaceChildren(...names.map((name) => {
    const input = element("input", {id: `value-${name}`, "data-name": name, size: "8", placeholder: "auto",
                                    spellcheck: "false"});
    input.value = name in values ? JSON.stringify(values[name]) : typed.get(name) ?? "";
    input.addEventListener("keydown", (event) => { if (event.key === "Enter") draw(); });
    return element("label", {}, `${name} = `, input);
  }));
}

/** Node centres on the page: the server's x, y scaled so that neighbours are at least SPACING apart. */
function placeNodes(nodes) {
  function scale(key, spacing) {
    const values = [...new Set(nodes.map((node) => node[key]))].sort((a, b) => a - b);
    const gaps = values.slice(1).map((value, i) => value - values[i]).filter((gap) => gap > 0);
    const factor = gaps.length ? spacing / Math.min(...gaps) : 1;
    return (value) => (value - values[0]) * factor;
  }
  const sx = scale("x", SPACING.x);
  const sy = scale("y", SPACING.y);
  const margin = {x: BOX.width / 2 + 10, y: BOX.height / 2 + 24};
  return new Map(nodes.map((node) => [node.id, {x: sx(node.x) + margin.x, y: sy(node.y) + margin.y}]));
}

function shapeText(shape) {
  return shape.length ? `shape (${shape.join(", ")})` : "scalar";
}

function buildGraph() {
  const svg = $("graph-svg");
  const places = placeNodes(graph.nodes);
  const marker = svgElement("marker", {id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
                                       markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse"});
  marker.append(svgElement("path", {d: "M0,0 L10,5 L0,10 z", fill: "#777"}));
  const defs = svgElement("defs");
  defs.append(marker);
  const children = [defs];
  const labels = [];   // the edges' gradients, drawn last: over the boxes where an edge is short
  graph.edges.forEach((edge, index) => {
    const a = places.get(edge.from);
    const b = places.get(edge.to);
    const [x0, y0] = boxEdge(a, b);
    const [x1, y1] = boxEdge(b, a);
    const group = svgElement("g", {class: "edge", id: `edge-${index}`});
    group.append(svgElement("line", {x1: x0, y1: y0, x2: x1, y2: y1, "marker-end": "url(#arrow)"}));
    children.push(group);
    labels.push(svgElement("text", {class: "edge-grad", id: `edge-grad-${index}`, x: (x0 + x1) / 2,
                                    y: (y0 + y1) / 2 - 4, "text-anchor": "middle"},
                           `← ${formatValue(edge.grad, 4, 4)}`));
  });
  for (const node of graph.nodes) {
    const {x, y} = places.get(node.id);
    const attributes = {class: `node ${node.kind}`, id: `node-${node.id}`, transform: `translate(${x}, ${y})`};
    if (node.name) attributes["data-name"] = node.name;
    const group = svgElement("g", attributes);
    group.append(svgElement("rect", {x: -BOX.width / 2, y: -BOX.height / 2, width: BOX.width,
                                     height: BOX.height, rx: 6}));
    const lines = [
      [{class: "node-label"}, node.label],
      [{class: "node-shape"}, shapeText(node.shape)],
      [{class: "node-value"}, `value ${formatValue(node.value, 4, 4)}`],
      [{class: "node-grad", "data-grad": JSON.stringify(node.grad)}, `grad ${formatValue(node.grad, 6, 4)}`],
    ];
    lines.forEach(([attributes, text], k) => {
      const y = -BOX.height / 2 + 15 + 14 * k;
      group.append(svgElement("text", {...attributes, x: 0, y, "text-anchor": "middle"}, text));
    });
    children.push(group);
  }
  children.push(...labels);
  const right = Math.max(...[...places.values()].map((p) => p.x)) + BOX.width / 2 + 10;
  const bottom = Math.max(...[...places.values()].map((p) => p.y)) + BOX.height / 2 + 10;
  svg.setAttribute("width", right);
  svg.setAttribute("height", bottom);
  svg.setAttribute("viewBox", `0 0 ${right} ${bottom}`);
  svg.replaceChildren(...children);
}

/** Where the line from box centre `a` towards box centre `b` leaves a's box. */
function boxEdge(a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const t = Math.min(Math.abs(dx) > 0 ? BOX.width / 2 / Math.abs(dx) : Infinity,
                     Math.abs(dy) > 0 ? BOX.height / 2 / Math.abs(dy) : Infinity, 1);
  return [a.x + dx * t, a.y + dy * t];
}

/** Show the first `count` nodes of the backward order: their gradients, what their input edges pass on, and the
 * chain rule's steps in the log beside the graph. */
function reveal(count) {
  if (!graph) return;
  const order = graph.backward_order;
  revealed = Math.max(0, Math.min(count, order.length));
  const shown = new Set(order.slice(0, revealed));
  const current = revealed > 0 ? order[revealed - 1] : null;
  for (const node of graph.nodes) {
    const group = document.getElementById(`node-${node.id}`);
    group.classList.toggle("revealed", shown.has(node.id));
    group.classList.toggle("current", node.id === current);
  }
  graph.edges.forEach((edge, index) => {
    for (const id of [`edge-${index}`, `edge-grad-${index}`]) {
      document.getElementById(id).classList.toggle("revealed", shown.has(edge.to));
    }
  });
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  // an op is named by its label and value ("+ = 0.84"): an expression may have several "+"
  const named = (node) => (node.kind === "op" ? `(${node.label} = ${formatValue(node.value, 4, 3)})` : node.label);
  $("backward-log").replaceChildren(...order.slice(0, revealed).map((id) => {
    const node = byId.get(id);
    const passes = graph.edges.filter((edge) => edge.to === id)
      .map((edge) => `${formatValue(edge.grad, 4, 6)} to ${named(byId.get(edge.from))}`);
    const text = `${named(node)} receives dL/d${named(node)} = ${formatValue(node.grad, 4, 6)}` +
      (passes.length ? `; passes ${passes.join(", ")}` : "");
    return element("li", {}, text);
  }));
  $("backward-status").textContent = `${revealed} of ${order.length} nodes`;
}
