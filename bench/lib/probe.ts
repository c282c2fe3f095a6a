/**
 * A child process that measures memory, so that the figures are not
 * polluted by whatever the benchmark process allocated before. Run by the
 * recovery and memory benchmarks with the same runtime:
 *
 * - `probe.ts open <dir>`: opens the log in `dir` and reports the peak RSS
 *   during the open beside the payload retained;
 * - `probe.ts fill <dir> <bytes>`: appends 256 B records (256 per append,
 *   `always/flush`) until `bytes` of payload are retained, and reports RSS
 *   and `resourceUsage()`.
 *
 * Prints one line of JSON ({@linkcode ProbeReport}); {@linkcode runProbe}
 * runs it and parses that line.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { MultiRecordLog } from "../../mod.ts";
import type { Backend } from "./backend.ts";

/** What the probe prints. */
export interface ProbeReport {
  /** Process RSS before opening the log. */
  rssBeforeBytes: number;
  /** Peak RSS of the process (`VmHWM`) once done. */
  peakRssBytes: number;
  /** Process RSS at the end, after a full GC, the log still open. */
  rssAfterBytes: number;
  /** Payload bytes retained by the log. */
  retainedBytes: number;
  /** `resourceUsage().memoryUsedBytes`. */
  memoryUsedBytes: number;
  /** `resourceUsage().memoryAllocatedBytes`. */
  memoryAllocatedBytes: number;
  /** Records retained. */
  records: number;
  /** Time the open (or the fill) took, in seconds. */
  seconds: number;
}

function rss(): number {
  return process.memoryUsage().rss;
}

function peakRss(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  const match = /^VmHWM:\s*(\d+)\s*kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

function fullGc(): void {
  const g = globalThis as {
    gc?: () => void;
    Bun?: { gc(force: boolean): void };
  };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

async function report(
  log: MultiRecordLog,
  rssBeforeBytes: number,
  seconds: number,
): Promise<ProbeReport> {
  const peakRssBytes = peakRss();
  fullGc();
  const usage = log.resourceUsage();
  let records = 0;
  for (const name of log.listQueues()) {
    records += log.summary().queues[name].recordCount;
  }
  const out: ProbeReport = {
    rssBeforeBytes,
    peakRssBytes,
    rssAfterBytes: rss(),
    retainedBytes: log.retainedBytes,
    memoryUsedBytes: usage.memoryUsedBytes,
    memoryAllocatedBytes: usage.memoryAllocatedBytes,
    records,
    seconds,
  };
  await log.close();
  return out;
}

/**
 * Opens the log in `dir` (RSS taken before, after a full GC), runs `work` on
 * it, and reports; `seconds` covers the open and the work.
 */
async function measure(
  dir: string,
  work: (log: MultiRecordLog) => Promise<void>,
): Promise<ProbeReport> {
  fullGc();
  const before = rss();
  const t0 = performance.now();
  const log = await MultiRecordLog.open(dir);
  await work(log);
  return await report(log, before, (performance.now() - t0) / 1000);
}

function fill(dir: string, bytes: number): Promise<ProbeReport> {
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < 256; i++) {
    payloads.push(crypto.getRandomValues(new Uint8Array(256)));
  }
  return measure(dir, async (log) => {
    await log.createQueue("memory");
    while (log.retainedBytes < bytes) {
      const left = Math.ceil((bytes - log.retainedBytes) / 256);
      await log.appendRecords(
        "memory",
        undefined,
        left >= payloads.length ? payloads : payloads.slice(0, left),
      );
    }
  });
}

/** Runs this script with `args` in a child process of the backend's runtime. */
export function runProbe(backend: Backend, args: string[]): ProbeReport {
  const script = new URL(import.meta.url).pathname;
  const [command, ...rest] = backend.scriptCommand(script, args);
  const child = spawnSync(command, rest, {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) {
    throw new Error(
      `probe ${args.join(" ")} failed (${child.status}): ${child.stderr}`,
    );
  }
  const lines = child.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as ProbeReport;
}

if (import.meta.main) {
  const [mode, dir, bytes] = process.argv.slice(2);
  const result = mode === "open"
    ? await measure(dir, () => Promise.resolve())
    : mode === "fill"
    ? await fill(dir, Number(bytes))
    : undefined;
  if (!result) {
    console.error("usage: probe.ts open <dir> | fill <dir> <bytes>");
    process.exit(2);
  }
  console.log(JSON.stringify(result));
}
