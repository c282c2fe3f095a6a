/**
 * State queues: a user queue's consumers and retention limits are stored in
 * the log itself, as records of a queue of a reserved name (see
 * `state_queue_names.ts`), one per user queue that has any. Each change
 * appends the whole state as a new record (see `queue_state.ts`) and
 * truncates the record before it, so a state queue holds one record: acks
 * share the log's writes and fsyncs with appends (group commit), and survive
 * a crash exactly as appends do. Before log files are deleted, a state
 * queue's record in one of them is written again.
 *
 * @module
 */

import { MAX_QUEUE_NAME_BYTES } from "../arguments.ts";
import { RecordKind } from "../format/record.ts";
import type { LogWriter } from "./log_writer.ts";
import type { MemQueue } from "./mem_queue.ts";
import type { MemQueues } from "./mem_queues.ts";
import { encodeQueueState } from "./queue_state.ts";
import { STATE_QUEUE_PREFIX, stateQueueName } from "./state_queue_names.ts";

const encoder = new TextEncoder();
const PREFIX_BYTES = encoder.encode(STATE_QUEUE_PREFIX).length;

/**
 * Raises `RangeError` if user queue `q`'s name is too long for a state
 * queue (the prefix and the name must fit in 65,535 bytes).
 */
export function checkStateQueueName(q: MemQueue): void {
  if (PREFIX_BYTES + q.nameBytes.length > MAX_QUEUE_NAME_BYTES) {
    throw new RangeError(
      `queue names longer than ${
        MAX_QUEUE_NAME_BYTES - PREFIX_BYTES
      } UTF-8 bytes cannot have consumers or retention limits`,
    );
  }
}

/**
 * Lays out user queue `q`'s state (`q.state`) as the record of its state
 * queue, creating the queue if missing, or deletes the state queue if
 * `q.state` is `undefined`. Returns the bytes laid out.
 */
export function writeQueueState(
  queues: MemQueues,
  writer: LogWriter,
  q: MemQueue,
): number {
  const name = stateQueueName(q.name);
  const store = queues.get(name);
  if (q.state === undefined) {
    return store === undefined ? 0 : deleteStateQueue(queues, writer, store);
  }
  const payload = encodeQueueState(q.state);
  return replaceRecord(
    queues,
    writer,
    store ?? queues.create(name, encoder.encode(name)),
    payload,
  );
}

/** Lays out the deletion of state queue `store`; returns the bytes laid out. */
export function deleteStateQueue(
  queues: MemQueues,
  writer: LogWriter,
  store: MemQueue,
): number {
  queues.delete(store.name);
  return writer.addControl(
    RecordKind.DeleteQueue,
    store.nameBytes,
    store.nextPosition,
  ).bytes;
}

/**
 * Lays out the last record of state queue `store` again, at its next
 * position, and the truncation of the one before (garbage collection, before
 * the file holding it is deleted). Returns the bytes laid out.
 */
export function rewriteStateRecord(
  queues: MemQueues,
  writer: LogWriter,
  store: MemQueue,
): number {
  const last = store.lastVisible();
  return last === undefined
    ? 0
    : replaceRecord(queues, writer, store, last.payload);
}

/**
 * Appends `payload` to state queue `store` and truncates every record
 * before it (the append first: a crash between the two leaves both, and the
 * last one counts). Returns the bytes laid out.
 */
function replaceRecord(
  queues: MemQueues,
  writer: LogWriter,
  store: MemQueue,
  payload: Uint8Array,
): number {
  const position = store.nextPosition;
  const placed = writer.addAppend(store.nameBytes, position, [payload]);
  queues.append(store, position, payload, placed.fileNumber);
  store.visibleNext = position + 1;
  if (store.length === 1) return placed.bytes;
  queues.truncate(store, position - 1);
  return placed.bytes +
    writer.addControl(RecordKind.Truncate, store.nameBytes, position - 1)
      .bytes;
}
