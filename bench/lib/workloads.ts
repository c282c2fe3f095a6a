/**
 * The append workloads of issue 4 and the sizes of every benchmark, shared by
 * the `deno bench` suites and the Bun runner (no runtime-specific code here).
 *
 * Sizes come from environment variables:
 * - `BENCH_QUICK=1`: a quick run (about 1/8 of the appends, 64 MiB instead
 *   of 1 GiB for recovery and memory);
 * - `BENCH_ITERATIONS`: measured iterations per figure (default 5, quick 3; one more
 *   warm-up iteration is always run first and discarded);
 * - `BENCH_FLUSH_BYTES`, `BENCH_FSYNC_BYTES`: payload bytes appended per
 *   iteration of an `always/flush` / `always/fsync` workload;
 * - `BENCH_RECOVERY_BYTES`, `BENCH_MEMORY_BYTES`: payload of the recovery and
 *   memory benchmarks (default 1 GiB each);
 * - `BENCH_FILTER`: only the append workloads whose id contains this text;
 * - `BENCH_TMPDIR`: where temporary logs go (default the OS temp dir);
 * - `BENCH_COLD=1`: also time recovery with the page cache dropped before
 *   each read and open (needs root: writes `/proc/sys/vm/drop_caches`);
 * - `BENCH_VERBOSE=1`: also print every measured figure.
 *
 * Byte sizes accept a `KiB`, `MiB` or `GiB` suffix.
 *
 * @module
 */

import { tmpdir } from "node:os";
import process from "node:process";

/** How appends are persisted: the library's `always/flush` or `always/fsync`. */
export type Durability = "flush" | "fsync";

/**
 * How appends are issued: awaited one by one, `concurrency` appends in flight
 * from concurrent tasks (1,000), or `concurrency` appenders each awaiting its
 * own append (64, `always/fsync` only). `inflight` and `appenders` differ
 * only in how many tasks there are: a task appends again as soon as its
 * append resolves, in the same microtask cascade as the others, so they all
 * join the next commit. `appenders-io` is 64 appenders that each wait for
 * the next macrotask (`setImmediate`) before each append, as appends made by
 * independent I/O callbacks (requests on a server) would.
 */
export type Mode = "awaited" | "inflight" | "appenders" | "appenders-io";

/** One append workload. */
export interface Workload {
  /** A short unique name, e.g. `flush 256B x1 q1 awaited`. */
  id: string;
  /** The persist policy's action. */
  durability: Durability;
  /** Bytes per record. */
  recordBytes: number;
  /** Records per append (`appendRecords` call, SQLite transaction, floor write). */
  batch: number;
  /** Number of queues appended to, round robin. */
  queues: number;
  /** How appends are issued. */
  mode: Mode;
  /** Concurrent tasks: 1, 64 or 1,000 (never more than `appends`). */
  concurrency: number;
  /** Appends per measured iteration. */
  appends: number;
  /** The library's `prewriteSegments` open option (default: the policy's). */
  prewriteSegments?: boolean;
  /** The library writes nothing (`discardingFileAdapter`): its JavaScript alone. */
  discardWrites?: boolean;
}

