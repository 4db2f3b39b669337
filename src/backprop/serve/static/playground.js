// The playground view: the controls edit a config that is sent to the server over WS /ws/playground; the
// server trains the network with backprop and replies with frames (see CONTRACT: "Frame"), which are drawn
// here: the network with every unit's heat map and its links, the output map with the data, the loss curves
// and the warped input space.
import {$, colourOf, cssColour, drawLines, element, fetchJSON, formatNumber, showStatus, svgElement} from "./common.js";

// The choices offered by the selects (the server checks the ranges again).
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const DROPOUTS = [0, 0.1, 0.2, 0.3, 0.5];
const STEPS_PER_FRAME = [1, 2, 5, 10, 25, 50];
const UNIT = 36;          // a unit's heat map, in CSS pixels
const GAP = 12;           // vertical space between two units
const NETWORK_WIDTH = 460;
const HISTORY_LIMIT = 2000;  // loss-curve points kept; beyond it every other point is dropped

let options = null;
let config = null;
let socket = null;
let playing = false;
let frame = null;
let history = {steps: [], train: [], test: []};
let networkShape = "";
let hovered = null;       // the link under the mouse: {layer, to, from}
const arrivals = [];      // the times of the last frames, for frames per second
const scratch = document.createElement("canvas");  // the output map at its own resolution, before scaling
const HOVER_HINT = "hover a link: its weight and gradient";

export async function start() {
  try {
    options = await fetchJSON("/api/playground/options");
  } catch (error) {
    setStatus(`cannot load the playground's options: ${error.message}`, true);
    return;
  }
  config = structuredClone(options.defaults);
  buildControls();
  for (const id of ["show-test", "discretize"]) $(id).addEventListener("change", () => frame && drawOutput(frame));
  connect();
}

export function hide() {
  if (playing) pause();
}

