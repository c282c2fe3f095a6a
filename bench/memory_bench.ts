/**
 * Memory held by 1 GiB of 256 B records (`BENCH_MEMORY_BYTES`; 64 MiB with
 * `BENCH_QUICK=1`), measured in a fresh child process: `resourceUsage()` and
 * process RSS beside the payload retained. Not a timing benchmark: it runs
 * when `deno bench` loads the file and prints a table with the targets of
 * issue 4.
 *
 * ```sh
 * deno bench --allow-all bench/memory_bench.ts
 * ```
 *
 * @module
 */

import { mkdtempSync } from "node:fs";
import { denoBackend } from "./deno_backend.ts";
import { memoryReport, removeDir, runProbe } from "./recovery_workload.ts";
import { runHeader, targetTable } from "./report.ts";
import { benchConfig } from "./workloads.ts";

const config = benchConfig();
const dir = mkdtempSync(`${config.tmpRoot}/mrecordlog-memory-`);
try {
  const probe = runProbe(denoBackend, [
    "fill",
    dir,
    String(config.memoryBytes),
  ]);
  const { table, checks } = memoryReport(probe);
  console.log(
    [
      "",
      runHeader("Memory", denoBackend.runtime),
      table,
      "",
      targetTable(checks),
      "",
    ].join("\n"),
  );
} finally {
  removeDir(dir);
}
