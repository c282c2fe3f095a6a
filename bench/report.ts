/**
 * Collects the figures of a run and prints them as ratios to the baselines
 * of the same run, with the targets of issue 4 marked met or not met.
 *
 * @module
 */

import { cpus } from "node:os";
import { workloadKeys } from "./contenders.ts";
import { type Workload, workloadId } from "./workloads.ts";

/** Throughputs (records/s) measured in one run, by figure key. */
export class Results {
  #rates = new Map<string, number[]>();

  /** Adds one measured iteration's throughput. */
  add(key: string, rate: number): void {
    const rates = this.#rates.get(key) ?? [];
    rates.push(rate);
    this.#rates.set(key, rates);
  }

  /** The median throughput of `key`, or `undefined` if not measured. */
  rate(key: string | undefined): number | undefined {
    const rates = key === undefined ? undefined : this.#rates.get(key);
    if (!rates || rates.length === 0) return undefined;
    const sorted = [...rates].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2
      ? sorted[mid]
      : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /** Every key and its iterations, for `BENCH_VERBOSE=1`. */
  entries(): [string, number[]][] {
    return [...this.#rates];
  }
}

/** One target: a ratio that must be at least (or at most) `goal`. */
export interface TargetCheck {
  /** What is compared. */
  name: string;
  /** The measured ratio, or `undefined` if not measured in this run. */
  measured: number | undefined;
  /** The bound. */
  goal: number;
  /** `">="`: at least the goal; `"<="`: at most. */
  direction: ">=" | "<=";
  /** `"ratio"` (default) prints `1.23x`; `"count"` prints the number. */
  unit?: "ratio" | "count";
}

/** `12.3x`, `0.45x`, or `-` when missing. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return "-";
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
}

function ratio(
  a: number | undefined,
  b: number | undefined,
): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

/** A header naming the runtime, machine and date, for every report. */
export function runHeader(title: string, runtime: string): string {
  const cpuList = cpus();
  const model = cpuList[0]?.model?.trim() ?? "unknown CPU";
  return [
    `## ${title}`,
    "",
    `${runtime}; ${cpuList.length} vCPU (${model}); ${
      new Date().toISOString().slice(0, 10)
    }`,
    "",
  ].join("\n");
}

/**
 * The table of the append workloads: for each, the library's throughput
 * divided by the floor's, by SQLite's and (for `always/fsync` with 1,000 in
 * flight) by the >= 1 MiB chunk floor's. Above 1 the library is faster.
 */
export function appendTable(
  workloads: readonly Workload[],
  results: Results,
): string {
  const lines = [
    "| workload | records/append | in flight | appends/iter | vs floor | vs SQLite | vs floor in 1 MiB chunks |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const w of workloads) {
    const keys = workloadKeys(w);
    const lib = results.rate(keys.library);
    lines.push(
      `| ${w.id} | ${w.batch} | ${w.concurrency} | ${w.appends} | ${
        formatRatio(ratio(lib, results.rate(keys.floor)))
      } | ${formatRatio(ratio(lib, results.rate(keys.sqlite)))} | ${
        keys.floorChunked === undefined
          ? ""
          : formatRatio(ratio(lib, results.rate(keys.floorChunked)))
      } |`,
    );
  }
  return lines.join("\n");
}

/**
 * The append targets of issue 4, from the figures of this run; with
 * `early`, the number of appends (of 1,000 in flight) that resolved before
 * their bytes were written.
 */
export function appendTargets(
  workloads: readonly Workload[],
  results: Results,
  early?: { appends: number; early: number },
): TargetCheck[] {
  const find = (id: string) => workloads.find((w) => w.id === id);
  const versus = (
    id: string,
    baseline: "floor" | "sqlite" | "floorChunked",
  ) => {
    const w = find(id);
    if (!w) return undefined;
    const keys = workloadKeys(w);
    return ratio(results.rate(keys.library), results.rate(keys[baseline]));
  };
  const id = workloadId;
  return [
    {
      name: "always/flush, 256 B, awaited one by one, vs SQLite NORMAL",
      measured: versus(id("flush", 256, 1, 1, "awaited"), "sqlite"),
      goal: 10,
      direction: ">=",
    },
    {
      name: "always/flush, 256 B, 1,000 in flight, vs SQLite NORMAL",
      measured: versus(id("flush", 256, 1, 1, "inflight"), "sqlite"),
      goal: 30,
      direction: ">=",
    },
    ...(early === undefined ? [] : [{
      name:
        `always/flush, 256 B, 1,000 in flight: appends resolved before their bytes were written (of ${early.appends})`,
      measured: early.early,
      goal: 0,
      direction: "<=" as const,
      unit: "count" as const,
    }]),
    {
      name: "always/flush, 16 KiB in batches of 16 (awaited), vs floor bytes/s",
      measured: versus(id("flush", 16384, 16, 1, "awaited"), "floor"),
      goal: 0.4,
      direction: ">=",
    },
    {
      name: "always/fsync, 256 B, one appender awaiting each, vs SQLite FULL",
      measured: versus(id("fsync", 256, 1, 1, "awaited"), "sqlite"),
      goal: 1,
      direction: ">=",
    },
    {
      name: "always/fsync, 256 B, 64 concurrent appenders, vs SQLite FULL",
      measured: versus(id("fsync", 256, 1, 1, "appenders"), "sqlite"),
      goal: 20,
      direction: ">=",
    },
    {
      name:
        "always/fsync, 256 B, 64 appenders each appending from its own macrotask, vs SQLite FULL (stricter reading)",
      measured: versus(id("fsync", 256, 1, 1, "appenders-io"), "sqlite"),
      goal: 20,
      direction: ">=",
    },
    {
      name: "always/fsync, 256 B, 1,000 in flight, vs floor in >= 1 MiB chunks",
      measured: versus(id("fsync", 256, 1, 1, "inflight"), "floorChunked"),
      goal: 0.5,
      direction: ">=",
    },
  ];
}

/** The targets as a table with a met / not met verdict each. */
export function targetTable(checks: readonly TargetCheck[]): string {
  const lines = [
    "| target | measured | goal | verdict |",
    "| --- | ---: | ---: | --- |",
  ];
  for (const c of checks) {
    const verdict = c.measured === undefined
      ? "not measured"
      : (c.direction === ">=" ? c.measured >= c.goal : c.measured <= c.goal)
      ? "met"
      : "NOT MET";
    const measured = c.measured === undefined
      ? "-"
      : c.unit === "count"
      ? String(c.measured)
      // Three decimals near 1, so that a miss never prints as the goal.
      : c.measured < 10
      ? `${c.measured.toFixed(3)}x`
      : formatRatio(c.measured);
    const goal = c.unit === "count" ? String(c.goal) : formatRatio(c.goal);
    lines.push(
      `| ${c.name} | ${measured} | ${c.direction} ${goal} | ${verdict} |`,
    );
  }
  return lines.join("\n");
}
