import type { LogRecordBatch } from "../log_record_batch.ts";
import type { MemQueue } from "./mem_queue.ts";

/** The most records in a batch. */
export const MAX_BATCH_RECORDS = 4096;

/**
 * The visible records of `queue` from `from` to `to` (both inclusive), in
 * batches (see `MemQueue.batch`): each `next()` looks the queue up again, so
 * the iteration sees truncations made meanwhile (truncated records are
 * skipped). A `CorruptionError` ends it. Written by hand: a generator costs
 * more per step.
 */
export function rangeBatches(
  queue: MemQueue,
  from: number,
  to: number,
): IterableIterator<LogRecordBatch> {
  let cursor = from;
  let done = false;
  const finished: IteratorResult<LogRecordBatch> = {
    done: true,
    value: undefined,
  };
  const iterator: IterableIterator<LogRecordBatch> = {
    next(): IteratorResult<LogRecordBatch> {
      if (done) return finished;
      let batch;
      try {
        batch = queue.batch(cursor, to, MAX_BATCH_RECORDS);
      } catch (error) {
        done = true;
        throw error;
      }
      if (batch === undefined) {
        done = true;
        return finished;
      }
      cursor = batch.positions[batch.positions.length - 1] + 1;
      return { done: false, value: batch };
    },
    return(): IteratorResult<LogRecordBatch> {
      done = true;
      return finished;
    },
    [Symbol.iterator]: () => iterator,
  };
  return iterator;
}
