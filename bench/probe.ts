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
 * Prints one line of JSON ({@linkcode ProbeReport}).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { MultiRecordLog } from "../mod.ts";

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

async function open(dir: string): Promise<ProbeReport> {
  fullGc();
  const before = rss();
  const t0 = performance.now();
  const log = await MultiRecordLog.open(dir);
  return await report(log, before, (performance.now() - t0) / 1000);
}

async function fill(dir: string, bytes: number): Promise<ProbeReport> {
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < 256; i++) {
    payloads.push(crypto.getRandomValues(new Uint8Array(256)));
  }
  fullGc();
  const before = rss();
  const t0 = performance.now();
  const log = await MultiRecordLog.open(dir);
  await log.createQueue("memory");
  while (log.retainedBytes < bytes) {
    const left = Math.ceil((bytes - log.retainedBytes) / 256);
    await log.appendRecords(
      "memory",
      undefined,
      left >= payloads.length ? payloads : payloads.slice(0, left),
    );
  }
  return await report(log, before, (performance.now() - t0) / 1000);
}

const [mode, dir, bytes] = process.argv.slice(2);
const result = mode === "open"
  ? await open(dir)
  : mode === "fill"
  ? await fill(dir, Number(bytes))
  : undefined;
if (!result) {
  console.error("usage: probe.ts open <dir> | fill <dir> <bytes>");
  process.exit(2);
}
console.log(JSON.stringify(result));
