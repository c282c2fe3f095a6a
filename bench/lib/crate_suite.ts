/**
 * The library against the Rust crate it ports (issue 16), in one run: the
 * crate's own `bench` (its four append workloads), the library on the same
 * workloads, SQLite `FULL` keyed for the fsync one, then one log of 256 B
 * records written by the library and opened by each, in a fresh process,
 * twice (best of two; peak RSS). Without the harness (see `rust_crate.ts`)
 * the crate's figures are reported as not measured.
 *
 * @module
 */

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import process from "node:process";
import { MultiRecordLog } from "../../mod.ts";
import type { Backend } from "./backend.ts";
import {
  type ContenderName,
  randomPayloads,
  runIteration,
} from "./contenders.ts";
import { type ProbeReport, runProbe } from "./probe.ts";
import { readAll } from "./recovery_suite.ts";
import {
  formatMiB,
  formatRatio,
  formatReport,
  median,
  ratio,
  Results,
  type TargetCheck,
  targetTable,
} from "./report.ts";
import {
  type CrateBenchRun,
  type CrateOpen,
  crateOpen,
  findCrateHarness,
  runCrateBench,
} from "./rust_crate.ts";
import { type BenchConfig, formatBytes, type Workload } from "./workloads.ts";

/** The key of the library's fsync figure with sparse files. */
const SPARSE = "mrecordlog fsync, sparse files (prewriteSegments: false)";

/** The key of the raw floor: one write of each 256 B record. */
const FLOOR = "floor flush 256B x1";
/** The key of the library on 1,000 in flight with its writes discarded. */
const DISCARDED = "mrecordlog 1000-in-flight, writes discarded";

/** A row: the library's workload and the crate's figure it is compared with. */
interface Row {
  name: string;
  workload: Workload;
  crate: keyof Omit<CrateBenchRun, "lines">;
  goal: number;
}

function workload(
  durability: "flush" | "fsync",
  recordBytes: number,
  batch: number,
  concurrency: number,
  appends: number,
): Workload {
  const how = concurrency === 1 ? "awaited" : `${concurrency}-in-flight`;
  return {
    id: `${durability} ${formatBytes(recordBytes)} x${batch} q1 ${how}`,
    durability,
    recordBytes,
    batch,
    queues: 1,
    mode: concurrency === 1 ? "awaited" : "inflight",
    concurrency,
    appends,
  };
}

/** The rows of issue 16, sized for `config`. */
function crateRows(config: BenchConfig): Row[] {
  const q = config.quick ? 4 : 1;
  return [
    {
      name: "always/flush, 256 B, awaited one by one, vs Always(Flush)",
      workload: workload("flush", 256, 1, 1, 200_000 / q),
      crate: "flushAwaited",
      goal: 0.9,
    },
    {
      name: "always/flush, 256 B, 1,000 in flight, vs DoNothing one at a time",
      workload: workload("flush", 256, 1, 1000, 200_000 / q),
      crate: "doNothing",
      goal: 1,
    },
    {
      name: "always/flush, 16 KiB in batches of 16, vs Always(Flush)",
      workload: workload("flush", 16384, 16, 1, 4096 / q),
      crate: "batch16KiB",
      goal: 1,
    },
    {
      name: "always/fsync, 256 B, one appender, vs Always(FlushAndFsync)",
      workload: workload("fsync", 256, 1, 1, 10_000 / q / 2),
      crate: "fsyncAwaited",
      goal: 1.2,
    },
  ];
}

/**
 * Measures the crate and the library on the rows of issue 16, in rounds
 * (the crate's `bench` once, then each of the library's workloads
 * `iterations` times, the first round's first iteration a discarded
 * warm-up), then the reopen of one log by each; prints the ratios and the
 * targets. Runs at once (no `deno bench` registration): the crate's
 * `bench` takes about 15 s and must alternate with the library.
 */
