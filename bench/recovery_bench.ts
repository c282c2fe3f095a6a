/**
 * `deno bench` suite: reopening a log of 1 GiB of 16 KiB records
 * (`BENCH_RECOVERY_BYTES`; 64 MiB with `BENCH_QUICK=1`) beside plain
 * sequential reads of the same files, then the peak RSS of a fresh process
 * while it opens the log. Prints the ratios and the targets of issue 4.
 *
 * ```sh
 * deno bench --allow-all bench/recovery_bench.ts
 * ```
 *
 * @module
 */

import { denoBackend } from "./deno_backend.ts";
import {
  recoveryReport,
  type RecoveryTimes,
  removeDir,
  runProbe,
  timeOpen,
  timeRead,
  writeRecoveryLog,
} from "./recovery_workload.ts";
import { runHeader, targetTable } from "./report.ts";
import { benchConfig } from "./workloads.ts";

const config = benchConfig();
const log = await writeRecoveryLog(config.tmpRoot, config.recoveryBytes);
const times: RecoveryTimes = {
  read: [],
  open: [],
  coldRead: [],
  coldOpen: [],
  retainedRead: [],
};

for (const cold of config.cold ? [false, true] : [false]) {
  const group = cold ? "recovery, cold page cache" : "recovery";
  const reads = cold ? times.coldRead : times.read;
  const opens = cold ? times.coldOpen : times.open;
  let readCalls = 0;
  let openCalls = 0;
  Deno.bench({
    name: "plain sequential reads",
    group,
    baseline: true,
    n: config.iterations,
    warmup: 1,
    fn(b) {
      const seconds = timeRead(denoBackend, log, b, cold);
      // The first call warms up; not counted.
      if (readCalls++ > 0) reads.push(seconds);
    },
  });
  if (!cold) {
    let retainedCalls = 0;
    Deno.bench({
      name: "reads into fresh buffers, kept",
      group,
      n: config.iterations,
      warmup: 1,
      fn(b) {
        const seconds = timeRead(denoBackend, log, b, false, true);
        if (retainedCalls++ > 0) times.retainedRead.push(seconds);
      },
    });
  }
  Deno.bench({
    name: "MultiRecordLog.open",
    group,
    n: config.iterations,
    warmup: 1,
    async fn(b) {
      const seconds = await timeOpen(log, b, cold);
      if (openCalls++ > 0) opens.push(seconds);
    },
  });
}

globalThis.addEventListener("unload", () => {
  try {
    const probe = runProbe(denoBackend, ["open", log.dir]);
    const { table, checks } = recoveryReport(log, times, probe);
    console.log(
      [
        "",
        runHeader("Recovery", denoBackend.runtime),
        table,
        "",
        targetTable(checks),
        "",
      ].join("\n"),
    );
  } finally {
    removeDir(log.dir);
  }
});
