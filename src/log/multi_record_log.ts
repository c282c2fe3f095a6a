import {
  checkOptionalPosition,
  checkPayloads,
  checkPosition,
  queueNameBytes,
} from "./arguments.ts";
import type { DirectoryLock } from "../storage/directory_lock.ts";
import {
  DiskLimitError,
  LogClosedError,
  LogReadOnlyError,
  MemoryLimitError,
  MissingQueueError,
} from "../errors.ts";
import { appendRecordLength, RecordKind } from "../format/record.ts";
import { ChangeListeners } from "./change_listeners.ts";
import { collectGarbageAndCommit } from "./collect_garbage.ts";
import type {
  AppendOutcome,
  LogSummary,
  OpenOptions,
  RangeOptions,
  ResourceUsage,
  TruncateOutcome,
  WriteOutcome,
} from "./log_types.ts";
import { measureResourceUsage, summarizeLog } from "./log_summary.ts";
import type { LogWriter } from "./log_writer.ts";
import type { LogRecord, MemQueue } from "./mem_queue.ts";
import type { MemQueues } from "./mem_queues.ts";
import { type LogState, openLogState } from "./open_log_state.ts";
import {
  type ResolvedOpenOptions,
  resolveOpenOptions,
} from "./open_options.ts";
import { type PersistAction, validatePersistAction } from "./persist_policy.ts";
import { type RecoveryReport, recoveryWarnings } from "./recovery_report.ts";
import {
  createQueueReadable,
  type QueueReadableOptions,
} from "../streams/queue_readable_stream.ts";
import {
  createQueueWritable,
  type QueueWritableOptions,
} from "../streams/queue_writable_stream.ts";

// Where the tools and tests found it before the types had a module of their own.
export type { OpenOptions } from "./log_types.ts";

