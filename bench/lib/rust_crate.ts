/**
 * The Rust crate this project ports (`mrecordlog` 0.5), as a contender: the
 * command `mrecordlog-harness` built around it (see
 * `../shared/tools/rust-mrecordlog/README.md`). It is used when present:
 * `MRECORDLOG_RUST_HARNESS`, or `../shared/tools/rust-mrecordlog/mrecordlog-harness`
 * beside the repository; otherwise every figure that needs it is reported as
 * not measured.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";

/** One line of `mrecordlog-harness bench`. */
export interface CrateWorkload {
  /** `a_256B_single_always_flush`, ... */
  workload: string;
  /** Records appended per second (absent for none). */
  records_per_s?: number;
  /** Seconds the workload took. */
  seconds?: number;
  /** Records appended or read. */
  records?: number;
  /** Peak RSS of the reopen (workload e). */
  peak_rss_kib?: number;
}

/** The crate's figures of one `bench` run, by workload letter. */
export interface CrateBenchRun {
  /** `Always(Flush)`, 256 B, one at a time: records/s. */
  flushAwaited: number | undefined;
  /** `DoNothing`, 256 B, one at a time: records/s. */
  doNothing: number | undefined;
  /** `Always(FlushAndFsync)`, 256 B, one at a time for 3 s: records/s. */
  fsyncAwaited: number | undefined;
  /** `Always(Flush)`, 16 KiB in batches of 16, 1 GiB: records/s. */
  batch16KiB: number | undefined;
  /** Every line, as printed. */
  lines: CrateWorkload[];
}

/** What `bench-open DIR` prints. */
export interface CrateOpen {
  /** Seconds `MultiRecordLog::open` took. */
  seconds: number;
  /** Records read. */
  records: number;
  /** Peak RSS of the process (`VmHWM`), bytes. */
  peakRssBytes: number;
}

/** The path of the harness, or `undefined` if there is none. */
export function findCrateHarness(): string | undefined {
  const fromEnv = process.env.MRECORDLOG_RUST_HARNESS;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const beside = new URL(
    "../../../shared/tools/rust-mrecordlog/mrecordlog-harness",
    import.meta.url,
  ).pathname;
  return existsSync(beside) ? beside : undefined;
}

function run(harness: string, args: string[]): string {
  const child = spawnSync(harness, args, {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) {
    throw new Error(
      `${harness} ${args.join(" ")} failed (${child.status}): ${child.stderr}`,
    );
  }
  return child.stdout;
}

/**
 * Runs `mrecordlog-harness bench` once (about 15 s: its five workloads,
 * 1 GiB written twice) and returns its figures.
 */
export function runCrateBench(harness: string): CrateBenchRun {
  const lines = run(harness, ["bench"]).trim().split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as CrateWorkload);
  const rate = (prefix: string) =>
    lines.find((l) => l.workload.startsWith(prefix))?.records_per_s;
  return {
    flushAwaited: rate("a_"),
    doNothing: rate("b_"),
    fsyncAwaited: rate("c_"),
    batch16KiB: rate("d_"),
    lines,
  };
}

/** Times the crate's open of `dir` in a fresh process (`bench-open`). */
export function crateOpen(harness: string, dir: string): CrateOpen {
  const out = JSON.parse(run(harness, ["bench-open", dir]).trim()) as {
    open_seconds: number;
    records: number;
    vm_hwm_kib: number;
  };
  return {
    seconds: out.open_seconds,
    records: out.records,
    peakRssBytes: out.vm_hwm_kib * 1024,
  };
}
