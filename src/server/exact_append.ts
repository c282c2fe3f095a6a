/**
 * Where an append request's records go, by the server's retry rule: with
 * `?position=N`, the records the queue already holds at N.. with the same
 * bytes are not written again; anything else below the queue's next
 * position is a conflict.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { LogRecord } from "../log/mem_queue.ts";
import { HttpError } from "./http_error.ts";

/** What {@linkcode planAppend} reads of a log (a `MultiRecordLog` has it). */
export interface StoredRecords {
  /** The queue's last position, `undefined` if it never advanced. */
  lastPosition(queue: string): number | undefined;
  /** The queue's records from `from` to `to`, both inclusive. */
  range(queue: string, options: { from: number; to: number }): Iterable<
    LogRecord
  >;
}

/** Where the records of a request go. */
export interface AppendPlan {
  /**
   * The position of the request's first record, `undefined` if none was
   * asked (the records go at the queue's next position).
   */
  first: number | undefined;
  /**
   * How many of the first records are stored already (at `first`…): the
   * rest are to be appended at `first + skip`, the queue's next position or
   * past it.
   */
  skip: number;
}

/**
 * The plan of appending `records` to `queue` at `position` (or at the
 * queue's next position, `undefined`), where `next` is the queue's next
 * position (its last position + 1, or 0):
 *
 * - no position, or `position >= next`: all records, at `position` (a
 *   position past `next` leaves a gap, as the library allows);
 * - `position < next`: each record `i` with `position + i < next` must be
 *   stored at `position + i` with the same bytes; the rest go at `next`.
 *   A different byte, or no record there (a gap, or truncated away), is a
 *   409 `PositionInPastError` with `nextPosition`.
 *
 * A request without records is planned as is (nothing to check or write).
 * Raises 400 `BadPosition` if the last record's position would pass
 * 2^53 − 1. Reads only: call it and append in the same turn of the queue.
 */
export function planAppend(
  log: StoredRecords,
  queue: string,
  position: number | undefined,
  records: readonly Uint8Array[],
): AppendPlan {
  // Raises MissingQueueError or LogClosedError, with or without records.
  const last = log.lastPosition(queue);
  // No record: nothing to check, nothing to write, at any position.
  if (records.length === 0) return { first: position, skip: 0 };
  const next = (last ?? -1) + 1;
  const first = position ?? next;
  if (first > Number.MAX_SAFE_INTEGER - (records.length - 1)) {
    throw new HttpError(
      400,
      "BadPosition",
      `The last of ${records.length} records from position ${first} would pass 2^53 - 1`,
    );
  }
  if (first >= next) return { first: position, skip: 0 };
  const skip = Math.min(records.length, next - first);
  let expected = first;
  for (
    const stored of log.range(queue, { from: first, to: first + skip - 1 })
  ) {
    if (stored.position !== expected) break;
    if (!sameBytes(stored.payload, records[expected - first])) {
      throw conflict(
        `Record ${
          expected - first
        } of the request differs from the record stored at position ${expected}`,
        next,
      );
    }
    expected++;
  }
  if (expected < first + skip) {
    throw conflict(
      `Position ${expected} holds no record (truncated, or in a gap)`,
      next,
    );
  }
  return { first, skip };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

function conflict(reason: string, next: number): HttpError {
  return new HttpError(
    409,
    "PositionInPastError",
    `${reason}: nothing was written; the next position is ${next}`,
    { fields: { nextPosition: next } },
  );
}
