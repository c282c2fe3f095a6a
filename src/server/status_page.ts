/**
 * The live status page the server answers at `GET /`: one self-contained
 * HTML page (inline style and script, no other asset, works offline) that
 * polls `GET /status` (see `status_json.ts`) and shows the queues, memory
 * and disk against their limits, the log files, consumer lag, and a chart of
 * the append rate per queue over the last five minutes.
 *
 * The page holds no data, so it is served without the token; the script
 * asks for the token when `/status` answers 401 and sends it as
 * `Authorization: Bearer` (see `status_page_script.ts`).
 *
 * @module
 */

import { STATUS_PAGE_SCRIPT } from "./status_page_script.ts";

const STYLE = `
:root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb;
  --panel: #ffffff; --back: #f3f4f6; --accent: #2563eb; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: var(--back); }
header { display: flex; align-items: baseline; gap: 1rem; padding: 0.8rem 1.5rem;
  background: #111827; color: #f9fafb; }
header h1 { margin: 0; font-size: 1.2rem; }
#host { color: #9ca3af; font-family: ui-monospace, monospace; }
.state { margin-left: auto; font-size: 0.85rem; }
.state.ok::before { content: "\\25CF  "; color: #22c55e; }
.state.error { color: #fca5a5; }
main, #login { max-width: 1100px; margin: 1rem auto; padding: 0 1rem; }
section, #login { background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; padding: 0.8rem 1rem; margin-bottom: 1rem; }
h2 { margin: 0 0 0.6rem; font-size: 1rem; }
h2 small { color: var(--muted); font-weight: normal; }
.gauges { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem;
  margin-bottom: 1rem; }
.gauge { background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; padding: 0.8rem 1rem; }
.bar { height: 10px; background: var(--line); border-radius: 5px; overflow: hidden; }
.fill { height: 100%; width: 0; background: var(--accent); }
.fill.warn { background: #d97706; }
.fill.danger { background: #dc2626; }
.figures { margin: 0.4rem 0 0; font-weight: 600; }
.detail { margin: 0; color: var(--muted); font-size: 0.85rem; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line);
  text-align: left; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 0.8rem; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
th.num { text-align: right; }
#queues th:first-child { width: 34%; }
.name span:last-child, .queue, .consumer, .file, .legend-name {
  font-family: ui-monospace, monospace; white-space: pre; }
.behind { color: #b45309; font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 6px; vertical-align: baseline; }
#chart { width: 100%; height: auto; display: block; }
#chart text { font-size: 11px; fill: var(--muted); }
#chart .grid { stroke: var(--line); }
#chart .series { fill: none; stroke-width: 2; stroke-linejoin: round; }
#legend { list-style: none; display: flex; flex-wrap: wrap; gap: 0.3rem 1.2rem;
  margin: 0.4rem 0 0; padding: 0; }
#legend li { max-width: 20rem; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
.more, .empty, footer { color: var(--muted); }
footer { max-width: 1100px; margin: 0 auto 1.5rem; padding: 0 1rem; font-size: 0.8rem; }
#login label { display: block; margin: 0.6rem 0; }
#login input { font: inherit; padding: 0.3rem 0.5rem; width: 20rem; max-width: 100%; }
#login button { font: inherit; padding: 0.3rem 1rem; }
`;

const BODY = `
<header><h1>mrecordlog</h1><span id="host"></span>
<span id="state" class="state">connecting\u2026</span></header>
<form id="login" method="post" hidden>
<h2>Token</h2>
<p id="login-message"></p>
<label>Token <input id="token" type="password" autocomplete="current-password"></label>
<button type="submit">Show the status</button>
</form>
<main id="status" hidden>
<div class="gauges">
<div class="gauge" id="memory"><h2>Memory <small>retained records</small></h2>
<div class="bar"><div class="fill"></div></div><p class="figures"></p><p class="detail"></p></div>
<div class="gauge" id="disk"><h2>Disk <small>log files</small></h2>
<div class="bar"><div class="fill"></div></div><p class="figures"></p><p class="detail"></p></div>
</div>
<section><h2>Append rate <small>records per second, per queue, since this page
opened (up to five minutes)</small></h2>
<svg id="chart" viewBox="0 0 800 200" role="img" aria-label="Append rate per queue"></svg>
<p id="chart-empty" class="empty">Collecting samples\u2026</p>
<ul id="legend"></ul></section>
<section><h2>Queues <small id="queue-count"></small></h2>
<table id="queues"><thead><tr><th>Queue</th><th class="num">First</th>
<th class="num">Last</th><th class="num">Records</th><th class="num">Bytes</th>
<th class="num">Rate (10 s)</th></tr></thead><tbody></tbody></table>
<p id="no-queues" class="empty" hidden>No queue yet.</p></section>
<section id="consumers-section" hidden><h2>Consumers</h2>
<table id="consumers"><thead><tr><th>Queue</th><th>Consumer</th>
<th class="num">Last ack</th><th class="num">Lag (records)</th></tr></thead>
<tbody></tbody></table></section>
<section><h2>Log files</h2>
<table id="files"><thead><tr><th>File</th><th class="num">Length (apparent)</th></tr></thead>
<tbody></tbody></table></section>
</main>
<footer>Damaged frames skipped on open: <span id="corruptions">\u2014</span>.
Updated every second from <code>GET /status</code>.</footer>
`;

/**
 * The status page's HTML, with `nonce` on its inline `<style>` and
 * `<script>` (the nonce its `Content-Security-Policy` allows).
 */
export function statusPageHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mrecordlog status</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>${BODY}<script nonce="${nonce}">${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * The answer of `GET /`: the status page, with a fresh nonce and a
 * `Content-Security-Policy` that lets it run only its own inline style and
 * script and fetch only from this server.
 */
export function statusPageResponse(): Response {
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return new Response(statusPageHtml(nonce), {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": policy,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  });
}
