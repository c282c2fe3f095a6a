/**
 * What `MultiRecordLog` stands on: an open log's parts, the checks its
 * methods make before using them (open, the queue exists, writable), and
 * the log's lifecycle, from opening the directory to closing it.
 *
 * @module
 */

import { queueNameBytes } from "../arguments.ts";
import {
  LogClosedError,
  LogReadOnlyError,
  MissingQueueError,
} from "../errors.ts";
import type { DirectoryLock } from "../storage/directory_lock.ts";
import type { FileAdapter } from "../storage/file_adapter.ts";
import { ChangeListeners } from "./change_listeners.ts";
import { collectGarbageAndCommit } from "./collect_garbage.ts";
import type { OpenOptions } from "./log_types.ts";
import { LogWrites } from "./log_writes.ts";
import { loadQueueStates } from "./load_queue_states.ts";
import type { MemQueue } from "./mem_queue.ts";
import type { MemQueues } from "./mem_queues.ts";
import { type LogState, openLogState } from "./open_log_state.ts";
import {
  type ResolvedOpenOptions,
  resolveOpenOptions,
} from "./open_options.ts";
import { type RecoveryReport, recoveryWarnings } from "./recovery_report.ts";

/** An open log's parts, the checks made before using them, and `close`. */
export class LogHandle {
  /** The log's directory. */
  readonly dir: string;
  /** The adapter the log's files are opened with. */
  readonly fileAdapter: FileAdapter;
  /** The queues, the log's own included. */
  readonly queues: MemQueues;
  /** The writing side; `undefined` when opened read-only. */
  readonly writes: LogWrites | undefined;
  /** The log files and their lengths. */
  readonly files: ReadonlyMap<number, number>;
  /** The bytes the log files occupy on disk. */
  readonly diskUsedBytes: () => number;
  /** What reading the files found and skipped. */
  readonly recovery: RecoveryReport;
  /** The `memoryLimitBytes` given to `open` (`Infinity` if none). */
  readonly memoryLimitBytes: number;
  /** The `diskLimitBytes` given to `open` (`Infinity` if none). */
  readonly diskLimitBytes: number;
  /** The listeners of `MultiRecordLog.onChange`. */
  readonly listeners: ChangeListeners;
  readonly #lock: DirectoryLock | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** The log of `dir` made of `state`, as `options` say. */
  constructor(dir: string, state: LogState, options: ResolvedOpenOptions) {
    this.dir = dir;
    this.fileAdapter = options.fileAdapter;
    this.queues = state.queues;
    this.#lock = state.lock;
    this.files = state.files;
    this.diskUsedBytes = state.diskUsedBytes;
    this.recovery = state.recovery;
    this.memoryLimitBytes = options.memoryLimitBytes;
    this.diskLimitBytes = options.diskLimitBytes;
    this.listeners = new ChangeListeners(options.onWarning);
    this.writes = state.writer &&
      new LogWrites(state.queues, state.writer, options, this.listeners);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Raises `LogClosedError` once `close()` was called. */
  checkOpen(): void {
    if (this.#closed) throw new LogClosedError();
  }

  /**
   * The user queue named `queue`. Raises `LogClosedError`, a `TypeError` for
   * a name that is not one, or `MissingQueueError`.
   */
  queue(queue: string): MemQueue {
    this.checkOpen();
    const q = this.queues.get(queue);
    if (q && !q.internal) return q;
    queueNameBytes(queue);
    throw new MissingQueueError(queue);
  }

  /**
   * Whether `queue` is still the queue of that name it is now: a stream stops
   * when its queue is deleted, even if one of the same name is created.
   */
  isCurrent(queue: string): () => boolean {
    const q = this.queue(queue);
    return () => !this.#closed && this.queues.get(queue) === q;
  }

  /** The writing side, if the log is open for writing and has not failed. */
  writing(): LogWrites {
    this.checkOpen();
    const writes = this.writes;
    if (writes === undefined) throw new LogReadOnlyError();
    if (writes.writer.failed) throw writes.writer.failed;
    return writes;
  }

  /**
   * Marks the log closed and its queues deleted at once, tells the
   * listeners, then persists everything appended (fsync), closes the files
   * and releases the directory. Later calls return the same promise.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    for (const q of this.queues.values()) q.deleted = true;
    this.listeners.notify();
    this.#closing = (async () => {
      const writer = this.writes?.writer;
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
}

/**
 * Opens (or creates) the log in `dir` (see `MultiRecordLog.open`): reads
 * its files, reports what they skipped to `onWarning`, loads the queues'
 * states and, when writable, collects the garbage recovery left. Closes
 * what it opened if any of that fails.
 */
export async function openLogHandle(
  dir: string,
  options: OpenOptions,
): Promise<LogHandle> {
  const resolved = resolveOpenOptions(dir, options);
  const state = openLogState(dir, resolved);
  const log = new LogHandle(dir, state, resolved);
  const { recovery, incompleteTail } = state;
  const { readOnly, onWarning } = resolved;
  try {
    for (
      const line of recoveryWarnings(recovery, dir, readOnly, incompleteTail)
    ) {
      onWarning(line);
    }
    loadQueueStates(state.queues, state.writer, onWarning);
    if (state.writer) {
      await collectGarbageAndCommit(state.queues, state.writer, true);
    }
  } catch (error) {
    await log.close().catch(() => {});
    throw error;
  }
  return log;
}
