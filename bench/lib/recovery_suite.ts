/**
 * The recovery benchmark of issue 4, for any runtime and driver: a log
 * holding `recoveryBytes` of 16 KiB records is reopened, beside plain
 * sequential reads of the same files; then a fresh child process
 * (`probe.ts open`) reports its peak RSS while opening it.
 *
 * @module
 */

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { MultiRecordLog } from "../../mod.ts";
import type { Backend } from "./backend.ts";
import { randomPayloads } from "./contenders.ts";
import type { Driver, TimingHooks } from "./driver.ts";
import { type ProbeReport, runProbe } from "./probe.ts";
import {
  figureTable,
  formatMiB,
  formatReport,
  ratio,
  Results,
  type TargetCheck,
  targetTable,
} from "./report.ts";
import { type BenchConfig, formatBytes } from "./workloads.ts";

/** The log written for the recovery benchmark. */
export interface RecoveryLog {
  /** Its directory. */
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
const RECORD_BYTES = 16 * 1024;

/**
 * Writes the log, measures reads and opens with `driver` (warm page cache;
 * with `config.cold` also cold), then prints the ratios and the targets.
 */
export async function recoverySuite(
  driver: Driver,
  backend: Backend,
  config: BenchConfig,
): Promise<void> {
  const log = await writeRecoveryLog(config.tmpRoot, config.recoveryBytes);
  const remove = () => rmSync(log.dir, { recursive: true, force: true });
  const results = new Results();
  try {
    for (const cold of config.cold ? [false, true] : [false]) {
      const group = cold ? "recovery, cold page cache" : "recovery";
      const key = (name: string) => cold ? `${name} cold` : name;
      const spec = (name: string, baseline = false) => ({
        group,
        name,
        baseline,
        iterations: config.iterations,
      });
      await driver.measure(
        spec("plain sequential reads", true),
        (hooks) => timed(hooks, cold, () => readAll(backend, log, false)),
        results.values(key("read")),
      );
      if (!cold) {
        await driver.measure(
          spec("reads into fresh buffers, kept"),
          (hooks) => timed(hooks, false, () => readAll(backend, log, true)),
          results.values("retained read"),
        );
      }
      await driver.measure(
        spec("MultiRecordLog.open"),
        (hooks) => timeOpen(log, hooks, cold),
        results.values(key("open")),
      );
    }
    await driver.report(() => {
      try {
        const probe = runProbe(backend, ["open", log.dir]);
        console.log(
          formatReport(
            "Recovery",
            backend.runtime,
            recoveryReport(log, results, probe),
          ),
        );
      } finally {
        remove();
      }
    });
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * Writes a log of `payloadBytes` of 16 KiB records (64 records per append,
 * one queue, `always/flush`, 128 MiB files) in a new directory.
 */
export async function writeRecoveryLog(
  tmpRoot: string,
  payloadBytes: number,
): Promise<RecoveryLog> {
  const dir = mkdtempSync(`${tmpRoot}/mrecordlog-recovery-`);
  const payloads = randomPayloads(64, RECORD_BYTES);
  let walBytes = 0;
  let records = 0;
  {
    await using log = await MultiRecordLog.open(dir, {
      segmentBytes: SEGMENT_BYTES,
    });
    walBytes += (await log.createQueue("recovery")).walBytesWritten;
    while (records * RECORD_BYTES < payloadBytes) {
      const left = Math.ceil(
        (payloadBytes - records * RECORD_BYTES) / RECORD_BYTES,
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
  return { dir, files, payloadBytes: records * RECORD_BYTES, records };
}

/**
 * Reads every byte of log data of `log` sequentially, 4 MiB at a time into
 * one reused buffer; or, with `retain`, into a new buffer per file, all kept
 * until the end (so the memory is fresh, as the log's is on open). Returns
 * the bytes read.
 */
export function readAll(
  backend: Backend,
  log: Pick<RecoveryLog, "files">,
  retain: boolean,
): number {
  const reused = retain ? undefined : new Uint8Array(READ_CHUNK);
  const kept: Uint8Array[] = [];
  let total = 0;
  for (const file of log.files) {
    const buffer = reused ?? new Uint8Array(file.dataBytes);
    if (retain) kept.push(buffer);
    const reader = backend.openReader(file.path);
    try {
      // A fresh buffer is filled; the reused one is overwritten by each read.
      for (let done = 0; done < file.dataBytes;) {
        const at = retain ? done : 0;
        const want = Math.min(buffer.length - at, file.dataBytes - done);
        const n = reader.read(
          want === buffer.length ? buffer : buffer.subarray(at, at + want),
        );
        if (n === 0) break;
        done += n;
        total += n;
      }
    } finally {
      reader.close();
    }
  }
  return total;
}

/**
 * Times `fn` between the hooks and returns the seconds it took. With `cold`,
 * first drops the kernel's clean page cache (Linux, root only), so that
 * reads come from the disk; the log files are clean (the log fsyncs them).
 */
async function timed(
  hooks: TimingHooks,
  cold: boolean,
  fn: () => unknown,
): Promise<number> {
  if (cold) writeFileSync("/proc/sys/vm/drop_caches", "1");
  hooks.start();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  hooks.end();
  return seconds;
}

/** Times an open of the log (see `timed`); checks it holds every record. */
async function timeOpen(
  log: RecoveryLog,
  hooks: TimingHooks,
  cold: boolean,
): Promise<number> {
  let reopened: MultiRecordLog | undefined;
  const seconds = await timed(hooks, cold, async () => {
    reopened = await MultiRecordLog.open(log.dir);
  });
  const records = reopened!.summary().queues.recovery?.recordCount;
  await reopened!.close();
  if (records !== log.records) {
    throw new Error(
      `reopened log holds ${records} records, expected ${log.records}`,
    );
  }
  return seconds;
}

/** The recovery figures: open speed vs sequential reads, and peak RSS vs payload. */
function recoveryReport(
  log: RecoveryLog,
  results: Results,
  probe: ProbeReport,
): string[] {
  let logBytes = 0;
  for (const file of log.files) logBytes += file.dataBytes;
  const read = (key: string) => {
    const seconds = results.median(key) ?? NaN;
    return `${(logBytes / seconds / 1e9).toFixed(1)} GB/s (median of ${
      results.values(key).length
    })`;
  };
  // Speeds are inverse times: open speed / read speed = read time / open time.
  const warm = ratio(results.median("read"), results.median("open"));
  const cold = ratio(results.median("read cold"), results.median("open cold"));
  const peakGrowth = (probe.peakRssBytes - probe.rssBeforeBytes) /
    probe.retainedBytes;
  const peakTotal = probe.peakRssBytes / probe.retainedBytes;
  const rows: [string, number | undefined, string][] = [
    [
      "open speed vs plain sequential reads (4 MiB reads), page cache warm",
      warm,
      `opens at ${read("open")}, reads at ${read("read")}`,
    ],
    [
      "open speed vs reads into fresh buffers kept to the end (page faults included), page cache warm",
      ratio(results.median("retained read"), results.median("open")),
      `reads at ${read("retained read")}`,
    ],
    [
      "open speed in a fresh process (the child below) vs plain sequential reads, page cache warm",
      ratio(results.median("read"), probe.seconds),
      `one open, ${probe.seconds.toFixed(2)} s`,
    ],
    ...(cold === undefined ? [] : [[
      "open speed vs plain sequential reads, page cache dropped before each",
      cold,
      `opens at ${read("open cold")}, reads at ${read("read cold")}`,
    ] as [string, number, string]]),
    [
      "peak RSS growth during open / payload retained",
      peakGrowth,
      `${formatMiB(probe.rssBeforeBytes)} before, ${
        formatMiB(probe.peakRssBytes)
      } peak, ${formatMiB(probe.retainedBytes)} retained`,
    ],
    [
      "peak RSS (whole process) / payload retained",
      peakTotal,
      "includes the runtime's own memory",
    ],
    [
      "RSS after open (GC'd) / payload retained",
      probe.rssAfterBytes / probe.retainedBytes,
      formatMiB(probe.rssAfterBytes),
    ],
  ];
  const check = (
    name: string,
    measured: number | undefined,
    direction: ">=" | "<=",
    goal: number,
  ): TargetCheck => ({ name: `recovery: ${name}`, measured, direction, goal });
  return [
    `Reopening ${
      formatBytes(log.payloadBytes)
    } of 16 KiB records (${log.records} records, ${log.files.length} files). Open speed = read time / open time; peak RSS in a fresh child process.`,
    figureTable(rows),
    targetTable([
      check(
        "open speed vs plain sequential reads (warm cache)",
        warm,
        ">=",
        0.5,
      ),
      ...(cold === undefined ? [] : [
        check(
          "open speed vs plain sequential reads (cold cache)",
          cold,
          ">=",
          0.5,
        ),
      ]),
      check(
        "peak RSS growth during open vs payload retained",
        peakGrowth,
        "<=",
        1.3,
      ),
      check(
        "peak RSS of the whole process vs payload retained",
        peakTotal,
        "<=",
        1.3,
      ),
    ]),
  ];
}
