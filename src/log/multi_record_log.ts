import {
  checkOptionalPosition,
  checkPayloads,
  checkPosition,
  queueNameBytes,
} from "./arguments.ts";
import { defaultFileAdapter } from "../storage/default_file_adapter.ts";
import {
  type DirectoryLock,
  lockDirectory,
} from "../storage/directory_lock.ts";
import {
  LogClosedError,
  LogReadOnlyError,
  MemoryLimitError,
  MissingQueueError,
  PositionInPastError,
  QueueAlreadyExistsError,
} from "../errors.ts";
import type { FileAdapter } from "../storage/file_adapter.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import { LogWriter } from "./log_writer.ts";
import { type LogRecord, MemQueue, RECORD_INDEX_BYTES } from "./mem_queue.ts";
import {
  DEFAULT_PERSIST_POLICY,
  type PersistAction,
  type PersistPolicy,
  validatePersistAction,
  validatePersistPolicy,
} from "./persist_policy.ts";
import { RecordKind } from "../format/record.ts";
import {
  createQueueReadable,
  type QueueReadableOptions,
} from "../streams/queue_readable_stream.ts";
import {
  createQueueWritable,
  type QueueWritableOptions,
} from "../streams/queue_writable_stream.ts";
import { readSnapshot, type RecoveryReport, replay } from "./recovery.ts";

/** Options of {@linkcode MultiRecordLog.open}. */
export interface OpenOptions {
  /** How appends are persisted. Default `{ kind: "always", action: "flush" }`. */
  persistPolicy?: PersistPolicy;
  /** File size at which the log rolls to a new file: a multiple of 32 KiB. Default 128 MiB. */
  segmentBytes?: number;
  /**
   * Retained payload bytes past which `appendRecord(s)` rejects with
   * `MemoryLimitError` (and stream sinks wait). Default: no limit.
   */
  memoryLimitBytes?: number;
  /** Throw `CorruptionError` on any damage found on open, instead of skipping it. */
  strict?: boolean;
  /** Where warnings go (damage skipped on open, an `onChange` listener that threw). Default `console.warn`. */
  onWarning?: (message: string) => void;
  /** The file system. Default: Deno's or `node:fs`, chosen at runtime. */
  fileAdapter?: FileAdapter;
  /**
   * Open a snapshot for reading only: takes no lock (a process writing the
   * log may hold it), changes nothing on disk (no repair of a damaged tail,
   * no file set aside, no garbage collection), and every method that writes
   * raises `LogReadOnlyError`. The snapshot does not see later writes; a log
   * being written may end in a record still half written: it is skipped, with
   * a warning, and not counted as damage. Files after the end of the data
   * are listed in `recovery.detachedFiles`, unread. Default `false`.
   */
  readOnly?: boolean;
}

/** What an append did. */
export interface AppendOutcome {
  /** Position of the last record appended; `undefined` if nothing was appended. */
  lastPosition: number | undefined;
  /** Bytes added to the log: frame headers, payloads and padding. */
  walBytesWritten: number;
}

/** What a truncate did. */
export interface TruncateOutcome {
  /** Records dropped from memory. */
  evictedRecords: number;
  /** Bytes added to the log (the Truncate record, and Touch records of garbage collection). */
  walBytesWritten: number;
}

/** What a queue creation or deletion did. */
export interface WriteOutcome {
  /** Bytes added to the log. */
  walBytesWritten: number;
}

/** Positions to read, both inclusive, both optional. */
export interface RangeOptions {
  /** The first position to read. */
  from?: number;
  /** The last position to read. */
  to?: number;
}

/** One queue in {@linkcode LogSummary}. */
export interface QueueSummary {
  /** The first position held, or the next position if the queue is empty. */
  start: number;
  /** The last position, or `undefined` if the queue never advanced. */
  end: number | undefined;
  /** The log file the first record held is in, or `undefined` if empty. */
  firstFileNumber: number | undefined;
  /** Records visible (held, and persisted as the policy says). */
  recordCount: number;
  /** Payload bytes held. */
  payloadBytes: number;
  /** Records dropped on open because they were inconsistent (see `recovery`). */
  droppedOnOpen: number;
}