export async function crateSuite(
  backend: Backend,
  config: BenchConfig,
): Promise<void> {
  const harness = findCrateHarness();
  const rows = crateRows(config);
  const results = new Results();
  const crateRuns: CrateBenchRun[] = [];
  const fsyncRow = rows[rows.length - 1];
  const plan: [ContenderName, Workload, string][] = [
    ...rows.map((r): [ContenderName, Workload, string] => [
      "mrecordlog",
      r.workload,
      `mrecordlog ${r.workload.id}`,
    ]),
    ["sqlite-keyed", fsyncRow.workload, "sqlite-keyed"],
    ["mrecordlog", { ...fsyncRow.workload, prewriteSegments: false }, SPARSE],
    ["floor", rows[0].workload, FLOOR],
    ["mrecordlog", { ...rows[1].workload, discardWrites: true }, DISCARDED],
  ];
  const rounds = config.quick ? 2 : 3;
  const perRound = Math.max(1, Math.round(config.iterations / rounds) + 1);
  const started = performance.now();
  const progress = (what: string) =>
    process.stderr.write(
      `  ${what} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
    );
  for (let round = 0; round < rounds; round++) {
    if (harness) {
      progress(`round ${round + 1}: the crate's bench`);
      crateRuns.push(runCrateBench(harness));
    }
    for (const [contender, w, key] of plan) {
      progress(`round ${round + 1}: ${key}`);
      for (let i = 0; i < perRound; i++) {
        const m = { contender, key, workload: w };
        const figure = await runIteration(backend, m, config);
        if (round > 0 || i > 0) results.values(key).push(figure);
      }
    }
  }
  progress("reopening");
  const log = await writeLog(config.tmpRoot, config.recoveryBytes);
  try {
    const opens = reopen(backend, harness, log);
    console.log(formatReport("Against the Rust crate", backend.runtime, [
      harness
        ? `The crate: ${harness} (mrecordlog 0.5). ${rounds} rounds, each: the crate's \`bench\` once, then the library on the same workloads ${perRound} times (the first one of all discarded). Ratio = the library's median records/s / the crate's median${
          config.quick ? " (BENCH_QUICK)" : ""
        }; above 1 the library is faster.`
        : "The Rust crate: not measured (no harness: set MRECORDLOG_RUST_HARNESS or put it in ../shared/tools/rust-mrecordlog/).",
      reportTables(rows, results, crateRuns, opens, log),
      ...(config.verbose ? [results.dump()] : []),
    ]));
  } finally {
    rmSync(log.dir, { recursive: true, force: true });
  }
}

interface WrittenLog {
  dir: string;
  records: number;
  payloadBytes: number;
  /** The log files and the bytes of log data in each. */
  files: { path: string; dataBytes: number }[];
}

