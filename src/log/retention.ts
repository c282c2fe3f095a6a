/**
 * Retention limits of a queue: at most `maxRecords` records and `maxBytes`
 * payload bytes held. An append that would pass a limit either truncates the
 * oldest records first (`discard: "old"`) or is refused with
 * `RetentionLimitError` (`discard: "new"`); an append that alone passes a
 * limit is refused either way.
 *
 * @module
 */

import { RetentionLimitError } from "../errors.ts";
import { stateOf } from "./consumers.ts";
import type { MemQueue } from "./mem_queue.ts";
import type { RetentionLimits } from "./queue_state.ts";
import { checkStateQueueName } from "./state_queue.ts";

/** The oldest records an append must truncate first: up to `last`, `bytes` payload bytes. */
export interface RetentionCut {
  /** The position of the last record to truncate. */
  last: number;
  /** Their payload bytes. */
  bytes: number;
}

/**
 * Checks the limits given to `setRetention`: `undefined` (no limits), or at
 * least one of `maxRecords` and `maxBytes` (positive safe integers) and
 * `discard`. Returns a copy. Raises `TypeError` or `RangeError`.
 */
export function checkRetention(value: unknown): RetentionLimits | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) {
    throw new TypeError("retention must be an object or undefined");
  }
  const { maxRecords, maxBytes, discard } = value as Record<string, unknown>;
  const limits: RetentionLimits = {
    discard: discard === "old" || discard === "new" ? discard : "old",
  };
  if (discard !== "old" && discard !== "new") {
    throw new RangeError(
      `discard must be "old" or "new", got ${JSON.stringify(discard)}`,
    );
  }
  if (maxRecords !== undefined) {
    limits.maxRecords = checkLimit(maxRecords, "maxRecords");
  }
  if (maxBytes !== undefined) {
    limits.maxBytes = checkLimit(maxBytes, "maxBytes");
  }
  if (maxRecords === undefined && maxBytes === undefined) {
    throw new RangeError(
      "retention needs maxRecords or maxBytes (undefined removes the limits)",
    );
  }
  return limits;
}

/**
 * Gives queue `q` the retention limits `value` (checked as
 * {@linkcode checkRetention} says; `undefined` removes them), in memory.
 */
export function setRetentionLimits(q: MemQueue, value: unknown): void {
  const limits = checkRetention(value);
  if (limits) checkStateQueueName(q);
  stateOf(q).retention = limits;
  if (q.state!.consumers.size === 0 && limits === undefined) {
    q.state = undefined;
  }
}

function checkLimit(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `${name} must be a positive safe integer, got ${value}`,
    );
  }
  return value;
}

/**
 * What an append of `count` records of `bytes` payload bytes to queue `q`,
 * whose limits are `limits`, must truncate first: `undefined` if it fits.
 * Raises `RetentionLimitError` if it does not fit and `q` discards new
 * records, or if it alone passes a limit.
 */
export function retentionCut(
  q: MemQueue,
  limits: RetentionLimits,
  count: number,
  bytes: number,
): RetentionCut | undefined {
  const maxRecords = limits.maxRecords ?? Infinity;
  const maxBytes = limits.maxBytes ?? Infinity;
  const records = q.length + count;
  const held = q.payloadBytes + bytes;
  if (records <= maxRecords && held <= maxBytes) return undefined;
  if (limits.discard === "new" || count > maxRecords || bytes > maxBytes) {
    throw new RetentionLimitError(q.name, limits, records, held);
  }
  return q.shortestPrefix(records - maxRecords, held - maxBytes);
}

/**
 * The records queue `q` must drop to be within its limits now, if it
 * discards old records (after `setRetention` lowered them): `undefined` if
 * none.
 */
export function retentionTrim(q: MemQueue): RetentionCut | undefined {
  const limits = q.state?.retention;
  if (limits === undefined || limits.discard === "new") return undefined;
  return retentionCut(q, limits, 0, 0);
}