/** The state of the log, from {@linkcode MultiRecordLog.summary}. */
export interface LogSummary {
  /** The queues, by name, in name order. */
  queues: Record<string, QueueSummary>;
  /** The log files: number and length in bytes, oldest first. */
  files: { number: number; bytes: number }[];
  /** What opening the log found and skipped. */
  recovery: RecoveryReport;
}

/** Memory and disk used, from {@linkcode MultiRecordLog.resourceUsage}. */
export interface ResourceUsage {
  /** Payload bytes held plus the per-record index. */
  memoryUsedBytes: number;
  /** Bytes allocated for payloads and index. */
  memoryAllocatedBytes: number;
  /** Length of the log files. */
  diskUsedBytes: number;
}

const DEFAULT_SEGMENT_BYTES = 128 * 1024 * 1024;

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
  readonly #queues: Map<string, MemQueue>;
  /** `undefined` when opened read-only. */
  readonly #writer: LogWriter | undefined;
  readonly #lock: DirectoryLock | undefined;
  readonly #files: ReadonlyMap<number, number>;
  readonly #recovery: RecoveryReport;
  readonly #appendSync: boolean;
  readonly #delayedSyncMs: number;
  readonly #memoryLimit: number;
  #retainedBytes = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #listeners = new Set<() => void>();
  readonly #warn: (message: string) => void;

  private constructor(
    queues: Map<string, MemQueue>,
    writer: LogWriter | undefined,
    lock: DirectoryLock | undefined,
    files: ReadonlyMap<number, number>,
    recovery: RecoveryReport,
    policy: PersistPolicy,
    memoryLimit: number,
    warn: (message: string) => void,
  ) {
    this.#warn = warn;
    this.#queues = queues;
    this.#writer = writer;
    this.#lock = lock;
    this.#files = files;
    this.#recovery = recovery;
    this.#appendSync = policy.kind === "always" && policy.action === "fsync";
    this.#delayedSyncMs = policy.kind === "onDelay" && policy.action === "fsync"
      ? policy.intervalMs
      : 0;
    this.#memoryLimit = memoryLimit;
    for (const queue of queues.values()) {
      this.#retainedBytes += queue.payloadBytes;
    }
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
    if (typeof dir !== "string" || dir === "") {
      throw new TypeError("dir must be a non-empty string");
    }
    const policy = options.persistPolicy === undefined
      ? DEFAULT_PERSIST_POLICY
      : validatePersistPolicy(options.persistPolicy);
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (
      typeof segmentBytes !== "number" || !Number.isSafeInteger(segmentBytes) ||
      segmentBytes <= 0 || segmentBytes % BLOCK_SIZE !== 0
    ) {
      throw new RangeError(
        `segmentBytes must be a positive multiple of ${BLOCK_SIZE}, got ${segmentBytes}`,
      );
    }
    const memoryLimit = options.memoryLimitBytes ?? Infinity;
    if (typeof memoryLimit !== "number" || !(memoryLimit > 0)) {
      throw new RangeError(
        `memoryLimitBytes must be a positive number, got ${memoryLimit}`,
      );
    }
    const warn = options.onWarning ?? console.warn;
    if (typeof warn !== "function") {
      throw new TypeError("onWarning must be a function");
    }
    const adapter = options.fileAdapter ?? defaultFileAdapter();
    const strict = options.strict ?? false;
    if (
      options.readOnly !== undefined && typeof options.readOnly !== "boolean"
    ) {
      throw new TypeError("readOnly must be a boolean");
    }
    if (options.readOnly) {
      const { queues, files, report, incompleteTail } = readSnapshot(
        adapter,
        dir,
        strict,
      );
      const log = new MultiRecordLog(
        queues,
        undefined,
        undefined,
        files,
        report,
        policy,
        memoryLimit,
        warn,
      );
      log.#warnAboutRecovery(dir);
      if (incompleteTail) {
        warn(
          `mrecordlog: the snapshot of ${dir} ends in an incomplete record, skipped (one still being written, or damage at the end of the log)`,
        );
      }
      return log;
    }
    adapter.mkdir(dir);
    const lock = lockDirectory(adapter, dir);
    let log: MultiRecordLog;
    try {
      const state = replay(adapter, dir, segmentBytes, strict);
      const writer = new LogWriter({ adapter, dir, segmentBytes, ...state });
      log = new MultiRecordLog(
        state.queues,
        writer,
        lock,
        writer.files,
        state.report,
        policy,
        memoryLimit,
        warn,
      );
    } catch (error) {
      lock.release();
      throw error;
    }
    try {
      log.#warnAboutRecovery(dir);
      await log.#collectGarbageAndCommit(true);
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
    if (this.#queues.has(queue)) throw new QueueAlreadyExistsError(queue);
    this.#queues.set(queue, new MemQueue(queue, nameBytes, 0));
    const walBytesWritten = writer.addControl(RecordKind.Touch, nameBytes, 0);
    await writer.commit(true);
    return { walBytesWritten };
  }

  /** Deletes a queue and its records (flushed and fsynced). Raises `MissingQueueError`. */
  async deleteQueue(queue: string): Promise<WriteOutcome> {
    const q = this.#queue(queue);
    const writer = this.#writable();
    this.#queues.delete(queue);
    q.deleted = true;
    this.#retainedBytes -= q.payloadBytes;
    let walBytesWritten = writer.addControl(
      RecordKind.DeleteQueue,
      q.nameBytes,
      q.nextPosition,
    );
    walBytesWritten += await this.#collectGarbageAndCommit(true);
    this.#changed();
    return { walBytesWritten };
  }

  /** True if the queue exists. */
  queueExists(queue: string): boolean {
    this.#checkOpen();
    if (this.#queues.has(queue)) return true;
    queueNameBytes(queue);
    return false;
  }

  /** The names of the queues, sorted. */
  listQueues(): string[] {
    this.#checkOpen();
    return [...this.#queues.values()].sort(compareNames).map((q) => q.name);
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
      if (position !== undefined && position !== q.nextPosition) {
        if (position + 1 === q.nextPosition) {
          // The retried append may still be waiting for its persist.
          return writer.commit(this.#appendSync).then(() => NOTHING_APPENDED);
        }
        if (position < q.nextPosition) {
          throw new PositionInPastError(queue, position, q.nextPosition);
        }
      }
      if (payloads.length === 0) return Promise.resolve(NOTHING_APPENDED);
      const start = position ?? q.nextPosition;
      if (payloads.length - 1 > Number.MAX_SAFE_INTEGER - start) {
        throw new RangeError(
          `the last position would pass 2^53 - 1 (first ${start}, ${payloads.length} records)`,
        );
      }
      const last = start + payloads.length - 1;
      if (this.#retainedBytes + bytes > this.#memoryLimit) {
        throw new MemoryLimitError(
          this.#memoryLimit,
          this.#retainedBytes + bytes,
        );
      }
      const walBytesWritten = writer.addAppend(q.nameBytes, start, payloads);
      const file = writer.lastRecordFile;
      for (let i = 0; i < payloads.length; i++) {
        q.push(start + i, payloads[i], file);
      }
      this.#retainedBytes += bytes;
      if (this.#delayedSyncMs > 0) writer.syncLater(this.#delayedSyncMs);
      if (!this.#appendSync && writer.writeNow()) {
        return Promise.resolve(this.#appended(q, last, walBytesWritten));
      }
      return writer.commit(this.#appendSync).then(() =>
        this.#appended(q, last, walBytesWritten)
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Makes an append's records visible once persisted; its outcome. */
  #appended(q: MemQueue, last: number, walBytesWritten: number): AppendOutcome {
    if (q.visibleNext <= last) q.visibleNext = last + 1;
    this.#changed();
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
    const before = q.payloadBytes;
    const evictedRecords = q.truncate(position);
    this.#retainedBytes -= before - q.payloadBytes;
    const next = q.nextPosition;
    let walBytesWritten = writer.addControl(
      RecordKind.Truncate,
      q.nameBytes,
      position,
    );
    walBytesWritten += await this.#collectGarbageAndCommit(this.#appendSync);
    if (q.visibleNext < next) q.visibleNext = next;
    this.#changed();
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
    const queues: Record<string, QueueSummary> = {};
    for (const name of this.listQueues()) {
      const q = this.#queues.get(name)!;
      queues[name] = {
        start: q.firstPosition ?? q.nextPosition,
        end: q.visibleNext > 0 ? q.visibleNext - 1 : undefined,
        firstFileNumber: q.firstFileNumber,
        recordCount: q.visibleLength(),
        payloadBytes: q.payloadBytes,
        droppedOnOpen: this.#recovery.droppedRecords[name] ?? 0,
      };
    }
    const files = [...this.#files].sort((a, b) => a[0] - b[0])
      .map(([number, bytes]) => ({ number, bytes }));
    return { queues, files, recovery: structuredClone(this.#recovery) };
  }

  /** Memory held by records and disk used by log files. */
  resourceUsage(): ResourceUsage {
    this.#checkOpen();
    let memoryUsedBytes = 0;
    let memoryAllocatedBytes = 0;
    for (const q of this.#queues.values()) {
      memoryUsedBytes += q.payloadBytes + q.length * RECORD_INDEX_BYTES;
      memoryAllocatedBytes += q.allocatedBytes();
    }
    let diskUsedBytes = 0;
    for (const bytes of this.#files.values()) diskUsedBytes += bytes;
    return { memoryUsedBytes, memoryAllocatedBytes, diskUsedBytes };
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
    this.#changed();
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
    return this.#retainedBytes;
  }

  /** The `memoryLimitBytes` given to `open` (`Infinity` if none). */
  get memoryLimitBytes(): number {
    return this.#memoryLimit;
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
    if (typeof listener !== "function") {
      throw new TypeError("listener must be a function");
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #warnAboutRecovery(dir: string): void {
    const warn = this.#warn;
    const { corruptionCount, droppedRecords, detachedFiles } = this.#recovery;
    if (corruptionCount > 0) {
      warn(
        `mrecordlog: skipped ${corruptionCount} damaged frame(s), block(s) or record(s) in ${dir}`,
      );
    }
    for (const [queue, count] of Object.entries(droppedRecords)) {
      warn(
        `mrecordlog: dropped ${count} inconsistent record(s) of queue ${
          JSON.stringify(queue)
        } in ${dir}`,
      );
    }
    if (detachedFiles.length > 0) {
      warn(
        this.#writer === undefined
          ? `mrecordlog: log files after the end of the data, not read (a writable open sets them aside): ${
            detachedFiles.join(", ")
          }`
          : `mrecordlog: set aside log files after the end of the data: ${
            detachedFiles.join(", ")
          }`,
      );
    }
  }

  #changed(): void {
    if (this.#listeners.size === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        // The change happened (an append may be persisted): a listener's bug
        // must not make it look failed.
        this.#reportListenerError(error);
      }
    }
  }

  #reportListenerError(error: unknown): void {
    try {
      this.#warn(`mrecordlog: an onChange listener threw: ${error}`);
    } catch {
      // Nowhere left to report it.
    }
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

  /**
   * Garbage collection: if some log files hold no record still in memory
   * (and are not the newest), writes a Touch record for every empty queue,
   * then commits with fsync and deletes those files. Otherwise just commits.
   * Returns the bytes the Touch records took.
   */
  async #collectGarbageAndCommit(sync: boolean): Promise<number> {
    const writer = this.#writable();
    let oldestNeeded = writer.currentFileNumber;
    for (const q of this.#queues.values()) {
      const file = q.firstFileNumber;
      if (file !== undefined && file < oldestNeeded) oldestNeeded = file;
    }
    let bytes = 0;
    const removable = [...writer.files.keys()].some((n) => n < oldestNeeded);
    if (removable) {
      for (const q of this.#queues.values()) {
        if (q.length > 0) continue;
        bytes += writer.addControl(
          RecordKind.Touch,
          q.nameBytes,
          q.nextPosition,
        );
      }
    }
    await writer.commit(sync || removable, removable ? oldestNeeded : 0);
    return bytes;
  }
}

const NOTHING_APPENDED: AppendOutcome = Object.freeze({
  lastPosition: undefined,
  walBytesWritten: 0,
});

/** UTF-8 byte order (code-point order), as the Rust crate's BTreeMap<String, _>. */
function compareNames(a: MemQueue, b: MemQueue): number {
  const x = a.nameBytes;
  const y = b.nameBytes;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}
