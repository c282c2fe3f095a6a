/**
 * Consumers: durable named cursors of a queue. Each has the first position it
 * reads (`from`) and the last position it acknowledged (`acked`); a queue
 * whose consumers have all acknowledged something is truncated to the lowest
 * of their acks. These functions change `q.state` in memory and check their
 * arguments before changing anything; `queue_state_writes.ts` then writes the
 * state (`state_queue.ts`) and follows the truncation.
 *
 * @module
 */

import { checkConsumerName, checkPosition } from "../arguments.ts";
import { ConsumerAlreadyExistsError, MissingConsumerError } from "../errors.ts";
import type { MemQueue } from "./mem_queue.ts";
import type { ConsumerState, QueueState } from "./queue_state.ts";
import { checkStateQueueName } from "./state_queue.ts";

/** One consumer in {@linkcode MultiRecordLog.listConsumers}. */
export interface ConsumerSummary {
  /** The consumer's name. */
  name: string;
  /** The last position it acknowledged, or `undefined` if none yet. */
  acked: number | undefined;
  /** Records held after its position (that it has yet to process). */
  lag: number;
}

/**
 * Adds consumer `name` to queue `q`, reading from `from` (default: the
 * queue's first record held, or its next position if it is empty). Raises
 * `ConsumerAlreadyExistsError`.
 */
export function addConsumer(
  q: MemQueue,
  name: unknown,
  from: unknown,
): void {
  const consumer = checkConsumerName(name);
  const start = from === undefined
    ? q.firstPosition ?? q.nextPosition
    : checkPosition(from, "from");
  checkStateQueueName(q);
  if (q.state?.consumers.has(consumer)) {
    throw new ConsumerAlreadyExistsError(q.name, consumer);
  }
  stateOf(q).consumers.set(consumer, { from: start, acked: undefined });
}

/** Removes consumer `name` from queue `q`. Raises `MissingConsumerError`. */
export function removeConsumer(q: MemQueue, name: unknown): void {
  const consumer = checkConsumerName(name);
  findConsumer(q, consumer);
  const state = q.state!;
  state.consumers.delete(consumer);
  if (state.consumers.size === 0 && state.retention === undefined) {
    q.state = undefined;
  }
}

/**
 * Moves consumer `name` of queue `q` forward to `position`. Returns `false`,
 * changing nothing, if its position is already there or past it. Raises
 * `MissingConsumerError`, and `RangeError` for a position past the queue's
 * last.
 */
export function advanceConsumer(
  q: MemQueue,
  name: unknown,
  position: unknown,
): boolean {
  const consumer = findConsumer(q, checkConsumerName(name));
  const at = checkPosition(position, "position");
  if (at >= q.visibleNext) {
    throw new RangeError(
      `position ${at} is past the last position of queue ${
        JSON.stringify(q.name)
      } (${q.visibleNext > 0 ? q.visibleNext - 1 : "none"})`,
    );
  }
  if (at <= (consumer.acked ?? consumer.from - 1)) return false;
  consumer.acked = at;
  return true;
}

/** The position consumer `name` of queue `q` reads next. Raises `MissingConsumerError`. */
export function consumerStart(q: MemQueue, name: unknown): number {
  const consumer = findConsumer(q, checkConsumerName(name));
  return consumer.acked === undefined ? consumer.from : consumer.acked + 1;
}

/** Consumer `name` of queue `q`. Raises `MissingConsumerError`. */
export function findConsumer(q: MemQueue, name: string): ConsumerState {
  const consumer = q.state?.consumers.get(name);
  if (consumer === undefined) throw new MissingConsumerError(q.name, name);
  return consumer;
}

/** The consumers of queue `q`, in name order (UTF-16 code units). */
export function listConsumers(q: MemQueue): ConsumerSummary[] {
  const consumers = [...q.state?.consumers ?? []]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return consumers.map(([name, c]) => ({
    name,
    acked: c.acked,
    lag: q.visibleCountFrom(c.acked === undefined ? c.from : c.acked + 1),
  }));
}

/**
 * The position queue `q` is truncated to by its consumers: the lowest of
 * their acks, or `undefined` if it has none or one of them acknowledged
 * nothing yet (it may still read everything from its `from`).
 */
export function consumersFloor(q: MemQueue): number | undefined {
  const consumers = q.state?.consumers;
  if (consumers === undefined || consumers.size === 0) return undefined;
  let floor = Infinity;
  for (const { acked } of consumers.values()) {
    if (acked === undefined) return undefined;
    if (acked < floor) floor = acked;
  }
  return floor;
}

/**
 * After the queue's records were read back on open: an ack past the
 * queue's last position (records lost in a power loss under a policy that
 * does not fsync) is brought back to it, so that the consumer reads the
 * records appended there next. Returns whether an ack changed.
 */
export function clampConsumers(q: MemQueue): boolean {
  let changed = false;
  for (const consumer of q.state?.consumers.values() ?? []) {
    if (consumer.acked !== undefined && consumer.acked >= q.nextPosition) {
      const last = q.nextPosition - 1;
      consumer.acked = last >= consumer.from ? last : undefined;
      changed = true;
    }
  }
  return changed;
}

/** `q.state`, created empty if missing. */
export function stateOf(q: MemQueue): QueueState {
  return q.state ??= { consumers: new Map(), retention: undefined };
}