// ---- the connection ----

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/playground`);
  socket.addEventListener("open", () => {
    setStatus("");
    send({type: "config", config});
  });
  socket.addEventListener("message", (event) => receive(event.data));
  socket.addEventListener("close", () => {
    socket = null;
    setPlaying(false);
    setStatus("The connection to the server was lost: reconnecting (training starts again)…", true);
    setTimeout(connect, 1000);
  });
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function receive(text) {
  const begin = performance.now();
  const message = JSON.parse(text);
  if (message.type === "error") {   // the server may have stopped playing: both sides pause
    if (playing) pause();
    setStatus(message.message, true);
    return;
  }
  if (message.type !== "frame") return;
  setStatus("");
  drawFrame(message);
  recordDrawTime(performance.now() - begin);
}

/** window.studioStats: frames drawn, the last and mean time (ms) to parse and draw one, frames per second. */
function recordDrawTime(ms) {
  const stats = window.studioStats;
  stats.frames += 1;
  stats.lastDrawMs = ms;
  stats.meanDrawMs += (ms - stats.meanDrawMs) / stats.frames;
  arrivals.push(performance.now());
  if (arrivals.length > 30) arrivals.shift();
  const span = arrivals[arrivals.length - 1] - arrivals[0];
  stats.framesPerSecond = span > 0 ? ((arrivals.length - 1) * 1000) / span : 0;
}

function setStatus(text, isError = false) {
  showStatus("pg-status", text, isError);
}

// ---- the controls ----

function fillSelect(select, values, current, label = String) {
  const choices = values.includes(current) ? values : [...values, current].sort((a, b) => a - b);
  select.replaceChildren(...choices.map((value) => element("option", {value: String(value)}, label(value))));
  select.value = String(current);
}

function bindSelect(id, key, values, numeric) {
  fillSelect($(id), values, config[key]);
  $(id).addEventListener("change", () => {
    config[key] = numeric ? Number($(id).value) : $(id).value;
    configChanged();
  });
}

function bindRange(id, key, format = String) {
  const input = $(id);
  const shown = $(`${id}-value`);
  input.value = config[key];
  shown.textContent = format(config[key]);
  input.addEventListener("input", () => { shown.textContent = format(Number(input.value)); });
  input.addEventListener("change", () => {
    config[key] = Number(input.value);
    configChanged();
  });
}

function buildControls() {
  bindSelect("dataset", "dataset", options.datasets, false);
  bindSelect("activation", "activation", options.activations, false);
  bindSelect("optimizer", "optimizer", options.optimizers, false);
  bindSelect("regularization", "regularization", options.regularizations, false);
  bindSelect("learning-rate", "learning_rate", LEARNING_RATES, true);
  bindSelect("regularization-rate", "regularization_rate", REGULARIZATION_RATES, true);
  bindSelect("dropout", "dropout", DROPOUTS, true);
  fillSelect($("steps-per-frame"), STEPS_PER_FRAME, 1);
  $("steps-per-frame").addEventListener("change", () => playing && play());
  $("batch-size").max = options.limits.batch_size;
  bindRange("noise", "noise");
  bindRange("train-ratio", "train_ratio");
  bindRange("batch-size", "batch_size");
  buildFeatures();
  $("add-layer").addEventListener("click", () => {
    if (config.hidden.length < options.limits.layers) editHidden(() => config.hidden.push(2));
  });
  $("remove-layer").addEventListener("click", () => {
    if (config.hidden.length > 0) editHidden(() => config.hidden.pop());
  });
  $("regenerate").addEventListener("click", () => { config.seed += 1; configChanged(); });
  $("play").addEventListener("click", play);
  $("pause").addEventListener("click", pause);
  $("step").addEventListener("click", () => { if (playing) pause(); send({type: "step"}); });
  $("reset").addEventListener("click", () => { if (playing) pause(); send({type: "reset"}); });
  $("export").addEventListener("click", exportPython);
  $("export-close").addEventListener("click", () => { $("export-panel").hidden = true; });
  buildLayerControls();
}

function buildFeatures() {
  const boxes = options.features.map((name, index) => {
    const box = element("input", {type: "checkbox", id: `feature-${index}`, "data-feature": name});
    box.checked = config.features.includes(name);
    box.addEventListener("change", () => {
      const chosen = options.features.filter((_, i) => $(`feature-${i}`).checked);
      if (chosen.length === 0) {
        box.checked = true;
        setStatus("The network needs at least one input feature.", true);
        return;
      }
      config.features = chosen;
      configChanged();
    });
    return element("label", {class: "feature"}, box, ` ${name}`);
  });
  $("features").replaceChildren(...boxes);
}

function editHidden(change) {
  change();
  buildLayerControls();
  configChanged();
}

/** The "- n +" buttons above each hidden layer's column, placed where drawNetwork draws that column. */
function buildLayerControls() {
  const columns = config.hidden.length + 2;
  const groups = config.hidden.map((units, index) => {
    const minus = element("button", {id: `units-minus-${index + 1}`, title: "one unit fewer"}, "−");
    const plus = element("button", {id: `units-plus-${index + 1}`, title: "one unit more"}, "+");
    minus.addEventListener("click", () => {
      if (config.hidden[index] > 1) editHidden(() => { config.hidden[index] -= 1; });
    });
    plus.addEventListener("click", () => {
      if (config.hidden[index] < options.limits.units) editHidden(() => { config.hidden[index] += 1; });
    });
    const count = element("span", {id: `units-${index + 1}`}, `${units}`);
    const group = element("div", {class: "layer-control"}, minus, count, plus);
    group.style.left = `${columnX(index + 1, columns) - 40}px`;
    return group;
  });
  $("layer-controls").replaceChildren(...groups);
  $("layer-controls").style.width = `${NETWORK_WIDTH}px`;
}

function configChanged() {
  send({type: "config", config});
  if (playing) play();
}

function play() {
  setPlaying(true);
  send({type: "play", steps_per_frame: Number($("steps-per-frame").value)});
}

function pause() {
  setPlaying(false);
  send({type: "pause"});
}

function setPlaying(value) {
  playing = value;
  $("play").disabled = value;
  $("pause").disabled = !value;
}

async function exportPython() {
  try {
    const reply = await fetchJSON("/api/playground/export", config);
    $("export-code").textContent = reply.code;
    $("export-panel").hidden = false;
    $("export-panel").scrollIntoView();
  } catch (error) {
    setStatus(error.message, true);
  }
}

// ---- drawing a frame ----

function drawFrame(next) {
  frame = next;
  $("step-count").textContent = String(frame.step);
  $("epoch").textContent = formatNumber(frame.epoch, 3);
  // the server sends a NaN or infinite loss as null: training has diverged (a smaller learning rate helps)
  const loss = (value) => (value === null ? "diverged" : formatNumber(value, 4));
  $("train-loss").textContent = loss(frame.train_loss);
  $("test-loss").textContent = loss(frame.test_loss);
  drawLossCurve(frame);
  drawNetwork(frame);
  drawOutput(frame);
  drawWarped(frame);
}

function drawLossCurve(f) {
  const last = history.steps[history.steps.length - 1];
  if (last !== undefined && f.step <= last) history = {steps: [], train: [], test: []};
  history.steps.push(f.step);
  history.train.push(f.train_loss);
  history.test.push(f.test_loss);
  if (history.steps.length > HISTORY_LIMIT) {
    for (const key of Object.keys(history)) history[key] = history[key].filter((_, i) => i % 2 === 0);
  }
  drawLines($("loss-curve"), [
    {values: history.train, colour: "#999"},
    {values: history.test, colour: "#000"},
  ], history.steps, {title: "loss: test (black), train (grey)"});
}

/** Put a heat map (resolution² values, row 0 at the top) into a canvas of resolution² pixels. */
function paintMap(canvas, values, resolution, discrete = false) {
  if (canvas.width !== resolution) { canvas.width = resolution; canvas.height = resolution; }
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(resolution, resolution);
  for (let i = 0; i < values.length; i += 1) {
    const value = discrete ? Math.sign(values[i]) : values[i];
    const [r, g, b] = colourOf(value);
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

function columnX(column, columns) {
  return UNIT / 2 + 8 + (column * (NETWORK_WIDTH - UNIT - 16)) / Math.max(columns - 1, 1);
}

function unitY(unit) {
  return 8 + UNIT / 2 + unit * (UNIT + GAP);
}

/** The network: a canvas per unit, an SVG path per link. Built anew only when the shape changes; each frame
 * repaints the maps and restyles the links. */
function drawNetwork(f) {
  const shape = f.layers.map((layer) => layer.units.map((unit) => unit.label).join(",")).join("|");
  if (shape !== networkShape) {
    networkShape = shape;
    buildNetwork(f);
  }
  f.layers.forEach((layer, l) => layer.units.forEach((unit, u) => {
    paintMap(document.getElementById(`unit-${l}-${u}`), unit.map, f.resolution);
  }));
  for (const path of document.querySelectorAll("#network path.link")) {
    const [l, j, i] = ["layer", "to", "from"].map((key) => Number(path.dataset[key]));
    const w = f.weights[l - 1][j][i];
    path.setAttribute("stroke", w >= 0 ? cssColour(1) : cssColour(-1));
    path.setAttribute("stroke-width", String(Math.min(0.5 + 2 * Math.abs(w), 8)));
  }
  showLinkInfo();
}

function buildNetwork(f) {
  const columns = f.layers.length;
  const tallest = Math.max(...f.layers.map((layer) => layer.units.length));
  const height = 16 + tallest * (UNIT + GAP);
  const svg = svgElement("svg", {width: NETWORK_WIDTH, height});
  const children = [svg];
  f.layers.forEach((layer, l) => {
    const x = columnX(l, columns);
    layer.units.forEach((unit, u) => {
      const canvas = element("canvas", {id: `unit-${l}-${u}`, class: "unit-map",
                                        title: `${layer.name}: ${unit.label}`});
      Object.assign(canvas.style, {left: `${x - UNIT / 2}px`, top: `${unitY(u) - UNIT / 2}px`,
                                   width: `${UNIT}px`, height: `${UNIT}px`});
      children.push(canvas);
      if (l === 0) {
        const label = element("span", {class: "unit-label"}, unit.label);
        label.style.left = "0px";
        label.style.top = `${unitY(u) + UNIT / 2 - 2}px`;
        children.push(label);
      }
      if (l === 0) return;
      f.layers[l - 1].units.forEach((_, i) => {
        const x0 = columnX(l - 1, columns) + UNIT / 2;
        const x1 = x - UNIT / 2;
        const middle = (x0 + x1) / 2;
        const d = `M${x0},${unitY(i)} C${middle},${unitY(i)} ${middle},${unitY(u)} ${x1},${unitY(u)}`;
        for (const kind of ["link", "link-hit"]) {
          const path = svgElement("path", {d, class: kind, "data-layer": l, "data-to": u, "data-from": i});
          if (kind === "link-hit") {
            path.addEventListener("mouseenter", () => { hovered = {layer: l, to: u, from: i}; showLinkInfo(); });
            path.addEventListener("mouseleave", () => { hovered = null; showLinkInfo(); });
          }
          svg.append(path);
        }
      });
    });
  });
  $("network").style.height = `${height}px`;
  $("network").style.width = `${NETWORK_WIDTH}px`;
  $("network").replaceChildren(...children);
  hovered = null;
}

function showLinkInfo() {
  const info = $("link-info");
  if (!hovered || !frame) {
    info.textContent = HOVER_HINT;
    return;
  }
  const {layer, to, from} = hovered;
  const source = frame.layers[layer - 1].units[from].label;
  const target = frame.layers[layer].units[to].label;
  const w = frame.weights[layer - 1][to][from];
  const g = frame.gradients[layer - 1][to][from];
  info.textContent = `${source} → ${target}: weight ${formatNumber(w, 4)}, gradient dL/dw ${formatNumber(g, 4)}`;
}

/** The output's heat map, the decision boundary (classification) and the points. */
function drawOutput(f) {
  const canvas = $("output-map");
  const ctx = canvas.getContext("2d");
  const classification = f.problem === "classification";
  paintMap(scratch, f.output, f.resolution, classification && $("discretize").checked);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
  if (classification) drawBoundary(ctx, f.output, f.resolution, canvas.width, canvas.height);
  const [low, high] = f.domain;
  const span = high - low;
  const toPixel = (x1, x2) => [((x1 - low) / span) * canvas.width, ((high - x2) / span) * canvas.height];
  drawPoints(ctx, f.train_points, toPixel, "#fff");
  if ($("show-test").checked) drawPoints(ctx, f.test_points, toPixel, "#000");
}

function drawPoints(ctx, points, toPixel, edge) {
  ctx.lineWidth = 1;
  ctx.strokeStyle = edge;
  for (const [a, b, target] of points) {
    const [x, y] = toPixel(a, b);
    ctx.fillStyle = cssColour(target);
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

/** The output's zero line by marching squares: in each square of four neighbouring grid values, the points
 * where the sign changes along its sides (linearly interpolated) are joined by a segment. */
function drawBoundary(ctx, values, resolution, width, height) {
  const sx = width / resolution;
  const sy = height / resolution;
  const at = (row, column) => values[row * resolution + column];
  // a side from corner a to corner b (row, column) crosses zero at a + t (b - a); in pixels at cell centres
  const crossing = ([r0, c0], [r1, c1]) => {
    const a = at(r0, c0);
    const b = at(r1, c1);
    if ((a > 0) === (b > 0)) return null;
    const t = a / (a - b);
    return [(c0 + t * (c1 - c0) + 0.5) * sx, (r0 + t * (r1 - r0) + 0.5) * sy];
  };
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let row = 0; row + 1 < resolution; row += 1) {
    for (let column = 0; column + 1 < resolution; column += 1) {
      const corners = [[row, column], [row, column + 1], [row + 1, column + 1], [row + 1, column]];
      const points = corners.map((corner, k) => crossing(corner, corners[(k + 1) % 4])).filter(Boolean);
      for (let k = 0; k + 1 < points.length; k += 2) {
        ctx.moveTo(...points[k]);
        ctx.lineTo(...points[k + 1]);
      }
    }
  }
  ctx.stroke();
}

/** The input plane's grid lines and the train points, as the first hidden layer (2 units) maps them. */
function drawWarped(f) {
  const canvas = $("warped");
  canvas.hidden = !f.warped;
  $("warped-note").hidden = Boolean(f.warped);
  if (!f.warped) return;
  const {lines, points} = f.warped;
  const all = [...lines.flat(), ...points];
  const us = all.map((p) => p[0]);
  const vs = all.map((p) => p[1]);
  const [uLow, uHigh] = paddedRange(us);
  const [vLow, vHigh] = paddedRange(vs);
  const toPixel = (u, v) => [((u - uLow) / (uHigh - uLow)) * canvas.width,
                             ((vHigh - v) / (vHigh - vLow)) * canvas.height];
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.lineWidth = 1;
  lines.forEach((line, index) => {
    ctx.strokeStyle = index < lines.length / 2 ? "#9ab" : "#cab";
    ctx.beginPath();
    line.forEach(([u, v], k) => {
      const [x, y] = toPixel(u, v);
      if (k === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  });
  drawPoints(ctx, points, toPixel, "#fff");
}

function paddedRange(values) {
  let low = Math.min(...values);
  let high = Math.max(...values);
  const pad = (high - low) * 0.05 || 1;
  return [low - pad, high + pad];
}
