/**
 * Records read from a queue in batches (`log.rangeBatches`,
 * `log.readable(queue, { batch: true })`).
 *
 * @module
 */

import type { LogRecord } from "./log_record.ts";

/**
 * Consecutive records of a queue, in position order, without an object per
 * record: record `i` is at position `positions[i]`, and its payload is
 * `bytes.subarray(starts[i], starts[i] + lengths[i])`. Every array has the
 * same length (1 or more). The arrays and `bytes` are views of memory that
 * never changes once handed out (the log's memory for records in memory, a
 * copy for records read back from the log files); do not write to them.
 *
 * @example Count a queue's payload bytes
 * ```ts ignore
 * let total = 0;
 * for (const batch of log.rangeBatches("q")) {
 *   for (let i = 0; i < batch.positions.length; i++) total += batch.lengths[i];
 * }
 * ```
 */
export interface LogRecordBatch {
  /** The records' positions, ascending. */
  readonly positions: Float64Array;
  /** The bytes the payloads are in (other bytes too). */
  readonly bytes: Uint8Array;
  /** Where each record's payload starts in `bytes`. */
  readonly starts: Uint32Array;
  /** Each record's payload length. */
  readonly lengths: Uint32Array;
}

/**
 * The records of `batch`, one `LogRecord` each (payloads are views of
 * `batch.bytes`, not copies).
 *
 * @example
 * ```ts ignore
 * for (const batch of log.rangeBatches("q")) {
 *   for (const { position, payload } of batchRecords(batch)) console.log(position, payload.length);
 * }
 * ```
 */
export function batchRecords(batch: LogRecordBatch): LogRecord[] {
  const { positions, bytes, starts, lengths } = batch;
  const records: LogRecord[] = new Array(positions.length);
  for (let i = 0; i < positions.length; i++) {
    records[i] = {
      position: positions[i],
      payload: bytes.subarray(starts[i], starts[i] + lengths[i]),
    };
  }
  return records;
}
