/**
 * The log's metrics: counters and duration histograms kept while it writes
 * ({@linkcode LogCounters}, cheap enough for the append path: a few number
 * increments per append, at most one `performance.now()` pair per commit
 * and one per 64 appends acknowledged at once),
 * and what `MultiRecordLog.metrics()` returns ({@linkcode LogMetrics}:
 * plain data, the same figures the server's `GET /metrics` formats).
 *
 * @module
 */

import { listConsumers } from "./consumers.ts";
import type { MemQueues } from "./mem_queues.ts";

/**
 * The upper bounds of the duration histograms, in seconds: 100 µs to 10 s
 * (an append under `always/flush` takes microseconds, an fsync
 * milliseconds; a slow disk, seconds).
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
]);

/** A histogram as plain data, as Prometheus shows one. */
export interface HistogramSnapshot {
  /**
   * Per upper bound `le` (seconds), the observations at most `le`:
   * cumulative, ascending, the last bound `Infinity` (its count is `count`).
   */
  buckets: { le: number; count: number }[];
  /** The sum of the observations, in seconds. */
  sum: number;
  /** The number of observations. */
  count: number;
}

/** Durations, in seconds, counted in {@linkcode DURATION_BUCKETS_SECONDS}. */
export class DurationHistogram {
  // counts[i]: observations in (bound[i-1], bound[i]]; the last, above all.
  readonly #counts = new Float64Array(DURATION_BUCKETS_SECONDS.length + 1);
  #sum = 0;
  #count = 0;
  // The last duration counted and its bucket: appends acknowledged at once
  // are counted at the same sampled duration, without the bucket search.
  #lastSeconds = -1;
  #lastBucket = 0;

  /** Counts a duration of `seconds`, `times` times (for a commit's appends). */
  observe(seconds: number, times = 1): void {
    let i = this.#lastBucket;
    if (seconds !== this.#lastSeconds) {
      const bounds = DURATION_BUCKETS_SECONDS;
      i = 0;
      while (i < bounds.length && seconds > bounds[i]) i++;
      this.#lastSeconds = seconds;
      this.#lastBucket = i;
    }
    this.#counts[i] += times;
    this.#sum += seconds * times;
    this.#count += times;
  }

  /** The histogram as plain data. */
  snapshot(): HistogramSnapshot {
    const buckets: { le: number; count: number }[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      cumulative += this.#counts[i];
      buckets.push({
        le: DURATION_BUCKETS_SECONDS[i] ?? Infinity,
        count: cumulative,
      });
    }
    return { buckets, sum: this.#sum, count: this.#count };
  }
}

/**
 * What the bytes written to the log were for: appends (and the records
 * `discard: "old"` truncates first are `truncate`), truncations, queue
 * creations and deletions, consumer and retention state (`queue_state`),
 * and the Touch and state records garbage collection writes again before it
 * deletes old files (`gc`).
 */
export type WalOperation =
  | "append"
  | "truncate"
  | "create_queue"
  | "delete_queue"
  | "queue_state"
  | "gc";

/** The limits an append can be refused at. */
export type AppendLimit = "memory" | "disk" | "retention";

const LIMIT_OF_ERROR: Record<string, AppendLimit> = {
  MemoryLimitError: "memory",
  DiskLimitError: "disk",
  RetentionLimitError: "retention",
};

/** The appends waiting for one commit, timed together. */
interface TimedCommit {
  commit: Promise<void>;
  started: number;
  appends: number;
}

/**
 * One in this many appends acknowledged at once (not waiting for a commit)
 * is timed: reading the clock costs 60 to 300 ns, a tenth of such an
 * append where the clock is slow (2% of an append at 1 in 16, measured in
 * Deno's CPU profile with the writes discarded).
 */
export const IMMEDIATE_SAMPLE = 64;

/**
 * The counters a log keeps while it writes. Appends are timed from the
 * moment their records are laid out to their acknowledgement. Those that
 * wait for a commit are timed per commit (from its first append; each
 * append counted). Of those acknowledged at once (written by the call
 * itself), one in {@linkcode IMMEDIATE_SAMPLE} is timed and the others are
 * counted at the last such duration: the count is exact, the durations a
 * sample.
 */
export class LogCounters {
  /** Bytes written to the log, by operation. */
  readonly walBytesWritten: Record<WalOperation, number> = {
    append: 0,
    truncate: 0,
    create_queue: 0,
    delete_queue: 0,
    queue_state: 0,
    gc: 0,
  };
  /** Appends refused, by the limit they met. */
  readonly appendsRejected: Record<AppendLimit, number> = {
    memory: 0,
    disk: 0,
    retention: 0,
  };
  /** Append-to-acknowledgement durations. */
  readonly appendSeconds: DurationHistogram = new DurationHistogram();
  #timed: TimedCommit | undefined;
  /** Appends not timed since the last one timed (the first one is). */
  #untimed = IMMEDIATE_SAMPLE - 1;
  /** The duration of the last append timed that was acknowledged at once. */
  #lastImmediate = 0;

  /** Counts an append refused with `error`, if a limit refused it. */
  rejected(error: unknown): void {
    const limit = LIMIT_OF_ERROR[(error as Error | undefined)?.name ?? ""];
    if (limit !== undefined) this.appendsRejected[limit]++;
  }

