/**
 * Truncating a user queue: by `truncate`, by its consumers' acks, and by its
 * retention limits. Each lays out a Truncate record and drops the records
 * from memory; whether a log file may have become free tells the caller to
 * collect garbage.
 *
 * @module
 */

import { RecordKind } from "../format/record.ts";
import { consumersFloor } from "./consumers.ts";
import type { LogWriter } from "./log_writer.ts";
import type { MemQueue } from "./mem_queue.ts";
import type { MemQueues } from "./mem_queues.ts";
import { retentionTrim } from "./retention.ts";

/** What {@linkcode truncateQueue} did. */
export interface Truncation {
  /** Records dropped. */
  evicted: number;
  /** Bytes laid out (the Truncate record). */
  bytes: number;
  /** The queue's first record moved to a later file (or it is now empty): a file may be free. */
  fileFreed: boolean;
}

/**
 * Drops queue `q`'s records at positions up to and including `position`
 * and lays out the Truncate record.
 */
export function truncateQueue(
  queues: MemQueues,
  writer: LogWriter,
  q: MemQueue,
  position: number,
): Truncation {
  const firstFile = q.firstFileNumber;
  const evicted = queues.truncate(q, position);
  const bytes = writer.addControl(RecordKind.Truncate, q.nameBytes, position)
    .bytes;
  return { evicted, bytes, fileFreed: q.firstFileNumber !== firstFile };
}

/**
 * Truncates queue `q` as far as its state says, if that drops records: to
 * the lowest ack of its consumers, and to its retention limits if it
 * discards old records. Returns `undefined` if nothing is dropped.
 */
export function followQueueState(
  queues: MemQueues,
  writer: LogWriter,
  q: MemQueue,
): Truncation | undefined {
  const first = q.firstPosition;
  if (first === undefined) return undefined;
  const floor = Math.max(
    consumersFloor(q) ?? -1,
    retentionTrim(q)?.last ?? -1,
  );
  if (floor < first) return undefined;
  return truncateQueue(queues, writer, q, floor);
}