/** The sizes and options of a run. */
export interface BenchConfig {
  /** `BENCH_QUICK=1`. */
  quick: boolean;
  /** Measured iterations per figure. */
  iterations: number;
  /** Payload bytes per iteration of an `always/flush` workload. */
  flushBytes: number;
  /** Payload bytes per iteration of an `always/fsync` workload. */
  fsyncBytes: number;
  /** Payload bytes of 16 KiB records in the log reopened by the recovery benchmark. */
  recoveryBytes: number;
  /** Payload bytes of 256 B records retained by the memory benchmark. */
  memoryBytes: number;
  /** Only workloads whose id contains this. */
  filter: string | undefined;
  /** Where temporary data goes. */
  tmpRoot: string;
  /** Also measure recovery with a cold page cache. */
  cold: boolean;
  /** Also print every measured figure. */
  verbose: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Record sizes of the append workloads. */
export const RECORD_SIZES: readonly number[] = [256, 16 * KiB];
/** Records per append. */
export const BATCH_SIZES: readonly number[] = [1, 16, 256];
/** Queue counts. */
export const QUEUE_COUNTS: readonly number[] = [1, 64];

/** Reads the configuration from the environment. */
export function benchConfig(): BenchConfig {
  const env = process.env;
  const quick = env.BENCH_QUICK === "1" || env.BENCH_QUICK === "true";
  return {
    quick,
    iterations: parseCount(env.BENCH_ITERATIONS, quick ? 3 : 5),
    flushBytes: parseBytes(env.BENCH_FLUSH_BYTES, quick ? 2 * MiB : 16 * MiB),
    fsyncBytes: parseBytes(env.BENCH_FSYNC_BYTES, quick ? 1 * MiB : 8 * MiB),
    recoveryBytes: parseBytes(env.BENCH_RECOVERY_BYTES, quick ? 64 * MiB : GiB),
    memoryBytes: parseBytes(env.BENCH_MEMORY_BYTES, quick ? 64 * MiB : GiB),
    filter: env.BENCH_FILTER || undefined,
    tmpRoot: env.BENCH_TMPDIR || tmpdir(),
    cold: env.BENCH_COLD === "1",
    verbose: env.BENCH_VERBOSE === "1",
  };
}

/** Parses a byte size such as `1048576`, `64MiB` or `1 GiB`. */
export function parseBytes(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?\s*$/i.exec(text);
  if (!match) throw new RangeError(`not a byte size: ${text}`);
  const unit = (match[2] ?? "B").toLowerCase();
  const scale = unit === "gib"
    ? GiB
    : unit === "mib"
    ? MiB
    : unit === "kib"
    ? KiB
    : 1;
  return Math.round(Number(match[1]) * scale);
}

function parseCount(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`not a positive integer: ${text}`);
  }
  return n;
}

/** `256B`, `16KiB`, `1GiB`: a size for names and tables. */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB}GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB}MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB}KiB`;
  return `${bytes}B`;
}

/** The id of a workload from its parts. */
export function workloadId(
  durability: Durability,
  recordBytes: number,
  batch: number,
  queues: number,
  mode: Mode,
): string {
  const how = mode === "awaited"
    ? "awaited"
    : mode === "inflight"
    ? "1000-in-flight"
    : mode === "appenders"
    ? "64-appenders"
    : "64-appenders-io";
  return `${durability} ${
    formatBytes(recordBytes)
  } x${batch} q${queues} ${how}`;
}

/**
 * Every append workload of issue 4: record sizes x batch sizes x queue
 * counts, and for each, `always/flush` awaited and 1,000 in flight, and
 * `always/fsync` awaited, 64 appenders and 1,000 in flight; plus, for single
 * records, `always/fsync` with 64 appenders driven by macrotasks. The number of
 * appends per iteration is the payload budget divided by the bytes per
 * append, capped so that the slowest contender (SQLite) stays well under a
 * second, and at least 4.
 */
export function appendWorkloads(config: BenchConfig): Workload[] {
  const scale = config.quick ? 4 : 1;
  const modes: [Durability, Mode, number, number, readonly number[]][] = [
    // durability, mode, concurrency, cap on appends per iteration, batches
    ["flush", "awaited", 1, 20_000, BATCH_SIZES],
    ["flush", "inflight", 1000, 20_000, BATCH_SIZES],
    ["fsync", "awaited", 1, 500, BATCH_SIZES],
    ["fsync", "appenders", 64, 8192, BATCH_SIZES],
    ["fsync", "appenders-io", 64, 2048, [1]],
    ["fsync", "inflight", 1000, 16_000, BATCH_SIZES],
  ];
  const out: Workload[] = [];
  for (const [durability, mode, concurrency, cap, batches] of modes) {
    for (const recordBytes of RECORD_SIZES) {
      for (const batch of batches) {
        for (const queues of QUEUE_COUNTS) {
          const budget = durability === "flush"
            ? config.flushBytes
            : config.fsyncBytes;
          const appends = Math.max(
            4,
            Math.min(
              Math.floor(cap / scale),
              Math.floor(budget / (recordBytes * batch)),
            ),
          );
          const id = workloadId(durability, recordBytes, batch, queues, mode);
          if (config.filter !== undefined && !id.includes(config.filter)) {
            continue;
          }
          out.push({
            id,
            durability,
            recordBytes,
            batch,
            queues,
            mode,
            concurrency: Math.min(concurrency, appends),
            appends,
          });
        }
      }
    }
  }
  return out;
}