  /**
   * The clock at the start of an append, or `undefined` if it is not timed:
   * when a commit is being timed (the append will join it, or one after it)
   * or, one in {@linkcode IMMEDIATE_SAMPLE} times excepted, otherwise. Pass
   * it to `acknowledged` or `waits`.
   */
  appendStarts(): number | undefined {
    if (this.#timed !== undefined) return undefined;
    if (++this.#untimed < IMMEDIATE_SAMPLE) return undefined;
    this.#untimed = 0;
    return performance.now();
  }

  /** An append that `appendStarts` returned `started` for is acknowledged now. */
  acknowledged(started: number | undefined): void {
    if (started !== undefined) {
      this.#lastImmediate = (performance.now() - started) / 1000;
    }
    this.appendSeconds.observe(this.#lastImmediate);
  }

  /** An append started at `started` is acknowledged when `commit` resolves. */
  waits(commit: Promise<void>, started: number | undefined): void {
    const timed = this.#timed;
    if (timed !== undefined && timed.commit === commit) {
      timed.appends++;
      return;
    }
    const next: TimedCommit = {
      commit,
      started: started ?? performance.now(),
      appends: 1,
    };
    this.#timed = next;
    const done = (): void => {
      if (this.#timed === next) this.#timed = undefined;
      const seconds = (performance.now() - next.started) / 1000;
      this.appendSeconds.observe(seconds, next.appends);
    };
    commit.then(done, done);
  }
}

/** One consumer in {@linkcode QueueMetrics}. */
export interface ConsumerMetrics {
  /** The consumer's name. */
  name: string;
  /** The last position it acknowledged, or `undefined` if none yet. */
  acked: number | undefined;
  /** Records held after its position (that it has yet to process). */
  lag: number;
}

/** One queue in {@linkcode LogMetrics}. */
export interface QueueMetrics {
  /** The queue's name. */
  name: string;
  /** Records held (visible to readers). */
  records: number;
  /** Payload bytes held. */
  bytes: number;
  /** The position the next appended record gets. */
  nextPosition: number;
  /** Records appended to it since the log was opened (or the queue created). */
  recordsAppended: number;
  /** Its consumers, by name. */
  consumers: ConsumerMetrics[];
}

/**
 * The figures of a log, from `MultiRecordLog.metrics()`: gauges of what it
 * holds now, and counters since it was opened (they start at zero on every
 * open). Plain data: safe to keep, compare or serialize.
 */
export interface LogMetrics {
  /** Retained payload bytes: what `memoryLimitBytes` is compared with. */
  memoryUsedBytes: number;
  /** The memory limit, or `undefined` if none. */
  memoryLimitBytes: number | undefined;
  /** Bytes allocated for payloads and their index. */
  memoryAllocatedBytes: number;
  /** Bytes the log files occupy on disk (see `ResourceUsage.diskUsedBytes`). */
  diskUsedBytes: number;
  /** The disk limit, or `undefined` if none. */
  diskLimitBytes: number | undefined;
  /** The log files (segments) in the directory. */
  segmentFiles: number;
  /** Bytes written to the log since it was opened, by operation. */
  walBytesWritten: Record<WalOperation, number>;
  /** Appends refused since it was opened, by the limit they met. */
  appendsRejected: Record<AppendLimit, number>;
  /**
   * Append-to-acknowledgement durations: from an append's records being
   * laid out to its promise resolving (persisted as the policy says). Every
   * append is counted; see `LogCounters` for how they are timed (per
   * commit, or sampled for those acknowledged at once).
   */
  appendDurationSeconds: HistogramSnapshot;
  /** Durations of the fsyncs (`fdatasync`) of the log files. */
  fsyncDurationSeconds: HistogramSnapshot;
  /** The queues (not the log's own), in name order. */
  queues: QueueMetrics[];
}

/** The gauges of a log that come from outside its queues. */
export interface LogGauges {
  /** Bytes allocated for payloads and index. */
  memoryAllocatedBytes: number;
  /** The memory limit (`Infinity` if none). */
  memoryLimitBytes: number;
  /** Bytes the log files occupy on disk. */
  diskUsedBytes: number;
  /** The disk limit (`Infinity` if none). */
  diskLimitBytes: number;
  /** The number of log files. */
  segmentFiles: number;
}

/**
 * The metrics of a log: its queues, its gauges, and the counters kept while
 * it writes (`undefined` for a log opened read-only: zeros).
 */
export function collectLogMetrics(
  queues: MemQueues,
  gauges: LogGauges,
  counters: LogCounters | undefined,
  fsyncSeconds: DurationHistogram | undefined,
): LogMetrics {
  const idle = counters ?? new LogCounters();
  return {
    memoryUsedBytes: queues.retainedBytes,
    memoryLimitBytes: finite(gauges.memoryLimitBytes),
    memoryAllocatedBytes: gauges.memoryAllocatedBytes,
    diskUsedBytes: gauges.diskUsedBytes,
    diskLimitBytes: finite(gauges.diskLimitBytes),
    segmentFiles: gauges.segmentFiles,
    walBytesWritten: { ...idle.walBytesWritten },
    appendsRejected: { ...idle.appendsRejected },
    appendDurationSeconds: idle.appendSeconds.snapshot(),
    fsyncDurationSeconds: (fsyncSeconds ?? new DurationHistogram()).snapshot(),
    queues: queues.sorted(false).map((q) => ({
      name: q.name,
      records: q.visibleLength(),
      bytes: q.payloadBytes,
      nextPosition: q.visibleNext,
      recordsAppended: q.recordsAppended,
      consumers: listConsumers(q),
    })),
  };
}

function finite(limit: number): number | undefined {
  return Number.isFinite(limit) ? limit : undefined;
}
