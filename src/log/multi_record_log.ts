import {
  checkOptionalPosition,
  checkPayloads,
  checkPosition,
  queueNameBytes,
} from "../arguments.ts";
import type { LogRecordBatch } from "../log_record_batch.ts";
import type { QueueWritableOptions } from "../streams/queue_writable_stream.ts";
import { backupLog, type BackupOutcome } from "./backup.ts";
import { type ConsumerSummary, listConsumers } from "./consumers.ts";
import { type LogHandle, openLogHandle } from "./log_handle.ts";
import type { LogMetrics } from "./log_metrics.ts";
import { logMetrics, logResourceUsage, logSummary } from "./log_reports.ts";
import type {
  AppendOutcome,
  CreateConsumerOptions,
  InternalQueuesOptions,
  LogReadableOptions,
  LogSummary,
  OpenOptions,
  RangeOptions,
  ResourceUsage,
  TruncateOutcome,
  WriteOutcome,
} from "./log_types.ts";
import type { LogRecord } from "./mem_queue.ts";
import { type PersistAction, validatePersistAction } from "./persist_policy.ts";
import type { RetentionLimits } from "./queue_state.ts";
import {
  ackConsumer,
  createConsumer,
  deleteConsumer,
  setRetention,
} from "./queue_state_writes.ts";
import { openQueueReadable, openQueueWritable } from "./queue_streams.ts";
import { rangeAsync } from "./range_async.ts";
import { rangeBatches } from "./range_batches.ts";

// Where the tools and tests found it before the types had a module of their own.
export type { OpenOptions } from "./log_types.ts";

/**
 * Many named queues multiplexed into one durable record log, byte-compatible
 * with Quickwit's `mrecordlog` 0.5. Each queue has its own positions; all
 * retained records are also held in memory, so reads never touch the disk,
 * unless the `hotBytes` open option bounds that memory: then the older
 * records are read back from the log files (see `rangeAsync`).
 *
 * @example
 * ```ts
 * import { MultiRecordLog } from "@x/mrecordlog";
 *
 * const dir = await Deno.makeTempDir();
 * await using log = await MultiRecordLog.open(dir, {
 *   persistPolicy: { kind: "always", action: "fsync" },
 * });
 * await log.createQueue("events");
 * const { lastPosition } = await log.appendRecord(
 *   "events",
 *   undefined,
 *   new TextEncoder().encode("hello"),
 * );
 * for (const { position, payload } of log.range("events", { from: 0 })) {
 *   console.log(position, new TextDecoder().decode(payload));
 * }
 * await log.truncate("events", lastPosition!);
 * ```
 */
// kept whole: the class is longer than the ~400 lines of the project's rule.
// It is the public API and its documentation (about 270 of its lines), each
// method checking its arguments and handing the work to a module: log_handle.ts
// (the open log's parts and checks, opening and closing), log_writes.ts,
// queue_state_writes.ts, queue_streams.ts, log_reports.ts, ... Splitting the
// class itself (a base class) would split its documentation too.
export class MultiRecordLog {
  readonly #log: LogHandle;

  private constructor(log: LogHandle) {
    this.#log = log;
  }

  /**
   * Opens (or creates) the log in `dir`: reads every log file once, skipping
   * damage as the format says, and resumes writing at the end of the valid
   * data. Raises `LogLockedError` if the directory is open elsewhere (unless
   * `readOnly`, which reads a snapshot without taking the directory).
   *
   * @example Inspect a log another process is writing
   * ```ts ignore
   * await using log = await MultiRecordLog.open("./data", { readOnly: true });
   * console.log(log.summary().queues);
   * ```
   */
  static async open(
    dir: string,
    options: OpenOptions = {},
  ): Promise<MultiRecordLog> {
    return new MultiRecordLog(await openLogHandle(dir, options));
  }

  /** Creates an empty queue (flushed and fsynced). Raises `QueueAlreadyExistsError`. */
  async createQueue(queue: string): Promise<WriteOutcome> {
    const nameBytes = queueNameBytes(queue);
    return await this.#log.writing().createQueue(queue, nameBytes);
  }

  /**
   * Deletes a queue, its records, consumers and retention limits (flushed
   * and fsynced). Raises `MissingQueueError`.
   */
  async deleteQueue(queue: string): Promise<WriteOutcome> {
    const q = this.#log.queue(queue);
    return await this.#log.writing().deleteQueue(q);
  }

  /** True if the queue exists. */
  queueExists(queue: string): boolean {
    this.#log.checkOpen();
    const q = this.#log.queues.get(queue);
    if (q !== undefined && !q.internal) return true;
    queueNameBytes(queue);
    return false;
  }

