/**
 * The writes of a queue's state: its consumers, their acks and its
 * retention limits, changed in memory (`consumers.ts`, `retention.ts`) then
 * persisted with the truncation they cause (`LogWrites.stateChanged`). What
 * `MultiRecordLog.createConsumer`, `deleteConsumer`, `ack` and
 * `setRetention` do.
 *
 * @module
 */

import { addConsumer, advanceConsumer, removeConsumer } from "./consumers.ts";
import type { LogHandle } from "./log_handle.ts";
import type { CreateConsumerOptions, WriteOutcome } from "./log_types.ts";
import { NOTHING_WRITTEN } from "./log_writes.ts";
import type { RetentionLimits } from "./queue_state.ts";
import { setRetentionLimits } from "./retention.ts";

/** Adds consumer `name` to `queue`, flushed and fsynced. */
export async function createConsumer(
  log: LogHandle,
  queue: string,
  name: string,
  options?: CreateConsumerOptions,
): Promise<WriteOutcome> {
  const q = log.queue(queue);
  const writes = log.writing();
  addConsumer(q, name, options?.from);
  return await writes.stateChanged(q, true);
}

/** Deletes consumer `name` of `queue`, flushed and fsynced. */
export async function deleteConsumer(
  log: LogHandle,
  queue: string,
  name: string,
): Promise<WriteOutcome> {
  const q = log.queue(queue);
  const writes = log.writing();
  removeConsumer(q, name);
  return await writes.stateChanged(q, true);
}

/**
 * Records consumer `name`'s ack of `queue` up to `position`, persisted as
 * appends are; an ack that does not move it forward writes nothing and
 * resolves once what is laid out is persisted. Errors reject the promise.
 */
export function ackConsumer(
  log: LogHandle,
  queue: string,
  name: string,
  position: number,
): Promise<WriteOutcome> {
  try {
    const q = log.queue(queue);
    const writes = log.writing();
    if (!advanceConsumer(q, name, position)) {
      return writes.commitLikeAppends(false).then(() => NOTHING_WRITTEN);
    }
    return writes.stateChanged(q, false);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Sets (or, with `undefined`, removes) `queue`'s retention limits, flushed and fsynced. */
export async function setRetention(
  log: LogHandle,
  queue: string,
  limits: RetentionLimits | undefined,
): Promise<WriteOutcome> {
  const q = log.queue(queue);
  const writes = log.writing();
  setRetentionLimits(q, limits);
  return await writes.stateChanged(q, true);
}
