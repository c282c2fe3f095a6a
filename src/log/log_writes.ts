/**
 * The writing side of `MultiRecordLog`: each write laid out as records,
 * applied to the queues in memory, and committed as the persist policy says.
 * `MultiRecordLog` checks the arguments and finds the queue; `LogWrites`
 * does the rest, with the memory, disk and retention limits.
 *
 * @module
 */

import { DiskLimitError, MemoryLimitError } from "../errors.ts";
import {
  appendRecordLength,
  controlRecordLength,
  RecordKind,
} from "../format/record.ts";
import type { ChangeListeners } from "./change_listeners.ts";
import { collectGarbageAndCommit } from "./collect_garbage.ts";
import { LogCounters, type WalOperation } from "./log_metrics.ts";
import type {
  AppendOutcome,
  TruncateOutcome,
  WriteOutcome,
} from "./log_types.ts";
import type { LogWriter } from "./log_writer.ts";
import type { MemQueue } from "./mem_queue.ts";
import type { MemQueues } from "./mem_queues.ts";
import type { ResolvedOpenOptions } from "./open_options.ts";
import {
  followQueueState,
  truncateQueue,
  type Truncation,
} from "./queue_truncation.ts";
import { type RetentionCut, retentionCut } from "./retention.ts";
import { deleteStateQueue, writeQueueState } from "./state_queue.ts";
import { stateQueueName } from "./state_queue_names.ts";

/** An outcome of nothing written. */
export const NOTHING_WRITTEN: WriteOutcome = Object.freeze({
  walBytesWritten: 0,
});

const NOTHING_APPENDED: AppendOutcome = Object.freeze({
  lastPosition: undefined,
  walBytesWritten: 0,
});

/** Lays out, applies and commits the writes of a log open for writing. */
export class LogWrites {
  readonly #queues: MemQueues;
  /** The log's writer. */
  readonly writer: LogWriter;
  readonly #listeners: ChangeListeners;
  readonly #appendSync: boolean;
  readonly #delayedSyncMs: number;
  readonly #memoryLimit: number;
  readonly #diskLimit: number;
  /** What was written, appends refused, and how long appends took. */
  readonly counters: LogCounters = new LogCounters();
  readonly #wal: Record<WalOperation, number> = this.counters.walBytesWritten;

  /** Writes through `writer` to `queues`, as `options` say; changes are told to `listeners`. */
  constructor(
    queues: MemQueues,
    writer: LogWriter,
    options: ResolvedOpenOptions,
    listeners: ChangeListeners,
  ) {
    this.#queues = queues;
    this.writer = writer;
    this.#listeners = listeners;
    const policy = options.persistPolicy;
    this.#appendSync = policy.kind === "always" && policy.action === "fsync";
    this.#delayedSyncMs = policy.kind === "onDelay" && policy.action === "fsync"
      ? policy.intervalMs
      : 0;
    this.#memoryLimit = options.memoryLimitBytes;
    this.#diskLimit = options.diskLimitBytes;
  }

  /** Creates queue `name` (Touch at 0), flushed and fsynced. */
  async createQueue(
    name: string,
    nameBytes: Uint8Array,
  ): Promise<WriteOutcome> {
    this.#queues.create(name, nameBytes);
    const { bytes } = this.writer.addControl(RecordKind.Touch, nameBytes, 0);
    this.#wal.create_queue += bytes;
    await this.writer.commit(true);
    return { walBytesWritten: bytes };
  }