  /**
   * The names of the queues, sorted (in UTF-8 byte order); the log's own
   * queues only with `{ internal: true }`.
   */
  listQueues(options?: InternalQueuesOptions): string[] {
    this.#log.checkOpen();
    return this.#log.queues.sorted(options?.internal).map((q) => q.name);
  }

  /**
   * Appends one record, at the queue's next position or at `position`.
   * See {@linkcode MultiRecordLog.appendRecords}.
   */
  appendRecord(
    queue: string,
    position: number | undefined,
    payload: Uint8Array,
  ): Promise<AppendOutcome> {
    return this.appendRecords(queue, position, [payload]);
  }

  /**
   * Appends records atomically, at consecutive positions from the queue's
   * next position, or from `position`. With a `position` whose next is the
   * queue's next position (a retry of the last single-record append), nothing
   * is written and `lastPosition` is `undefined`; a position further in the
   * past raises `PositionInPastError`; a position ahead leaves a gap. These
   * are the Rust crate's rules: the retry check looks at `position` only, not
   * at the batch size, so retry a batch record by record or from its last
   * record (or use `log.writable(queue, { position })`, which skips what the
   * queue already holds). Resolves once the
   * bytes are persisted as the policy says; the records become visible to
   * readers then (under a policy that does not fsync each append, the first
   * append of a microtask turn is written, and visible, before it returns).
   */
  appendRecords(
    queue: string,
    position: number | undefined,
    payloads: readonly Uint8Array[],
  ): Promise<AppendOutcome> {
    try {
      const q = this.#log.queue(queue);
      checkOptionalPosition(position, "position");
      const bytes = checkPayloads(payloads, "payloads");
      return this.#log.writing().append(q, position, payloads, bytes);
    } catch (error) {
      this.#log.writes?.counters.rejected(error);
      return Promise.reject(error);
    }
  }

  /**
   * Drops the queue's records at positions up to and including `position`,
   * then deletes the log files that no record held any longer needs.
   * Allowed on a queue with consumers: those behind continue from the first
   * record held. Raises `MissingQueueError`.
   */
  async truncate(queue: string, position: number): Promise<TruncateOutcome> {
    const q = this.#log.queue(queue);
    checkPosition(position, "position");
    return await this.#log.writing().truncate(q, position);
  }

  /**
   * The queue's records from `from` to `to` (both inclusive), in position
   * order; the iteration sees truncations made meanwhile (truncated records
   * are skipped). Reads memory only, unless the log was opened with
   * `hotBytes`: records that left memory are then read from the log files,
   * synchronously (256 KiB at a time, each record's checksums verified; a
   * damaged record raises `CorruptionError` from the iteration). For long
   * reads of such records, prefer {@linkcode MultiRecordLog.rangeAsync} or
   * `readable`, which let other work run between the reads.
   */
  range(
    queue: string,
    options: RangeOptions = {},
  ): IterableIterator<LogRecord> {
    const q = this.#log.queue(queue);
    const from = checkOptionalPosition(options.from, "from") ?? 0;
    const to = checkOptionalPosition(options.to, "to") ?? Infinity;
    return q.range(from, to);
  }

