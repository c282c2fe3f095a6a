/**
 * A longer soak of `serve` with client faults than the test suite's
 * (`tests/server/fault_soak_test.ts`): good appends beside malformed
 * requests and connections held open, on loopback, for `SOAK_SECONDS`
 * (default 60) with the default server and with `--server node`; prints
 * what each found (statuses, RSS and fds of the server). Run with
 * `deno run -A bench/http_soak.ts`, `bun bench/http_soak.ts` or
 * `NODE_OPTIONS=--import=./scripts/node_ts_register.mjs node bench/http_soak.ts`
 * (the server it starts needs the TypeScript loader too).
 *
 * @module
 */

import process from "node:process";
import {
  currentRuntime,
  runtimeCommand,
} from "../tests/system/crash_writer.ts";
import { runFaultSoak } from "../tests/server/fault_soak.ts";

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const runtime = currentRuntime();
const servers = runtime === "node" ? [[]] : [[], ["--server", "node"]];
let failed = false;
for (const flags of servers) {
  const report = await runFaultSoak({
    runtime: runtimeCommand(runtime),
    durationMs: seconds * 1000,
    flags,
    held: 200,
  });
  const fiveXX = Object.keys(report.statuses).filter((s) => s[0] === "5");
  failed ||= fiveXX.length > 0 || report.exitCode !== 0;
  console.log(
    `${runtime} ${flags.join(" ") || "(default server)"}, ${seconds} s: ` +
      `statuses ${
        JSON.stringify(report.statuses)
      }, ${report.appended} appends, ` +
      `RSS ${report.rssStartMiB} -> max ${report.rssMaxMiB} MiB, ` +
      `fds ${report.fdsStart} -> max ${report.fdsMax} -> ${report.fdsEnd}, ` +
      `exit ${report.exitCode}, ${report.stderrLines.length} log lines` +
      (fiveXX.length > 0 ? ` (5xx: ${fiveXX.join(", ")})` : ""),
  );
}
if (failed) process.exit(1);
