/**
 * The recovery and memory benchmarks of issue 4, runtime-neutral: a log
 * holding `recoveryBytes` of 16 KiB records, reopened, beside plain
 * sequential reads of the same files; the peak RSS while opening it; and the
 * memory held by `memoryBytes` of 256 B records. Memory is measured in a
 * child process ({@linkcode ProbeReport}).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { MultiRecordLog } from "../mod.ts";
import type { Backend } from "./backend.ts";
import { randomPayloads } from "./contenders.ts";
import type { ProbeReport } from "./probe.ts";
import { formatRatio, type TargetCheck } from "./report.ts";
import { formatBytes } from "./workloads.ts";

export type { ProbeReport };

/** The log written for the recovery benchmark. */
export interface RecoveryLog {
  /** Its directory (delete it with {@linkcode removeDir}). */
  dir: string;
  /** Its log files, oldest first, and the bytes of log data in each. */
  files: { path: string; dataBytes: number }[];
  /** Payload bytes retained. */
  payloadBytes: number;
  /** Records retained. */
  records: number;
}

const SEGMENT_BYTES = 128 * 1024 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;

/**
 * Writes a log of `payloadBytes` of 16 KiB records (64 records per append,
 * one queue, `always/flush`, default 128 MiB files) in a new directory.
 */
export async function writeRecoveryLog(
  tmpRoot: string,
  payloadBytes: number,
): Promise<RecoveryLog> {
  const dir = mkdtempSync(`${tmpRoot}/mrecordlog-recovery-`);
  const recordBytes = 16 * 1024;
  const payloads = randomPayloads(64, recordBytes);
  let walBytes = 0;
  let records = 0;
  {
    await using log = await MultiRecordLog.open(dir, {
      segmentBytes: SEGMENT_BYTES,
    });
    walBytes += (await log.createQueue("recovery")).walBytesWritten;
    while (records * recordBytes < payloadBytes) {
      const left = Math.ceil(
        (payloadBytes - records * recordBytes) / recordBytes,
      );
      const batch = left >= payloads.length
        ? payloads
        : payloads.slice(0, left);
      walBytes += (await log.appendRecords("recovery", undefined, batch))
        .walBytesWritten;
      records += batch.length;
    }
  }
  const names = readdirSync(dir).filter((n) => /^wal-\d{20}$/.test(n)).sort();
  const files = names.map((name, i) => ({
    path: `${dir}/${name}`,
    dataBytes: Math.max(
      0,
      Math.min(SEGMENT_BYTES, walBytes - i * SEGMENT_BYTES),
    ),
  }));
  return { dir, files, payloadBytes: records * recordBytes, records };
}

/**
 * Reads every byte of log data of `log` sequentially, 4 MiB at a time into
 * one reused buffer; or, with `retain`, into a new buffer per file, all kept
 * until the end (so the memory is fresh, as the log's is on open). Returns
 * the bytes read.
 */
export function readSequentially(
  backend: Backend,
  log: RecoveryLog,
  retain = false,
): number {
  const reused = retain ? undefined : new Uint8Array(READ_CHUNK);
  const kept: Uint8Array[] = [];
  let total = 0;
  for (const file of log.files) {
    const buffer = reused ?? new Uint8Array(file.dataBytes);
    total += backend.readFile(file.path, buffer, file.dataBytes);
    if (retain) kept.push(buffer);
  }
  return total;
}

/**
 * Drops the kernel's clean page cache (Linux, root only), so that the next
 * reads come from the disk. The log files are clean: the log fsyncs them.
 */
export function dropPageCache(): void {
  writeFileSync("/proc/sys/vm/drop_caches", "1");
}

/**
 * Opens the log, checks it holds every record, closes it; returns the
 * seconds the open took. With `cold`, drops the page cache first.
 */
export async function timeOpen(
  log: RecoveryLog,
  hooks?: { start(): void; end(): void },
  cold = false,
): Promise<number> {
  if (cold) dropPageCache();
  hooks?.start();
  const t0 = performance.now();
  const opened = await MultiRecordLog.open(log.dir);
  const seconds = (performance.now() - t0) / 1000;
  hooks?.end();
  const records = opened.summary().queues.recovery?.recordCount;
  await opened.close();
  if (records !== log.records) {
    throw new Error(
      `reopened log holds ${records} records, expected ${log.records}`,
    );
  }
  return seconds;
}

/**
 * Times a sequential read of the log's files (see
 * {@linkcode readSequentially}); returns seconds. With `cold`, drops the
 * page cache first.
 */
export function timeRead(
  backend: Backend,
  log: RecoveryLog,
  hooks?: { start(): void; end(): void },
  cold = false,
  retain = false,
): number {
  if (cold) dropPageCache();
  hooks?.start();
  const t0 = performance.now();
  readSequentially(backend, log, retain);
  const seconds = (performance.now() - t0) / 1000;
  hooks?.end();
  return seconds;
}

