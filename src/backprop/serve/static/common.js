// Helpers shared by the studio's three views: JSON over HTTP, number formatting, colours, line charts.

/** The page's element of that id. */
export const $ = (id) => document.getElementById(id);

/** Write a view's status line (an empty text clears it); an error shows in the error style. */
export function showStatus(id, text, isError = true) {
  $(id).textContent = text;
  $(id).classList.toggle("error", isError && text !== "");
}

/** GET (or POST when `body` is given) a JSON endpoint; a reply with {"error"} becomes a thrown Error. */
export async function fetchJSON(url, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const reply = await fetch(url, options);
  const data = await reply.json().catch(() => ({error: `${url}: HTTP ${reply.status}, not JSON`}));
  if (!reply.ok) throw new Error(data.error || `${url}: HTTP ${reply.status}`);
  return data;
}

/** A number as a short text: `digits` significant digits, no trailing zeros ("0.25", "-1.5e-7"). */
export function formatNumber(value, digits = 4) {
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  return Math.abs(value) >= 1e-4 && Math.abs(value) < 1e6
    ? Number(value.toPrecision(digits)).toString()
    : value.toExponential(digits - 1).replace(/\.?0+e/, "e");
}

/** A nested list of numbers (or any JSON value) as text, at most `limit` numbers shown ("[[1, 2], [3, …]]"). */
export function formatValue(value, digits = 4, limit = 12) {
  let shown = 0;
  function walk(item) {
    if (!Array.isArray(item)) {
      shown += 1;
      if (shown > limit) return null;
      return item !== null && typeof item === "object" ? JSON.stringify(item) : formatNumber(item, digits);
    }
    const parts = [];
    for (const child of item) {
      const text = walk(child);
      if (text === null) { parts.push("…"); break; }
      parts.push(text);
    }
    return `[${parts.join(", ")}]`;
  }
  return walk(value) ?? "…";
}

// The playground's two-sided colour scale: orange for -1, white for 0, blue for +1 (values are clipped).
const NEGATIVE = [245, 147, 34];
const POSITIVE = [8, 119, 189];

/** The [r, g, b] colour of a value in [-1, 1] on the two-sided scale. */
export function colourOf(value) {
  const t = Math.max(-1, Math.min(1, value));
  const end = t < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(t);
  return [255 + (end[0] - 255) * a, 255 + (end[1] - 255) * a, 255 + (end[2] - 255) * a];
}

/** The CSS colour of a value on the two-sided scale. */
export function cssColour(value) {
  const [r, g, b] = colourOf(value);
  return `rgb(${r | 0}, ${g | 0}, ${b | 0})`;
}

/** A line chart of several series on one canvas: series = [{values, colour, label}], x = step numbers or null
 * (then 0, 1, 2, ...). The y axis spans the values' range; its ends are written at the left. */
export function drawLines(canvas, series, x = null, {title = ""} = {}) {
  const ctx = canvas.getContext("2d");
  const {width, height} = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  if (all.length === 0) return;
  let low = Math.min(...all);
  let high = Math.max(...all);
  if (high === low) { high += 1e-9 + Math.abs(high) * 0.05; low -= 1e-9 + Math.abs(low) * 0.05; }
  const longest = Math.max(...series.map((s) => s.values.length));
  const xs = x || Array.from({length: longest}, (_, i) => i);
  const xLow = Math.min(...xs);
  const xHigh = Math.max(...xs) === xLow ? xLow + 1 : Math.max(...xs);
  const pad = {left: 44, right: 6, top: title ? 16 : 6, bottom: 6};
  const px = (v) => pad.left + ((v - xLow) / (xHigh - xLow)) * (width - pad.left - pad.right);
  const py = (v) => height - pad.bottom - ((v - low) / (high - low)) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = "#ccc";
  ctx.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
  ctx.fillStyle = "#555";
  ctx.font = "10px sans-serif";
  ctx.fillText(formatNumber(high, 3), 2, pad.top + 8);
  ctx.fillText(formatNumber(low, 3), 2, height - pad.bottom);
  if (title) ctx.fillText(title, pad.left, 11);
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let started = false;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v) || i >= xs.length) return;
      if (started) ctx.lineTo(px(xs[i]), py(v));
      else { ctx.moveTo(px(xs[i]), py(v)); started = true; }
    });
    ctx.stroke();
  }
}

/** Make an element: tag, attributes (class, id, data-*, ...), children (nodes or strings, added as text). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

/** Make an SVG element: tag, attributes, and its text when given. */
export function svgElement(tag, attributes = {}, text = null) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}
