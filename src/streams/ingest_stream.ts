/**
 * Appending the records of a byte stream to a queue as they arrive, in
 * batches, counting what was persisted: the core of the command line's
 * `append` (a stream of any length; a failure leaves the batches before it
 * stored). The HTTP server appends each request whole instead.
 *
 * @module
 */

import { RecordBatchStream } from "./record_batch_stream.ts";
import type { QueueWritableOptions } from "./queue_writable_stream.ts";

/**
 * What {@linkcode ingestStream} needs of a log (a `MultiRecordLog` has it):
 * a queue's writable stream, and the memory limit to size batches by.
 */
export interface IngestLog {
  /** Retained bytes past which appends wait (`Infinity` if none). */
  readonly memoryLimitBytes: number;
  /** A `WritableStream` into the queue, as `MultiRecordLog.writable`. */
  writable(
    queue: string,
    options?: QueueWritableOptions,
  ): WritableStream<Uint8Array | Uint8Array[]>;
}

/** What {@linkcode ingestStream} persisted. */
export interface IngestOutcome {
  /** The position of the first record, or `null` if none. */
  firstPosition: number | null;
  /** The position of the last record, or `null` if none. */
  lastPosition: number | null;
  /** Records persisted (with `position`: also those found already there). */
  count: number;
}

/** Options of {@linkcode ingestStream}. */
export interface IngestStreamOptions {
  /** Splits the bytes into records, e.g. a `LineSplitStream`. */
  framing: TransformStream<Uint8Array, Uint8Array>;
  /**
   * The position of the first record. Records already in the queue with the
   * same bytes are skipped (see `MultiRecordLog.writable`), so a retry is safe.
   */
  position?: number;
  /** How long to wait for memory before failing with `MemoryLimitError`. */
  memoryWaitTimeoutMs?: number;
  /** Stops the ingest when aborted. */
  signal?: AbortSignal;
}

/**
 * Pipes `input` through `options.framing` and a `RecordBatchStream` into the
 * queue's writable stream (each batch one atomic append, persisted as the
 * log's policy says), counting the records persisted. Never rejects: a
 * failure is returned as `error`, with what was persisted before it. The
 * positions are those the appends reported: the first record's and the last
 * one's (records of other appends to the queue may lie between).
 *
 * @example
 * ```ts ignore
 * const { outcome, error } = await ingestStream(log, "q", body, {
 *   framing: new LineSplitStream(),
 * });
 * ```
 */
export async function ingestStream(
  log: IngestLog,
  queue: string,
  input: ReadableStream<Uint8Array>,
  options: IngestStreamOptions,
): Promise<{ outcome: IngestOutcome; error?: unknown }> {
  let first: number | null = null;
  let last: number | null = null;
  let persisted = 0;
  let error: unknown;
  try {
    const writer = log.writable(queue, {
      position: options.position,
      memoryWaitTimeoutMs: options.memoryWaitTimeoutMs,
      onPersisted(firstPosition, lastPosition) {
        first ??= firstPosition;
        last = lastPosition;
        persisted += lastPosition - firstPosition + 1;
      },
    }).getWriter();
    const counted = new WritableStream<Uint8Array[]>({
      write: (batch) => writer.write(batch),
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason),
    });
    await input
      .pipeThrough(options.framing)
      .pipeThrough(new RecordBatchStream({ maxBytes: batchBytes(log) }))
      .pipeTo(counted, { signal: options.signal });
  } catch (caught) {
    error = caught ?? new Error("The ingest failed");
    if (!input.locked) input.cancel(error).catch(() => {});
  }
  const outcome = {
    firstPosition: first,
    lastPosition: last,
    count: persisted,
  };
  return error === undefined ? { outcome } : { outcome, error };
}

/** Batches of at most 1 MiB, and well below the memory limit. */
function batchBytes(log: IngestLog): number {
  const limit = log.memoryLimitBytes;
  return Math.max(1, Math.min(1024 * 1024, Math.floor(limit / 8)));
}