/** Runs `bench/probe.ts` with `args` in a child process of this runtime. */
export function runProbe(backend: Backend, args: string[]): ProbeReport {
  const script = new URL("./probe.ts", import.meta.url).pathname;
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

/** Deletes a directory and everything in it. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function gbps(log: RecoveryLog, seconds: number): string {
  let bytes = 0;
  for (const file of log.files) bytes += file.dataBytes;
  return `${(bytes / seconds / 1e9).toFixed(1)} GB/s`;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
}

/** Seconds of reads and opens, warm or cold. */
export interface RecoveryTimes {
  /** Sequential reads, page cache warm. */
  read: number[];
  /** Opens, page cache warm. */
  open: number[];
  /** Sequential reads after dropping the page cache (`BENCH_COLD=1`). */
  coldRead: number[];
  /** Opens after dropping the page cache (`BENCH_COLD=1`). */
  coldOpen: number[];
  /** Reads into fresh buffers kept until the end, page cache warm. */
  retainedRead: number[];
}

/** The recovery figures: open speed vs sequential reads, and peak RSS vs payload. */
export function recoveryReport(
  log: RecoveryLog,
  times: RecoveryTimes,
  probe: ProbeReport,
): { table: string; checks: TargetCheck[] } {
  const speed = median(times.read) / median(times.open);
  const coldSpeed = times.coldOpen.length > 0 && times.coldRead.length > 0
    ? median(times.coldRead) / median(times.coldOpen)
    : undefined;
  const peakGrowth = (probe.peakRssBytes - probe.rssBeforeBytes) /
    probe.retainedBytes;
  const peakTotal = probe.peakRssBytes / probe.retainedBytes;
  const table = [
    `Reopening ${
      formatBytes(log.payloadBytes)
    } of 16 KiB records (${log.records} records, ${log.files.length} files). Open speed = read time / open time; peak RSS in a fresh child process.`,
    "",
    "| figure | ratio | detail |",
    "| --- | ---: | --- |",
    `| open speed vs plain sequential reads (4 MiB reads), page cache warm | ${
      formatRatio(speed)
    } | median of ${times.open.length} opens and ${times.read.length} reads; reads at ${
      gbps(log, median(times.read))
    } |`,
    `| open speed vs reads into fresh buffers kept to the end (page faults included), page cache warm | ${
      formatRatio(median(times.retainedRead) / median(times.open))
    } | median of ${times.retainedRead.length} reads; reads at ${
      gbps(log, median(times.retainedRead))
    } |`,
    `| open speed in a fresh process (the child below) vs the same reads, page cache warm | ${
      formatRatio(median(times.read) / probe.seconds)
    } | one open, ${probe.seconds.toFixed(2)} s |`,
    ...(coldSpeed === undefined ? [] : [
      `| open speed vs plain sequential reads, page cache dropped before each | ${
        formatRatio(coldSpeed)
      } | median of ${times.coldOpen.length} opens and ${times.coldRead.length} reads; reads at ${
        gbps(log, median(times.coldRead))
      } |`,
    ]),
    `| peak RSS growth during open / payload retained | ${
      formatRatio(peakGrowth)
    } | ${mib(probe.rssBeforeBytes)} before, ${mib(probe.peakRssBytes)} peak, ${
      mib(probe.retainedBytes)
    } retained |`,
    `| peak RSS (whole process) / payload retained | ${
      formatRatio(peakTotal)
    } | includes the runtime's own memory |`,
    `| RSS after open (GC'd) / payload retained | ${
      formatRatio(probe.rssAfterBytes / probe.retainedBytes)
    } | ${mib(probe.rssAfterBytes)} |`,
  ].join("\n");
  const checks: TargetCheck[] = [
    {
      name: "recovery: open speed vs plain sequential reads (warm cache)",
      measured: speed,
      goal: 0.5,
      direction: ">=",
    },
    ...(coldSpeed === undefined ? [] : [{
      name: "recovery: open speed vs plain sequential reads (cold cache)",
      measured: coldSpeed,
      goal: 0.5,
      direction: ">=" as const,
    }]),
    {
      name: "recovery: peak RSS growth during open vs payload retained",
      measured: peakGrowth,
      goal: 1.3,
      direction: "<=",
    },
    {
      name: "recovery: peak RSS of the whole process vs payload retained",
      measured: peakTotal,
      goal: 1.3,
      direction: "<=",
    },
  ];
  return { table, checks };
}

/** The memory figures of `probe.ts fill`: RSS and `resourceUsage()` vs payload. */
export function memoryReport(
  probe: ProbeReport,
): { table: string; checks: TargetCheck[] } {
  const r = probe.retainedBytes;
  const rows: [string, number, string][] = [
    [
      "resourceUsage().memoryUsedBytes / payload",
      probe.memoryUsedBytes / r,
      mib(probe.memoryUsedBytes),
    ],
    [
      "resourceUsage().memoryAllocatedBytes / payload",
      probe.memoryAllocatedBytes / r,
      mib(probe.memoryAllocatedBytes),
    ],
    [
      "process RSS growth (after - before the log) / payload",
      (probe.rssAfterBytes - probe.rssBeforeBytes) / r,
      `${mib(probe.rssBeforeBytes)} before, ${mib(probe.rssAfterBytes)} after`,
    ],
    [
      "process RSS (whole process) / payload",
      probe.rssAfterBytes / r,
      "includes the runtime's own memory",
    ],
    [
      "peak RSS while appending / payload",
      probe.peakRssBytes / r,
      mib(probe.peakRssBytes),
    ],
  ];
  const table = [
    `Retaining ${
      formatBytes(r)
    } of 256 B records (${probe.records} records, appended 256 per append, one queue; fresh child process, after a full GC).`,
    "",
    "| figure | ratio | detail |",
    "| --- | ---: | --- |",
    ...rows.map(([name, value, detail]) =>
      `| ${name} | ${formatRatio(value)} | ${detail} |`
    ),
  ].join("\n");
  const checks: TargetCheck[] = [
    {
      name: "memory: resourceUsage() memoryAllocatedBytes vs payload",
      measured: probe.memoryAllocatedBytes / r,
      goal: 1.15,
      direction: "<=",
    },
    {
      name: "memory: process RSS growth vs payload",
      measured: (probe.rssAfterBytes - probe.rssBeforeBytes) / r,
      goal: 1.15,
      direction: "<=",
    },
    {
      name: "memory: process RSS (whole process) vs payload",
      measured: probe.rssAfterBytes / r,
      goal: 1.15,
      direction: "<=",
    },
  ];
  return { table, checks };
}