/** Writes `payloadBytes` of 256 B records (256 per append, queue `q`). */
async function writeLog(
  tmpRoot: string,
  payloadBytes: number,
): Promise<WrittenLog> {
  const dir = mkdtempSync(`${tmpRoot}/mrecordlog-crate-open-`);
  const payloads = randomPayloads(256, 256);
  let records = 0;
  let walBytes = 0;
  {
    await using log = await MultiRecordLog.open(dir, {
      persistPolicy: { kind: "doNothing" },
      segmentBytes: SEGMENT_BYTES,
    });
    // `q`: the queue whose records the crate's `bench-open` counts.
    walBytes += (await log.createQueue("q")).walBytesWritten;
    while (records * 256 < payloadBytes) {
      walBytes += (await log.appendRecords("q", undefined, payloads))
        .walBytesWritten;
      records += payloads.length;
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
  return { dir, records, payloadBytes: records * 256, files };
}

const SEGMENT_BYTES = 128 * 1024 * 1024;

interface Opens {
  library: ProbeReport[];
  crate: CrateOpen[];
  /** Seconds to read the log's data into fresh buffers kept (this process). */
  freshReads: number[];
}

/** Opens `dir` twice by each, alternating, each in a fresh process. */
function reopen(
  backend: Backend,
  harness: string | undefined,
  log: WrittenLog,
): Opens {
  const { dir, records } = log;
  const opens: Opens = { library: [], crate: [], freshReads: [] };
  for (let round = 0; round < 2; round++) {
    if (harness) {
      const c = crateOpen(harness, dir);
      if (c.records !== records) {
        throw new Error(`the crate read ${c.records} records of ${records}`);
      }
      opens.crate.push(c);
    }
    const p = runProbe(backend, ["open", dir]);
    if (p.records !== records) {
      throw new Error(`the library read ${p.records} records of ${records}`);
    }
    opens.library.push(p);
    const t0 = performance.now();
    readAll(backend, log, true);
    opens.freshReads.push((performance.now() - t0) / 1000);
  }
  return opens;
}

function min(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.min(...values);
}

function reportTables(
  rows: readonly Row[],
  results: Results,
  crateRuns: readonly CrateBenchRun[],
  opens: Opens,
  log: WrittenLog,
): string {
  const crate = (key: Row["crate"]) => {
    const values = crateRuns.map((r) => r[key]).filter((v) =>
      v !== undefined
    ) as number[];
    return values.length === 0 ? undefined : median(values);
  };
  const rate = (v: number | undefined) =>
    v === undefined ? "-" : `${Math.round(v).toLocaleString("en-US")}/s`;
  const lines = [
    "| workload | the crate | the library | ratio |",
    "| --- | ---: | ---: | ---: |",
  ];
  const checks: TargetCheck[] = [];
  for (const r of rows) {
    const lib = results.median(`mrecordlog ${r.workload.id}`);
    const measured = ratio(lib, crate(r.crate));
    lines.push(
      `| ${r.name} (${r.workload.id}) | ${rate(crate(r.crate))} | ${
        rate(lib)
      } | ${formatRatio(measured)} |`,
    );
    checks.push({ name: r.name, measured, goal: r.goal, direction: ">=" });
  }
  const fsync = rows[rows.length - 1];
  const sqlite = results.median("sqlite-keyed");
  const vsSqlite = ratio(
    results.median(`mrecordlog ${fsync.workload.id}`),
    sqlite,
  );
  lines.push(
    `| same, vs SQLite FULL keyed (same run) | ${rate(sqlite)} (SQLite) | | ${
      formatRatio(vsSqlite)
    } |`,
  );
  const bound = (
    what: string,
    key: string,
    row: Row,
  ) =>
    `| bound: ${what} vs ${row.crate} | ${rate(crate(row.crate))} | ${
      rate(results.median(key))
    } | ${formatRatio(ratio(results.median(key), crate(row.crate)))} |`;
  lines.push(
    bound(
      `the floor, one plain write of each 256 B record (no framing, nothing else), ${
        rows[0].workload.id
      }`,
      FLOOR,
      rows[0],
    ),
    bound(
      "the library with its writes and fsyncs discarded (its JavaScript alone), 1,000 in flight",
      DISCARDED,
      rows[1],
    ),
  );
  const sparse = results.median(SPARSE);
  lines.push(
    `| same, files written ahead with zeros vs kept sparse (\`prewriteSegments: false\`, same run) | ${
      rate(sparse)
    } (sparse) | | ${
      formatRatio(
        ratio(results.median(`mrecordlog ${fsync.workload.id}`), sparse),
      )
    } |`,
  );
  checks.push({
    name: "always/fsync, 256 B, one appender, vs SQLite FULL keyed",
    measured: vsSqlite,
    goal: 1.2,
    direction: ">=",
  });
  const libSeconds = min(opens.library.map((p) => p.seconds));
  const crateSeconds = min(opens.crate.map((c) => c.seconds));
  const libPeak = min(opens.library.map((p) => p.peakRssBytes));
  const runtimeAndLog = min(
    opens.library.map((p) => p.rssBeforeBytes + p.memoryAllocatedBytes),
  );
  const cratePeak = min(opens.crate.map((c) => c.peakRssBytes));
  const speed = ratio(crateSeconds, libSeconds);
  const freshSeconds = min(opens.freshReads);
  const rss = ratio(libPeak, cratePeak);
  const seconds = (v: number | undefined) =>
    v === undefined ? "-" : `${v.toFixed(2)} s`;
  const mib = (v: number | undefined) => v === undefined ? "-" : formatMiB(v);
  lines.push(
    `| reopening ${
      formatBytes(log.payloadBytes)
    } of 256 B records written by the library, same files, fresh process, best of 2: speed | ${
      seconds(crateSeconds)
    } | ${seconds(libSeconds)} | ${formatRatio(speed)} |`,
    `| bound: reading the same log data into fresh buffers kept (no parsing; this process), best of 2 | ${
      seconds(crateSeconds)
    } | ${seconds(freshSeconds)} | ${
      formatRatio(ratio(crateSeconds, freshSeconds))
    } |`,
    `| same: peak RSS of the process (lower is better) | ${mib(cratePeak)} | ${
      mib(libPeak)
    } | ${formatRatio(rss)} |`,
    `| bound: the runtime's RSS before the open + the log's \`memoryAllocatedBytes\` (lower is better) | ${
      mib(cratePeak)
    } | ${mib(runtimeAndLog)} | ${
      formatRatio(ratio(runtimeAndLog, cratePeak))
    } |`,
  );
  checks.push(
    {
      name: "reopening 256 B records: speed vs the crate",
      measured: speed,
      goal: 2,
      direction: ">=",
    },
    {
      name: "reopening 256 B records: peak RSS vs the crate's",
      measured: rss,
      goal: 1,
      direction: "<=",
    },
  );
  return [lines.join("\n"), targetTable(checks)].join("\n\n");
}