  /**
   * The records of {@linkcode MultiRecordLog.range}, as an async iterator
   * that hands the event loop back after each read of the log files (with
   * `hotBytes`, records that left memory are read 256 KiB at a time), so that
   * appends and other I/O go on while it reads a backlog from disk.
   * Arguments are checked at once.
   *
   * @example Drain a backlog larger than memory
   * ```ts ignore
   * await using log = await MultiRecordLog.open("./data", { hotBytes: 64 << 20 });
   * for await (const { position, payload } of log.rangeAsync("q", { from: 0 })) {
   *   await send(position, payload);
   * }
   * ```
   */
  rangeAsync(
    queue: string,
    options: RangeOptions = {},
  ): AsyncIterableIterator<LogRecord> {
    const records = this.range(queue, options);
    return rangeAsync(records, this.#log.queues.cold?.reader);
  }

  /**
   * The records of {@linkcode MultiRecordLog.range}, in batches
   * (`LogRecordBatch`: positions, payload offsets and lengths in arrays, no
   * object per record), the cheapest way to read many records: a batch holds
   * the records of one chunk of memory, or of one append read back from the
   * log files (the same synchronous reads as `range`), up to 4096. For long
   * reads of records that left memory, prefer `readable(queue, { batch: true })`,
   * which lets other work run between the reads.
   *
   * @example
   * ```ts ignore
   * for (const { positions, bytes, starts, lengths } of log.rangeBatches("q")) {
   *   for (let i = 0; i < positions.length; i++) {
   *     handle(positions[i], bytes.subarray(starts[i], starts[i] + lengths[i]));
   *   }
   * }
   * ```
   */
  rangeBatches(
    queue: string,
    options: RangeOptions = {},
  ): IterableIterator<LogRecordBatch> {
    const q = this.#log.queue(queue);
    const from = checkOptionalPosition(options.from, "from") ?? 0;
    const to = checkOptionalPosition(options.to, "to") ?? Infinity;
    return rangeBatches(q, from, to);
  }

  /**
   * A `WritableStream` into the queue: each `Uint8Array` chunk is one record,
   * an array chunk one atomic batch. `write()` resolves once the record is
   * persisted as the policy says; at the memory limit it waits for room.
   * Raises `LogReadOnlyError` on a log opened read-only.
   *
   * @example
   * ```ts ignore
   * const response = await fetch(url);
   * await response.body!
   *   .pipeThrough(new LineSplitStream())
   *   .pipeThrough(new RecordBatchStream())
   *   .pipeTo(log.writable("q"));
   * ```
   */
  writable(
    queue: string,
    options?: QueueWritableOptions,
  ): WritableStream<Uint8Array | Uint8Array[]> {
    return openQueueWritable(this, this.#log, queue, options);
  }

  /**
   * A `ReadableStream` of the queue's records from `from` to `to`; with
   * `follow: true` it stays open at the tail. Records truncated before the
   * reader reaches them are skipped (the reader sees the jump in positions).
   * With `consumer`, it starts right after that consumer's last ack: a
   * reader that stops and starts again gets every record after the last ack
   * again (at-least-once delivery: ack what you processed). Raises
   * `MissingConsumerError` for a consumer the queue does not have.
   *
   * @example Consume a queue, acknowledging each record once processed
   * ```ts ignore
   * const records = log.readable("q", { consumer: "indexer", follow: true });
   * for await (const { position, payload } of records) {
   *   await index(payload);
   *   await log.ack("q", "indexer", position);
   * }
   * ```
   */
  readable(
    queue: string,
    options?: LogReadableOptions & { batch?: false },
  ): ReadableStream<LogRecord>;
  /**
   * The same stream with `batch: true`: its chunks are `LogRecordBatch`es
   * (see {@linkcode MultiRecordLog.rangeBatches}), the fast way to drain a
   * queue, from memory or from the log files.
   *
   * @example Drain a backlog larger than memory
   * ```ts ignore
   * for await (const batch of log.readable("q", { batch: true })) {
   *   for (let i = 0; i < batch.positions.length; i++) {
   *     send(batch.bytes.subarray(batch.starts[i], batch.starts[i] + batch.lengths[i]));
   *   }
   * }
   * ```
   */
  readable(
    queue: string,
    options: LogReadableOptions & { batch: true },
  ): ReadableStream<LogRecordBatch>;
  /** The implementation of the overloads above. */
  readable(
    queue: string,
    options?: LogReadableOptions,
  ): ReadableStream<LogRecord> | ReadableStream<LogRecordBatch> {
    return openQueueReadable(this, this.#log, queue, options);
  }

  /**
   * Adds a consumer to the queue: a durable named cursor that reads from
   * `from` (default: the queue's first record held) and records what it
   * processed with {@linkcode MultiRecordLog.ack}. Once every consumer of a
   * queue acknowledged something, the queue is truncated to the lowest of
   * their acks, and its old files deleted. Flushed and fsynced. Raises
   * `MissingQueueError`, `ConsumerAlreadyExistsError`.
   */
  async createConsumer(
    queue: string,
    name: string,
    options?: CreateConsumerOptions,
  ): Promise<WriteOutcome> {
    return await createConsumer(this.#log, queue, name, options);
  }

  /**
   * Deletes a consumer of the queue; the queue is then truncated to the
   * lowest ack of the others, if any. Flushed and fsynced. Raises
   * `MissingQueueError`, `MissingConsumerError`.
   */
  async deleteConsumer(queue: string, name: string): Promise<WriteOutcome> {
    return await deleteConsumer(this.#log, queue, name);
  }

  /**
   * The consumers of the queue, by name: each one's last ack (`undefined`
   * if none yet) and lag (records held after its position).
   */
  listConsumers(queue: string): ConsumerSummary[] {
    return listConsumers(this.#log.queue(queue));
  }

  /**
   * Records that consumer `name` processed the queue's records up to and
   * including `position`, and truncates the queue to the lowest ack of its
   * consumers. Resolves once persisted as the persist policy says (with the
   * appends of the same moment: group commit); after a crash the consumer's
   * ack is never behind one that resolved. Acks only move forward: an older
   * position is a no-op (resolving once the ack that covers it is
   * persisted). Raises `MissingQueueError`, `MissingConsumerError`, and
   * `RangeError` for a position past the queue's last.
   */
  ack(queue: string, name: string, position: number): Promise<WriteOutcome> {
    return ackConsumer(this.#log, queue, name, position);
  }

  /**
   * Sets the queue's retention limits (`undefined` removes them): at most
   * `maxRecords` records and `maxBytes` payload bytes. An append that would
   * pass one truncates the oldest records first (`discard: "old"`; readers
   * behind see the jump) or is refused with `RetentionLimitError`
   * (`discard: "new"`); an append alone over a limit is refused either way.
   * With `"old"`, a queue already over the new limits is truncated now.
   * Persisted (flushed and fsynced); deleting the queue removes them.
   */
  async setRetention(
    queue: string,
    limits: RetentionLimits | undefined,
  ): Promise<WriteOutcome> {
    return await setRetention(this.#log, queue, limits);
  }

  /** The queue's retention limits, or `undefined` if it has none. */
  retention(queue: string): RetentionLimits | undefined {
    const limits = this.#log.queue(queue).state?.retention;
    return limits && { ...limits };
  }

  /** The last position of the queue, or `undefined` if it never advanced. */
  lastPosition(queue: string): number | undefined {
    const q = this.#log.queue(queue);
    return q.visibleNext > 0 ? q.visibleNext - 1 : undefined;
  }

  /** The last record held in the queue, if any. */
  lastRecord(queue: string): LogRecord | undefined {
    return this.#log.queue(queue).lastVisible();
  }

  /**
   * Every queue's positions and files, the files on disk, and what open
   * skipped; the log's own queues only with `{ internal: true }`.
   */
  summary(options?: InternalQueuesOptions): LogSummary {
    return logSummary(this.#log, options);
  }

  /**
   * Memory held by records, and the bytes the log files occupy on disk (not
   * their apparent length: see `ResourceUsage.diskUsedBytes`).
   */
  resourceUsage(): ResourceUsage {
    return logResourceUsage(this.#log);
  }

  /**
   * The log's figures as plain data (what the server's `GET /metrics`
   * formats): memory and disk used and their limits, the log files, and
   * per queue its records, bytes, next position and consumers; counted since
   * the log was opened: records appended per queue, bytes written by
   * operation, appends refused by limit, and append and fsync durations.
   */
  metrics(): LogMetrics {
    return logMetrics(this.#log);
  }

  /** Waits until everything appended so far is written (`"flush"`) or fsynced (`"fsync"`). */
  async persist(action: PersistAction): Promise<void> {
    validatePersistAction(action, "action");
    await this.#log.writing().writer.commit(action === "fsync");
  }

  /**
   * Copies the log into `destDir`, a missing or empty directory, while it
   * stays open: everything appended before the call is in the copy (written
   * out first), which opens like the log, here and in the Rust crate. See
   * `backupLog` (it also copies the log of a directory another process has
   * open). To restore, open the copy, or move it where the log was, while
   * nothing has the log open.
   *
   * @example
   * ```ts ignore
   * const { files, bytesCopied } = await log.backup("./backups/today");
   * ```
   */
  async backup(destDir: string): Promise<BackupOutcome> {
    this.#log.checkOpen();
    const writes = this.#log.writes;
    if (writes !== undefined && !writes.writer.failed) {
      await writes.writer.commit(false);
    }
    return await backupLog(this.#log.dir, destDir, {
      fileAdapter: this.#log.fileAdapter,
    });
  }

  /**
   * Persists everything appended (fsync), closes the files and releases the
   * directory. Later calls raise `LogClosedError`. Safe to call twice.
   */
  close(): Promise<void> {
    return this.#log.close();
  }

  /** Closes the log: `await using log = await MultiRecordLog.open(dir)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#log.closed;
  }

  /**
   * Retained payload bytes held in memory, all queues together: all
   * retained bytes unless the log was opened with `hotBytes`.
   */
  get retainedBytes(): number {
    return this.#log.queues.retainedBytes;
  }

  /** The `memoryLimitBytes` given to `open` (`Infinity` if none). */
  get memoryLimitBytes(): number {
    return this.#log.memoryLimitBytes;
  }

  /**
   * The `hotBytes` given to `open`: payload bytes kept in memory (`Infinity`
   * if none: all).
   */
  get hotBytes(): number {
    return this.#log.queues.cold?.hotBytes ?? Infinity;
  }

  /** The `diskLimitBytes` given to `open` (`Infinity` if none). */
  get diskLimitBytes(): number {
    return this.#log.diskLimitBytes;
  }

  /**
   * Calls `listener` after every change readers may care about: records
   * became visible, a truncate or delete freed memory, or the log closed.
   * Returns a function that removes the listener. Streams that follow a
   * queue's tail or wait at the memory limit use it. A listener that throws
   * does not fail the change: its error goes to `onWarning`.
   *
   * @example
   * ```ts ignore
   * const stop = log.onChange(() => console.log(log.lastPosition("q")));
   * stop();
   * ```
   */
  onChange(listener: () => void): () => void {
    return this.#log.listeners.add(listener);
  }
}
