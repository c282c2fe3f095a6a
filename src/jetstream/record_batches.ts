/**
 * Records read in batches: once one record is in hand, the records the
 * stream already holds are taken with it, without waiting for more. The
 * forwarder publishes a batch in one synchronous run, so that the NATS
 * client writes it to the socket at once: the client flushes in a microtask
 * after the first publish into its empty buffer, so a publish after each
 * `await reader.read()` would cost one socket write per record.
 *
 * @module
 */

import type { LogRecord } from "../log/mem_queue.ts";

/** The next batch of at most `max` records (at least one), or `undefined` once the stream ended. */
export type NextBatch = (max: number) => Promise<LogRecord[] | undefined>;

/**
 * Batches of the records `reader` gives: each call waits for one record,
 * then takes those that arrive before the next macrotask (what the stream
 * holds, or pulls from the log at once), up to `max`.
 */
export function recordBatches(
  reader: ReadableStreamDefaultReader<LogRecord>,
): NextBatch {
  let pending: Promise<ReadableStreamReadResult<LogRecord>> | undefined;
  let ended = false;
  return async (max) => {
    if (ended) return undefined;
    const first = await (pending ?? reader.read());
    pending = undefined;
    if (first.done) {
      ended = true;
      return undefined;
    }
    const batch = [first.value];
    const idle = new Promise<undefined>((resolve) =>
      setTimeout(() => resolve(undefined), 0)
    );
    while (batch.length < max) {
      const read = reader.read();
      const result = await Promise.race([read, idle]);
      if (result === undefined) {
        pending = read; // The next batch starts with it.
        break;
      }
      if (result.done) {
        ended = true;
        break;
      }
      batch.push(result.value);
    }
    return batch;
  };
}