  /** Deletes queue `q` with its consumers and retention, flushed and fsynced. */
  async deleteQueue(q: MemQueue): Promise<WriteOutcome> {
    const writer = this.writer;
    this.#queues.delete(q.name);
    let walBytesWritten = writer.addControl(
      RecordKind.DeleteQueue,
      q.nameBytes,
      q.nextPosition,
    ).bytes;
    // Its state queue goes after it: a crash between the two leaves a state
    // queue without its queue, deleted on open.
    const store = q.state && this.#queues.get(stateQueueName(q.name));
    if (store) walBytesWritten += deleteStateQueue(this.#queues, writer, store);
    this.#wal.delete_queue += walBytesWritten;
    const gc = await collectGarbageAndCommit(this.#queues, writer, true);
    this.#wal.gc += gc;
    walBytesWritten += gc;
    this.#listeners.notify();
    return { walBytesWritten };
  }

  /**
   * Appends `payloads` (`bytes` bytes, checked) to queue `q` at `position`
   * or its next position, within the limits; see `appendRecords`.
   */
  append(
    q: MemQueue,
    position: number | undefined,
    payloads: readonly Uint8Array[],
    bytes: number,
  ): Promise<AppendOutcome> {
    const start = this.#queues.appendStart(q, position, payloads.length);
    if (start === undefined) {
      // The retried append may still be waiting for its persist.
      return this.writer.commit(this.#appendSync).then(() => NOTHING_APPENDED);
    }
    if (payloads.length === 0) return Promise.resolve(NOTHING_APPENDED);
    const limits = q.state?.retention;
    const cut = limits && retentionCut(q, limits, payloads.length, bytes);
    const retained = this.#queues.retainedBytes - (cut?.bytes ?? 0);
    if (retained + bytes > this.#memoryLimit) {
      throw new MemoryLimitError(this.#memoryLimit, retained + bytes);
    }
    if (this.#diskLimit !== Infinity) {
      this.#checkDisk(q, payloads.length, bytes, cut);
    }
    return this.#append(q, start, payloads, cut);
  }

  /** Raises `DiskLimitError` if the append would make the files pass the limit. */
  #checkDisk(
    q: MemQueue,
    count: number,
    payloadBytes: number,
    cut: RetentionCut | undefined,
  ): void {
    const name = q.nameBytes.length;
    const length = appendRecordLength(name, count, payloadBytes);
    const diskBytes = this.writer.diskUsedBytesWith(
      cut ? [length, controlRecordLength(name)] : [length],
    );
    if (diskBytes > this.#diskLimit) {
      throw new DiskLimitError(this.#diskLimit, diskBytes);
    }
  }

  /**
   * Lays out the append and copies its records in, then truncates what the
   * retention limits `cut` (in this order: a crash between the two leaves
   * the queue over its limits, trimmed on open); the records become visible
   * once persisted.
   */
  #append(
    q: MemQueue,
    start: number,
    payloads: readonly Uint8Array[],
    cut: RetentionCut | undefined,
  ): Promise<AppendOutcome> {
    const writer = this.writer;
    const queues = this.#queues;
    const bytes = writer.layOutAppend(q.nameBytes, start, payloads);
    const file = writer.placedFile;
    const offset = writer.placedOffset;
    for (let i = 0; i < payloads.length; i++) {
      queues.append(q, start + i, payloads[i], file, offset);
    }
    this.#wal.append += bytes;
    q.recordsAppended += payloads.length;
    const truncation = cut && truncateQueue(queues, writer, q, cut.last);
    const last = start + payloads.length - 1;
    if (truncation) {
      return this.#appendedAfter(truncation, q, last, bytes);
    }
    if (this.#delayedSyncMs > 0) writer.syncLater(this.#delayedSyncMs);
    const started = this.counters.appendStarts();
    if (!this.#appendSync && writer.writeNow()) {
      this.counters.acknowledged(started);
      return Promise.resolve(this.#appended(q, last, bytes));
    }
    const committed = writer.commit(this.#appendSync);
    this.counters.waits(committed, started);
    return committed.then(() => this.#appended(q, last, bytes));
  }

  /** Commits an append laid out after `truncation` of its queue. */
  async #appendedAfter(
    truncation: Truncation,
    q: MemQueue,
    last: number,
    bytes: number,
  ): Promise<AppendOutcome> {
    const started = this.counters.appendStarts();
    this.#wal.truncate += truncation.bytes;
    const more = await this.commitLikeAppends(truncation.fileFreed);
    this.#wal.gc += more;
    this.counters.acknowledged(started);
    return this.#appended(q, last, bytes + truncation.bytes + more);
  }

  /** Makes an append's records visible once persisted; its outcome. */
  #appended(q: MemQueue, last: number, walBytesWritten: number): AppendOutcome {
    if (q.visibleNext <= last) q.visibleNext = last + 1;
    this.#queues.coolDown();
    this.#listeners.notify();
    return { lastPosition: last, walBytesWritten };
  }

  /**
   * Truncates queue `q` up to `position` (see `truncate`), deleting the log
   * files no longer needed.
   */
  async truncate(q: MemQueue, position: number): Promise<TruncateOutcome> {
    const { evicted, bytes } = truncateQueue(
      this.#queues,
      this.writer,
      q,
      position,
    );
    const next = q.nextPosition;
    this.#wal.truncate += bytes;
    const more = await collectGarbageAndCommit(
      this.#queues,
      this.writer,
      this.#appendSync,
    );
    this.#wal.gc += more;
    if (q.visibleNext < next) q.visibleNext = next;
    this.#listeners.notify();
    return { evictedRecords: evicted, walBytesWritten: bytes + more };
  }

  /**
   * Writes queue `q`'s new state (consumers, retention), truncates it as
   * they say, and commits: with fsync if `sync`, else as appends are.
   */
  async stateChanged(q: MemQueue, sync: boolean): Promise<WriteOutcome> {
    const writer = this.writer;
    const state = writeQueueState(this.#queues, writer, q);
    const truncation = followQueueState(this.#queues, writer, q);
    this.#wal.queue_state += state;
    this.#wal.truncate += truncation?.bytes ?? 0;
    const gc = sync
      ? await collectGarbageAndCommit(this.#queues, writer, true)
      : await this.commitLikeAppends(truncation?.fileFreed ?? false);
    this.#wal.gc += gc;
    const walBytesWritten = state + (truncation?.bytes ?? 0) + gc;
    if (truncation) this.#listeners.notify();
    return { walBytesWritten };
  }

  /**
   * Commits what is laid out as the persist policy says for appends, with
   * garbage collection if `collect`; returns the bytes that added.
   */
  async commitLikeAppends(collect: boolean): Promise<number> {
    const writer = this.writer;
    if (this.#delayedSyncMs > 0) writer.syncLater(this.#delayedSyncMs);
    if (collect) {
      return await collectGarbageAndCommit(
        this.#queues,
        writer,
        this.#appendSync,
      );
    }
    // As an append: written at once if no commit is pending.
    if (!this.#appendSync && writer.writeNow()) return 0;
    await writer.commit(this.#appendSync);
    return 0;
  }
}
