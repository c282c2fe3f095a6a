/**
 * `deno bench` suite of the append workloads of issue 4: the library beside
 * the raw floor (`Deno.FsFile.writeSync`, `syncDataSync`) and SQLite
 * (`node:sqlite`). Each workload is a bench group with the floor as
 * baseline; when the file is done, the ratio table and the targets are
 * printed (the same table as `bun bench/bun_runner.ts`).
 *
 * ```sh
 * deno bench --allow-all bench/append_bench.ts
 * BENCH_QUICK=1 deno bench --allow-all bench/append_bench.ts
 * ```
 *
 * @module
 */

import process from "node:process";
import { measurementPlan, runIteration } from "./contenders.ts";
import { denoBackend } from "./deno_backend.ts";
import { checkResolutionOrder } from "./resolution_check.ts";
import {
  appendTable,
  appendTargets,
  Results,
  runHeader,
  targetTable,
} from "./report.ts";
import { appendWorkloads, benchConfig } from "./workloads.ts";

const config = benchConfig();
const workloads = appendWorkloads(config);
// Untimed: 1,000 in flight, each append resolves after its bytes were written.
const early = await checkResolutionOrder(config.tmpRoot);
const results = new Results();
const calls = new Map<string, number>();

for (const { workload, measurements } of measurementPlan(workloads)) {
  for (const m of measurements) {
    Deno.bench({
      name: m.contender === "mrecordlog" ? "mrecordlog" : m.key,
      group: workload.id,
      baseline: m.contender === "floor",
      n: config.iterations,
      warmup: 1,
      async fn(b) {
        const rate = await runIteration(denoBackend, m, config, {
          start: () => b.start(),
          end: () => b.end(),
        });
        const call = calls.get(m.key) ?? 0;
        calls.set(m.key, call + 1);
        // The first call warms up (JIT, page cache, file system); not counted.
        if (call > 0) results.add(m.key, rate);
      },
    });
  }
}

globalThis.addEventListener("unload", () => {
  console.log(
    [
      "",
      runHeader("Append workloads", denoBackend.runtime),
      `Ratios of the library's records/s to each baseline's, measured in this run (above 1: the library is faster). Floor: ${denoBackend.rawWriteCall}; SQLite: ${denoBackend.sqliteBinding}, WAL, one transaction per append${
        config.sqlitePrimaryKey
          ? ", PRIMARY KEY (queue, position)"
          : ", no index"
      }. Median of ${config.iterations}+ iterations${
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
});
