/**
 * The queue streams of an open log: where `MultiRecordLog.readable` and
 * `MultiRecordLog.writable` check their arguments and hand the log (as the
 * streams' `QueueLog`) to the streams layer's factories.
 *
 * @module
 */

import { LogReadOnlyError } from "../errors.ts";
import type { LogRecordBatch } from "../log_record_batch.ts";
import type { QueueLog } from "../streams/queue_log.ts";
import { createQueueReadable } from "../streams/queue_readable_stream.ts";
import {
  createQueueWritable,
  type QueueWritableOptions,
} from "../streams/queue_writable_stream.ts";
import { consumerStart, findConsumer } from "./consumers.ts";
import type { LogHandle } from "./log_handle.ts";
import type { LogReadableOptions } from "./log_types.ts";
import type { LogRecord } from "./mem_queue.ts";

/**
 * A `ReadableStream` of `queue` in `log` (see `MultiRecordLog.readable`):
 * from `options.from`, or right after the last ack of `options.consumer`;
 * a consumer's stream ends when the consumer is deleted. Raises
 * `MissingConsumerError`, and a `TypeError` given both `from` and `consumer`.
 */
export function openQueueReadable(
  log: QueueLog,
  handle: LogHandle,
  queue: string,
  options?: LogReadableOptions,
): ReadableStream<LogRecord> | ReadableStream<LogRecordBatch> {
  const isCurrent = handle.isCurrent(queue);
  if (options?.consumer === undefined) {
    return createQueueReadable(log, queue, options, isCurrent);
  }
  const { consumer: name, ...rest } = options;
  if (rest.from !== undefined) {
    throw new TypeError("readable takes from or consumer, not both");
  }
  const q = handle.queue(queue);
  const from = consumerStart(q, name);
  const consumer = findConsumer(q, name);
  return createQueueReadable(
    log,
    queue,
    { ...rest, from },
    () => isCurrent() && q.state?.consumers.get(name) === consumer,
  );
}

/**
 * A `WritableStream` into `queue` of `log` (see `MultiRecordLog.writable`).
 * Raises `LogReadOnlyError` on a log opened read-only.
 */
export function openQueueWritable(
  log: QueueLog,
  handle: LogHandle,
  queue: string,
  options?: QueueWritableOptions,
): WritableStream<Uint8Array | Uint8Array[]> {
  const isCurrent = handle.isCurrent(queue);
  if (handle.writes === undefined) throw new LogReadOnlyError();
  return createQueueWritable(log, queue, options, isCurrent);
}