/**
 * Many named queues multiplexed into one durable record log, byte-compatible
 * with Quickwit's `mrecordlog` 0.5. Each queue has its own positions; all
 * retained records are also held in memory, so reads never touch the disk.
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
export class MultiRecordLog {
  readonly #queues: MemQueues;
  /** `undefined` when opened read-only. */
  readonly #writer: LogWriter | undefined;
  readonly #lock: DirectoryLock | undefined;
  readonly #files: ReadonlyMap<number, number>;
  readonly #diskUsedBytes: () => number;
  readonly #recovery: RecoveryReport;
  readonly #appendSync: boolean;
  readonly #delayedSyncMs: number;
  readonly #memoryLimit: number;
  readonly #diskLimit: number;
  readonly #listeners: ChangeListeners;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(state: LogState, options: ResolvedOpenOptions) {
    this.#queues = state.queues;
    this.#writer = state.writer;
    this.#lock = state.lock;
    this.#files = state.files;
    this.#diskUsedBytes = state.diskUsedBytes;
    this.#recovery = state.recovery;
    const policy = options.persistPolicy;
    this.#appendSync = policy.kind === "always" && policy.action === "fsync";
    this.#delayedSyncMs = policy.kind === "onDelay" && policy.action === "fsync"
      ? policy.intervalMs
      : 0;
    this.#memoryLimit = options.memoryLimitBytes;
    this.#diskLimit = options.diskLimitBytes;
    this.#listeners = new ChangeListeners(options.onWarning);
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
    const resolved = resolveOpenOptions(dir, options);
    const state = openLogState(dir, resolved);
    const log = new MultiRecordLog(state, resolved);
    const { recovery, incompleteTail } = state;
    const { readOnly, onWarning } = resolved;
    try {
      for (
        const line of recoveryWarnings(recovery, dir, readOnly, incompleteTail)
      ) {
        onWarning(line);
      }
      if (state.writer) {
        await collectGarbageAndCommit(state.queues, state.writer, true);
      }
    } catch (error) {
      await log.close().catch(() => {});
      throw error;
    }
    return log;
  }

  /** Creates an empty queue (flushed and fsynced). Raises `QueueAlreadyExistsError`. */
  async createQueue(queue: string): Promise<WriteOutcome> {
    const nameBytes = queueNameBytes(queue);
    const writer = this.#writable();
    this.#queues.create(queue, nameBytes);
    const { bytes } = writer.addControl(RecordKind.Touch, nameBytes, 0);
    await writer.commit(true);
    return { walBytesWritten: bytes };
  }

  /** Deletes a queue and its records (flushed and fsynced). Raises `MissingQueueError`. */
  async deleteQueue(queue: string): Promise<WriteOutcome> {
    const q = this.#queue(queue);
    const writer = this.#writable();
    this.#queues.delete(queue);
    let walBytesWritten = writer.addControl(
      RecordKind.DeleteQueue,
      q.nameBytes,
      q.nextPosition,
    ).bytes;
    walBytesWritten += await collectGarbageAndCommit(
      this.#queues,
      writer,
      true,
    );
    this.#listeners.notify();
    return { walBytesWritten };
  }

  /** True if the queue exists. */
  queueExists(queue: string): boolean {
    this.#checkOpen();
    if (this.#queues.get(queue) !== undefined) return true;
    queueNameBytes(queue);
    return false;
  }

  /** The names of the queues, sorted. */
  listQueues(): string[] {
    this.#checkOpen();
    return this.#queues.sorted().map((q) => q.name);
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
      const q = this.#queue(queue);
      checkOptionalPosition(position, "position");
      const bytes = checkPayloads(payloads, "payloads");
      const writer = this.#writable();
      const start = this.#queues.appendStart(q, position, payloads.length);
      if (start === undefined) {
        // The retried append may still be waiting for its persist.
        return writer.commit(this.#appendSync).then(() => NOTHING_APPENDED);
      }
      if (payloads.length === 0) return Promise.resolve(NOTHING_APPENDED);
      const retained = this.#queues.retainedBytes;
      if (retained + bytes > this.#memoryLimit) {
        throw new MemoryLimitError(this.#memoryLimit, retained + bytes);
      }
      if (this.#diskLimit !== Infinity) {
        this.#checkDisk(writer, q, payloads.length, bytes);
      }
      return this.#append(writer, q, start, payloads);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Raises `DiskLimitError` if the append would make the files pass the limit. */
  #checkDisk(
    writer: LogWriter,
    q: MemQueue,
    count: number,
    payloadBytes: number,
  ): void {
    const length = appendRecordLength(q.nameBytes.length, count, payloadBytes);
    const diskBytes = writer.diskUsedBytesWith(length);
    if (diskBytes > this.#diskLimit) {
      throw new DiskLimitError(this.#diskLimit, diskBytes);
    }
  }

  /**
   * Lays out the append and copies its records in (at positions checked by
   * `appendRecords`); they become visible once persisted as the policy says.
   */
  #append(
    writer: LogWriter,
    q: MemQueue,
    start: number,
    payloads: readonly Uint8Array[],
  ): Promise<AppendOutcome> {
    const placed = writer.addAppend(q.nameBytes, start, payloads);
    for (let i = 0; i < payloads.length; i++) {
      this.#queues.append(q, start + i, payloads[i], placed.fileNumber);
    }
    const last = start + payloads.length - 1;
    if (this.#delayedSyncMs > 0) writer.syncLater(this.#delayedSyncMs);
    if (!this.#appendSync && writer.writeNow()) {
      return Promise.resolve(this.#appended(q, last, placed.bytes));
    }
    return writer.commit(this.#appendSync).then(() =>
      this.#appended(q, last, placed.bytes)
    );
  }

  /** Makes an append's records visible once persisted; its outcome. */
  #appended(q: MemQueue, last: number, walBytesWritten: number): AppendOutcome {
    if (q.visibleNext <= last) q.visibleNext = last + 1;
    this.#listeners.notify();
    return { lastPosition: last, walBytesWritten };
  }

  /**
   * Drops the queue's records at positions up to and including `position`,
   * then deletes the log files that no record held any longer needs.
   * Raises `MissingQueueError`.
   */
  async truncate(queue: string, position: number): Promise<TruncateOutcome> {
    const q = this.#queue(queue);
    checkPosition(position, "position");
    const writer = this.#writable();
    const evictedRecords = this.#queues.truncate(q, position);
    const next = q.nextPosition;
    let walBytesWritten = writer.addControl(
      RecordKind.Truncate,
      q.nameBytes,
      position,
    ).bytes;
    walBytesWritten += await collectGarbageAndCommit(
      this.#queues,
      writer,
      this.#appendSync,
    );
    if (q.visibleNext < next) q.visibleNext = next;
    this.#listeners.notify();
    return { evictedRecords, walBytesWritten };
  }

  /**
   * The queue's records from `from` to `to` (both inclusive), in position
   * order. Reads memory only; the iteration sees truncations made meanwhile
   * (truncated records are skipped).
   */
  range(
    queue: string,
    options: RangeOptions = {},
  ): IterableIterator<LogRecord> {
    const q = this.#queue(queue);
    const from = checkOptionalPosition(options.from, "from") ?? 0;
    const to = checkOptionalPosition(options.to, "to") ?? Infinity;
    return q.range(from, to);
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
    const isCurrent = this.#isCurrent(queue);
    if (this.#writer === undefined) throw new LogReadOnlyError();
    return createQueueWritable(this, queue, options, isCurrent);
  }

  /**
   * A `ReadableStream` of the queue's records from `from` to `to`; with
   * `follow: true` it stays open at the tail. Records truncated before the
   * reader reaches them are skipped (the reader sees the jump in positions).
   *
   * @example
   * ```ts ignore
   * for await (const { position, payload } of log.readable("q", { follow: true })) {
   *   console.log(position, payload.length);
   * }
   * ```
   */
  readable(
    queue: string,
    options?: QueueReadableOptions,
  ): ReadableStream<LogRecord> {
    return createQueueReadable(this, queue, options, this.#isCurrent(queue));
  }

  /** The last position of the queue, or `undefined` if it never advanced. */
  lastPosition(queue: string): number | undefined {
    const q = this.#queue(queue);
    return q.visibleNext > 0 ? q.visibleNext - 1 : undefined;
  }

  /** The last record held in the queue, if any. */
  lastRecord(queue: string): LogRecord | undefined {
    return this.#queue(queue).lastVisible();
  }

  /** Every queue's positions and files, the files on disk, and what open skipped. */
  summary(): LogSummary {
    this.#checkOpen();
    return summarizeLog(this.#queues, this.#files, this.#recovery);
  }

  /**
   * Memory held by records, and the bytes the log files occupy on disk (not
   * their apparent length: see `ResourceUsage.diskUsedBytes`).
   */
  resourceUsage(): ResourceUsage {
    this.#checkOpen();
    return measureResourceUsage(this.#queues, this.#diskUsedBytes());
  }

  /** Waits until everything appended so far is written (`"flush"`) or fsynced (`"fsync"`). */
  async persist(action: PersistAction): Promise<void> {
    validatePersistAction(action, "action");
    await this.#writable().commit(action === "fsync");
  }

  /**
   * Persists everything appended (fsync), closes the files and releases the
   * directory. Later calls raise `LogClosedError`. Safe to call twice.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    for (const q of this.#queues.values()) q.deleted = true;
    this.#listeners.notify();
    this.#closing = (async () => {
      const writer = this.#writer;
      if (writer === undefined) return;
      try {
        if (!writer.failed) await writer.commit(true);
      } finally {
        try {
          writer.close();
        } finally {
          this.#lock?.release();
        }
      }
    })();
    return this.#closing;
  }

  /** Closes the log: `await using log = await MultiRecordLog.open(dir)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Retained payload bytes, all queues together. */
  get retainedBytes(): number {
    return this.#queues.retainedBytes;
  }

  /** The `memoryLimitBytes` given to `open` (`Infinity` if none). */
  get memoryLimitBytes(): number {
    return this.#memoryLimit;
  }

  /** The `diskLimitBytes` given to `open` (`Infinity` if none). */
  get diskLimitBytes(): number {
    return this.#diskLimit;
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
    return this.#listeners.add(listener);
  }

  #queue(queue: string): MemQueue {
    this.#checkOpen();
    const q = this.#queues.get(queue);
    if (q) return q;
    queueNameBytes(queue);
    throw new MissingQueueError(queue);
  }

  /**
   * Whether `queue` is still the queue of that name it is now: a stream stops
   * when its queue is deleted, even if one of the same name is created.
   */
  #isCurrent(queue: string): () => boolean {
    const q = this.#queue(queue);
    return () => !this.#closed && this.#queues.get(queue) === q;
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogClosedError();
  }

  /** The writer, if the log is open for writing and has not failed. */
  #writable(): LogWriter {
    this.#checkOpen();
    const writer = this.#writer;
    if (writer === undefined) throw new LogReadOnlyError();
    if (writer.failed) throw writer.failed;
    return writer;
  }
}

const NOTHING_APPENDED: AppendOutcome = Object.freeze({
  lastPosition: undefined,
  walBytesWritten: 0,
});
