/**
 * What the queue streams need of a log: the few methods they call.
 * `MultiRecordLog` has them all, so it passes itself to the stream factories;
 * the streams never import the log's class (no import cycle between them).
 *
 * @module
 */

import type { LogRecord } from "../log_record.ts";
import type { LogRecordBatch } from "../log_record_batch.ts";

/**
 * The part of a log the queue streams use: reading a queue
 * (`createQueueReadable`) needs `lastPosition`, `range`, `rangeBatches` and
 * `onChange`;
 * appending to one (`createQueueWritable`) needs all of it.
 */
export interface QueueLog {
  /** True once the log was closed. */
  readonly closed: boolean;
  /** Retained payload bytes, all queues together. */
  readonly retainedBytes: number;
  /** Retained bytes past which appends reject with `MemoryLimitError` (`Infinity` if none). */
  readonly memoryLimitBytes: number;
  /** The last position of the queue, or `undefined` if it never advanced. */
  lastPosition(queue: string): number | undefined;
  /** The queue's records from `from` to `to` (both inclusive), in position order. */
  range(
    queue: string,
    options?: { from?: number; to?: number },
  ): Iterable<LogRecord>;
  /** The same records as `range`, in batches. */
  rangeBatches(
    queue: string,
    options?: { from?: number; to?: number },
  ): Iterable<LogRecordBatch>;
  /** Calls `listener` after every change readers may care about; returns its removal. */
  onChange(listener: () => void): () => void;
  /** Waits until everything appended so far is written or fsynced. */
  persist(action: "flush" | "fsync"): Promise<void>;
  /** Appends records atomically; resolves with the last position appended, if any. */
  appendRecords(
    queue: string,
    position: number | undefined,
    payloads: readonly Uint8Array[],
  ): Promise<{ lastPosition: number | undefined }>;
}
