/**
 * Runs every benchmark of `bench/` under Bun — the same workloads as the
 * `deno bench` suites, with `node:fs` as the floor and `bun:sqlite` — and
 * prints the same tables: ratios to the baselines measured in this run, and
 * the targets of issue 4. Same environment variables (see `workloads.ts`),
 * plus `BENCH_ONLY=append|recovery|memory` to run one part.
 *
 * ```sh
 * bun bench/bun_runner.ts
 * BENCH_QUICK=1 bun bench/bun_runner.ts
 * ```
 *
 * @module
 */

import { mkdtempSync } from "node:fs";
import process from "node:process";
import { bunBackend } from "./bun_backend.ts";
import { measurementPlan, runIteration } from "./contenders.ts";
import { checkResolutionOrder } from "./resolution_check.ts";
import {
  memoryReport,
  recoveryReport,
  type RecoveryTimes,
  removeDir,
  runProbe,
  timeOpen,
  timeRead,
  writeRecoveryLog,
} from "./recovery_workload.ts";
import {
  appendTable,
  appendTargets,
  Results,
  runHeader,
  targetTable,
} from "./report.ts";
import { appendWorkloads, benchConfig } from "./workloads.ts";

const backend = await bunBackend();
const config = benchConfig();
const only = process.env.BENCH_ONLY;

if (only === undefined || only === "append") {
  const workloads = appendWorkloads(config);
  const results = new Results();
  // Untimed: 1,000 in flight, each append resolves after its bytes were written.
  const early = await checkResolutionOrder(config.tmpRoot);
  const started = performance.now();
  for (const { workload, measurements } of measurementPlan(workloads)) {
    for (const m of measurements) {
      // One warm-up iteration (not counted), then the measured ones.
      for (let i = 0; i <= config.iterations; i++) {
        const rate = await runIteration(backend, m, config);
        if (i > 0) results.add(m.key, rate);
      }
    }
    process.stderr.write(
      `  ${workload.id} (${
        ((performance.now() - started) / 1000).toFixed(0)
      } s)\n`,
    );
  }
  console.log(
    [
      "",
      runHeader("Append workloads", backend.runtime),
      `Ratios of the library's records/s to each baseline's, measured in this run (above 1: the library is faster). Floor: ${backend.rawWriteCall}; SQLite: ${backend.sqliteBinding}, WAL, one transaction per append${
        config.sqlitePrimaryKey
          ? ", PRIMARY KEY (queue, position)"
          : ", no index"
      }. Median of ${config.iterations} iterations${
        config.quick ? "; BENCH_QUICK" : ""
      }.`,
      "",
      appendTable(workloads, results),
      "",
      targetTable(appendTargets(workloads, results, early)),
      "",
    ].join("\n"),
  );
  if (process.env.BENCH_VERBOSE === "1") {
    for (const [key, rates] of results.entries()) {
      console.log(key, rates.map((r) => Math.round(r)).join(" "));
    }
  }
}

if (only === undefined || only === "recovery") {
  const log = await writeRecoveryLog(config.tmpRoot, config.recoveryBytes);
  try {
    const times: RecoveryTimes = {
      read: [],
      open: [],
      coldRead: [],
      coldOpen: [],
      retainedRead: [],
    };
    for (const cold of config.cold ? [false, true] : [false]) {
      // One warm-up iteration each (not counted), then the measured ones.
      for (let i = 0; i <= config.iterations; i++) {
        const seconds = timeRead(backend, log, undefined, cold);
        if (i > 0) (cold ? times.coldRead : times.read).push(seconds);
      }
      for (let i = 0; !cold && i <= config.iterations; i++) {
        const seconds = timeRead(backend, log, undefined, false, true);
        if (i > 0) times.retainedRead.push(seconds);
      }
      for (let i = 0; i <= config.iterations; i++) {
        const seconds = await timeOpen(log, undefined, cold);
        if (i > 0) (cold ? times.coldOpen : times.open).push(seconds);
      }
    }
    const probe = runProbe(backend, ["open", log.dir]);
    const { table, checks } = recoveryReport(log, times, probe);
    console.log(
      [
        "",
        runHeader("Recovery", backend.runtime),
        table,
        "",
        targetTable(checks),
        "",
      ].join("\n"),
    );
  } finally {
    removeDir(log.dir);
  }
}

if (only === undefined || only === "memory") {
  const dir = mkdtempSync(`${config.tmpRoot}/mrecordlog-memory-`);
  try {
    const probe = runProbe(backend, ["fill", dir, String(config.memoryBytes)]);
    const { table, checks } = memoryReport(probe);
    console.log(
      [
        "",
        runHeader("Memory", backend.runtime),
        table,
        "",
        targetTable(checks),
        "",
      ].join("\n"),
    );
  } finally {
    removeDir(dir);
  }
}
