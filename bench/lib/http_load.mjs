/**
 * The load generator of the HTTP ingest benchmark (`http_bench.ts`), run
 * by Node.js in its own process: autocannon, driven by one JSON command a
 * line on stdin, one JSON result a line on stdout, until stdin ends. A
 * command:
 *
 * ```json
 * {"url": "http://127.0.0.1:1234/queues/bench/records", "connections": 16,
 *  "seconds": 3, "bodyPath": "/tmp/body.ndjson",
 *  "headers": {"content-type": "application/x-ndjson"}}
 * ```
 *
 * Its result: `{"ok2xx", "non2xx", "errors", "timeouts", "seconds",
 * "latencyMean", "latencyP99", "statusCodes"}` (latencies in ms), or
 * `{"error": "..."}`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import autocannon from "autocannon";

const bodies = new Map();

function body(path) {
  let bytes = bodies.get(path);
  if (!bytes) bodies.set(path, bytes = readFileSync(path));
  return bytes;
}

function run(command) {
  return new Promise((resolve, reject) => {
    autocannon({
      url: command.url,
      method: "POST",
      connections: command.connections,
      duration: command.seconds,
      pipelining: 1,
      body: body(command.bodyPath),
      headers: command.headers,
      timeout: 30,
    }, (error, result) => error ? reject(error) : resolve(result));
  });
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let answer;
  try {
    const result = await run(JSON.parse(line));
    answer = {
      ok2xx: result["2xx"],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      seconds: result.duration,
      latencyMean: result.latency.average,
      latencyP99: result.latency.p99,
      statusCodes: result.statusCodeStats,
    };
  } catch (error) {
    answer = { error: String(error?.stack ?? error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
