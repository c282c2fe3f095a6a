/**
 * The script of the status page (see `status_page.ts`), as the text put in
 * its `<script>` element: plain browser JavaScript, no dependency.
 *
 * It polls `status` (relative to the page: `/status`) once a second with
 * the token kept in `sessionStorage` (asked once by a form when the server
 * answers 401; sent as `Authorization: Bearer`, never in a URL), renders
 * every name with `textContent` (never as HTML), and computes the append
 * rates from successive answers: records per second of each queue is the
 * growth of its `nextPosition` over the server's `time`, kept for five
 * minutes for the chart, averaged over the last ten seconds in the table.
 *
 * @module
 */

/** The status page's script. */
export const STATUS_PAGE_SCRIPT: string = String.raw`
"use strict";
const TOKEN_KEY = "mrecordlog.token";
const POLL_MS = 1000;
const WINDOW_MS = 5 * 60 * 1000;
const RATE_SPAN_MS = 10 * 1000;
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed",
  "#0891b2", "#db2777", "#4d7c0f"];
const SVG = "http://www.w3.org/2000/svg";
const counts = new Intl.NumberFormat("en-US");
const decimals = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const samples = [];
let colorOf = new Map();

const byId = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, String(value));
  }
  return node;
}

function readToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

function saveToken(token) {
  try { sessionStorage.setItem(TOKEN_KEY, token); } catch { /* private mode */ }
}

function forgetToken() {
  try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* private mode */ }
}

function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  if (unit === 0) return counts.format(value) + " B";
  return (value >= 100 ? Math.round(value) : decimals.format(value)) + " " +
    units[unit];
}

function formatRate(rate) {
  if (rate === undefined) return "\u2014";
  return (rate >= 100 ? counts.format(Math.round(rate)) : decimals.format(rate)) + "/s";
}

function orDash(value) {
  return value === null ? "\u2014" : counts.format(value);
}

function setState(text, kind) {
  const state = byId("state");
  state.textContent = text;
  state.className = "state " + kind;
}

function askToken(message) {
  byId("status").hidden = true;
  byId("login").hidden = false;
  byId("login-message").textContent = message;
  setState("token needed", "error");
  byId("token").focus();
}

async function poll() {
  const token = readToken();
  const headers = token ? { authorization: "Bearer " + token } : {};
  let response;
  try {
    response = await fetch("status", { headers, cache: "no-store" });
  } catch (error) {
    setState("server unreachable (" + error.message + "), retrying", "error");
    return schedule();
  }
  if (response.status === 401) {
    forgetToken();
    return askToken(token ? "That token was refused: enter the server's token."
      : "This server needs its token (given to serve with --token).");
  }
  if (!response.ok) {
    setState("error " + response.status + ", retrying", "error");
    return schedule();
  }
  try {
    const status = await response.json();
    byId("login").hidden = true;
    byId("status").hidden = false;
    render(status);
    setState("live \u00b7 " + new Date(status.time).toLocaleTimeString(), "ok");
  } catch (error) {
    setState("unreadable answer (" + error.message + "), retrying", "error");
  }
  schedule();
}

function schedule() {
  setTimeout(poll, POLL_MS);
}

function render(status) {
  addSample(status);
  renderGauge("memory", status.memory.retainedBytes, status.memory.limitBytes,
    "with index " + formatBytes(status.memory.usedBytes) + ", allocated " +
      formatBytes(status.memory.allocatedBytes));
  renderGauge("disk", status.disk.usedBytes, status.disk.limitBytes,
    counts.format(status.files.length) + " log file" +
      (status.files.length === 1 ? "" : "s"));
  renderChart();
  renderQueues(status.queues);
  renderConsumers(status.queues);
  renderFiles(status.files);
  byId("corruptions").textContent = counts.format(status.corruptionsSkippedOnOpen);
}

function addSample(status) {
  const next = new Map(status.queues.map((q) => [q.name, q.nextPosition]));
  const last = samples[samples.length - 1];
  if (last && status.time <= last.time) return;
  samples.push({ time: status.time, next });
  while (samples.length > 2 && samples[1].time < status.time - WINDOW_MS) {
    samples.shift();
  }
}

/** Records per second of queue "name" between samples a and b (undefined: unknown). */
function rateBetween(a, b, name) {
  const from = a.next.get(name);
  const to = b.next.get(name);
  if (from === undefined || to === undefined || to < from) return undefined;
  return (to - from) * 1000 / (b.time - a.time);
}

function recentRate(name) {
  const last = samples[samples.length - 1];
  let first;
  for (const sample of samples) {
    if (sample !== last && sample.time >= last.time - RATE_SPAN_MS &&
      rateBetween(sample, last, name) !== undefined) { first = sample; break; }
  }
  return first === undefined ? undefined : rateBetween(first, last, name);
}

function renderGauge(id, used, limit, detail) {
  const gauge = byId(id);
  const fill = gauge.querySelector(".fill");
  const share = limit === null ? 0 : Math.min(1, used / limit);
  fill.style.width = (share * 100).toFixed(2) + "%";
  fill.className = "fill" + (share >= 0.95 ? " danger" : share >= 0.8 ? " warn" : "");
  gauge.querySelector(".figures").textContent = formatBytes(used) +
    (limit === null ? " (no limit)" : " of " + formatBytes(limit) + " (" +
      decimals.format(share * 100) + "%)");
  gauge.querySelector(".detail").textContent = detail;
}

function chartSeries() {
  const last = samples[samples.length - 1];
  const series = [];
  for (const name of last.next.keys()) {
    const points = [];
    let appended = 0;
    for (let i = 1; i < samples.length; i++) {
      const rate = rateBetween(samples[i - 1], samples[i], name);
      if (rate === undefined) continue;
      points.push([samples[i].time, rate]);
      appended += rate * (samples[i].time - samples[i - 1].time);
    }
    if (points.length > 0) series.push({ name, points, appended });
  }
  series.sort((a, b) => b.appended - a.appended || (a.name < b.name ? -1 : 1));
  return series;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

function renderChart() {
  const chart = byId("chart");
  const legend = byId("legend");
  const [width, height, left, bottom] = [800, 200, 56, 20];
  const series = chartSeries();
  const shown = series.slice(0, COLORS.length);
  colorOf = new Map(shown.map((s, i) => [s.name, COLORS[i]]));
  const end = samples[samples.length - 1].time;
  const start = Math.max(samples[0].time, end - WINDOW_MS);
  const span = Math.max(end - start, POLL_MS);
  const top = niceMax(Math.max(0, ...shown.flatMap((s) => s.points.map((p) => p[1]))));
  const x = (time) => left + (width - left - 8) * (1 - (end - time) / span);
  const y = (rate) => 8 + (height - bottom - 8) * (1 - rate / top);
  chart.replaceChildren();
  for (const rate of [0, top / 2, top]) {
    chart.append(svg("line", { x1: left, x2: width - 8, y1: y(rate), y2: y(rate), class: "grid" }));
    const label = svg("text", { x: left - 6, y: y(rate) + 4, "text-anchor": "end" });
    label.textContent = formatRate(rate);
    chart.append(label);
  }
  const ago = svg("text", { x: left, y: height - 4 });
  ago.textContent = span >= 120000 ? "-" + decimals.format(span / 60000) + " min"
    : "-" + Math.round(span / 1000) + " s";
  const now = svg("text", { x: width - 8, y: height - 4, "text-anchor": "end" });
  now.textContent = "now";
  chart.append(ago, now);
  for (const s of shown) {
    const line = svg("polyline", {
      points: s.points.map(([t, r]) => x(t).toFixed(1) + "," + y(r).toFixed(1)).join(" "),
      stroke: colorOf.get(s.name), class: "series",
    });
    const title = svg("title", {});
    title.textContent = s.name;
    line.append(title);
    chart.append(line);
  }
  legend.replaceChildren(...shown.map((s) => {
    const item = el("li");
    const swatch = el("span", undefined, "swatch");
    swatch.style.background = colorOf.get(s.name);
    item.append(swatch, el("span", s.name, "legend-name"));
    return item;
  }));
  if (series.length > shown.length) {
    legend.append(el("li", "+" + (series.length - shown.length) + " more queues", "more"));
  }
  byId("chart-empty").hidden = series.length > 0;
}

function renderQueues(queues) {
  const rows = queues.map((q) => {
    const row = el("tr");
    const name = el("td", undefined, "name");
    const swatch = el("span", undefined, "swatch");
    const color = colorOf.get(q.name);
    if (color) swatch.style.background = color;
    name.append(swatch, el("span", q.name));
    name.title = q.name;
    row.append(name,
      el("td", orDash(q.firstPosition), "first num"),
      el("td", orDash(q.lastPosition), "last num"),
      el("td", counts.format(q.recordCount), "records num"),
      el("td", formatBytes(q.payloadBytes), "bytes num"),
      el("td", formatRate(recentRate(q.name)), "rate num"));
    return row;
  });
  byId("queues").tBodies[0].replaceChildren(...rows);
  byId("queue-count").textContent = counts.format(queues.length);
  byId("no-queues").hidden = queues.length > 0;
}

function renderConsumers(queues) {
  const rows = [];
  for (const q of queues) {
    for (const c of q.consumers) {
      const row = el("tr");
      row.append(el("td", q.name, "queue"), el("td", c.name, "consumer"),
        el("td", orDash(c.acked), "acked num"),
        el("td", counts.format(c.lag), "lag num" + (c.lag > 0 ? " behind" : "")));
      rows.push(row);
    }
  }
  byId("consumers").tBodies[0].replaceChildren(...rows);
  byId("consumers-section").hidden = rows.length === 0;
}

function renderFiles(files) {
  byId("files").tBodies[0].replaceChildren(...files.map((f) => {
    const row = el("tr");
    row.append(el("td", f.name, "file"), el("td", formatBytes(f.bytes), "num"));
    return row;
  }));
}

byId("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("token");
  const token = input.value.trim();
  if (token === "") return;
  saveToken(token);
  input.value = "";
  byId("login").hidden = true;
  setState("connecting\u2026", "");
  poll();
});
byId("host").textContent = location.host;
poll();
`;
