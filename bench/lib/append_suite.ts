/**
 * The append benchmarks of issue 4, for any runtime and driver: every
 * workload of `workloads.ts` run by the library, the floor, the floor in
 * 1 MiB chunks and SQLite; then the table of ratios and the targets.
 *
 * @module
 */

import type { Backend } from "./backend.ts";
import {
  measurementPlan,
  runIteration,
  type WorkloadKeys,
  workloadKeys,
} from "./contenders.ts";
import type { Driver } from "./driver.ts";
import {
  formatRatio,
  formatReport,
  ratio,
  Results,
  type TargetCheck,
  targetTable,
} from "./report.ts";
import {
  appendWorkloads,
  type BenchConfig,
  type Durability,
  type Mode,
  type Workload,
  workloadId,
} from "./workloads.ts";

/**
 * Measures every append workload with `driver`, then prints the ratio table
 * and the targets. (That no append resolves before its bytes were written is
 * a test: `tests/log/resolution_test.ts`.)
 */
export async function appendSuite(
  driver: Driver,
  backend: Backend,
  config: BenchConfig,
): Promise<void> {
  const workloads = appendWorkloads(config);
  const results = new Results();
  for (const { workload, measurements } of measurementPlan(workloads)) {
    for (const m of measurements) {
      await driver.measure(
        {
          group: workload.id,
          name: m.contender === "mrecordlog" ? "mrecordlog" : m.key,
          baseline: m.contender === "floor",
          iterations: config.iterations,
        },
        (hooks) => runIteration(backend, m, config, hooks),
        results.values(m.key),
      );
    }
  }
  await driver.report(() => {
    const sqlite =
      `${backend.sqliteBinding}, WAL, one transaction per append, table (queue, position, payload) without index ("SQLite") and with PRIMARY KEY (queue, position) ("SQLite keyed")`;
    console.log(formatReport("Append workloads", backend.runtime, [
      `Ratios of the library's records/s to each baseline's, measured in this run (above 1: the library is faster). Floor: ${backend.rawWriteCall}; SQLite: ${sqlite}. Median of ${config.iterations} iterations${
        config.quick ? "; BENCH_QUICK" : ""
      }.`,
      appendTable(workloads, results),
      targetTable(appendTargets(workloads, results)),
      ...(config.verbose ? [results.dump()] : []),
    ]));
  });
}

/**
 * The table of the append workloads: for each, the library's records/s
 * divided by the floor's, by SQLite's and (for `always/fsync` with 1,000 in
 * flight) by the >= 1 MiB chunk floor's. Above 1 the library is faster.
 */
export function appendTable(
  workloads: readonly Workload[],
  results: Results,
): string {
  const versus = (keys: WorkloadKeys, baseline: string | undefined) =>
    baseline === undefined ? "" : formatRatio(
      ratio(results.median(keys.library), results.median(baseline)),
    );
  const lines = [
    "| workload | in flight | appends/iter | vs floor | vs SQLite | vs SQLite keyed | vs floor in 1 MiB chunks |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const w of workloads) {
    const keys = workloadKeys(w);
    lines.push(
      `| ${w.id} | ${w.concurrency} | ${w.appends} | ${
        versus(keys, keys.floor)
      } | ${versus(keys, keys.sqlite)} | ${versus(keys, keys.sqliteKeyed)} | ${
        versus(keys, keys.floorChunked)
      } |`,
    );
  }
  return lines.join("\n");
}

type Baseline = "floor" | "sqlite" | "sqliteKeyed" | "floorChunked";

/**
 * The append targets of issue 4: name, workload, baseline, goal (at least).
 * A SQLite target is checked against both tables: without index (the
 * fastest SQLite appends) and keyed by (queue, position), as a queue table
 * read by position needs.
 */
// deno-fmt-ignore
const TARGETS: readonly [string, Durability, number, number, Mode, Baseline, number][] = [
  ["always/flush, 256 B, awaited one by one, vs SQLite NORMAL", "flush", 256, 1, "awaited", "sqlite", 10],
  ["always/flush, 256 B, awaited one by one, vs SQLite NORMAL keyed", "flush", 256, 1, "awaited", "sqliteKeyed", 10],
  ["always/flush, 256 B, 1,000 in flight, vs SQLite NORMAL", "flush", 256, 1, "inflight", "sqlite", 30],
  ["always/flush, 256 B, 1,000 in flight, vs SQLite NORMAL keyed", "flush", 256, 1, "inflight", "sqliteKeyed", 30],
  ["always/flush, 16 KiB in batches of 16 (awaited), vs floor bytes/s", "flush", 16384, 16, "awaited", "floor", 0.4],
  ["always/fsync, 256 B, one appender awaiting each, vs SQLite FULL", "fsync", 256, 1, "awaited", "sqlite", 1],
  ["always/fsync, 256 B, one appender awaiting each, vs SQLite FULL keyed", "fsync", 256, 1, "awaited", "sqliteKeyed", 1],
  ["always/fsync, 256 B, 64 concurrent appenders, vs SQLite FULL", "fsync", 256, 1, "appenders", "sqlite", 20],
  ["always/fsync, 256 B, 64 appenders each appending from its own macrotask, vs SQLite FULL (stricter reading)", "fsync", 256, 1, "appenders-io", "sqlite", 20],
  ["always/fsync, 256 B, 1,000 in flight, vs floor in >= 1 MiB chunks", "fsync", 256, 1, "inflight", "floorChunked", 0.5],
];

/** The append targets of issue 4, from the figures of this run. */
export function appendTargets(
  workloads: readonly Workload[],
  results: Results,
): TargetCheck[] {
  return TARGETS.map(
    ([name, durability, bytes, batch, mode, baseline, goal]) => {
      const id = workloadId(durability, bytes, batch, 1, mode);
      const w = workloads.find((w) => w.id === id);
      const keys = w && workloadKeys(w);
      const measured = keys &&
        ratio(results.median(keys.library), results.median(keys[baseline]));
      return { name, measured, goal, direction: ">=" };
    },
  );
}
