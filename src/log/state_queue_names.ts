/**
 * The names the log reserves for its own queues. Queue names starting with
 * U+0000 (NUL) are refused for user queues: no queue name used in practice
 * starts with a control character, and the Rust crate sees these queues as
 * ordinary ones. The state of a user queue's consumers and retention limits
 * lives in the queue {@linkcode STATE_QUEUE_PREFIX} + the user queue's name.
 * (The refusal itself is `isReservedQueueName` in `src/arguments.ts`.)
 *
 * @module
 */

/** The prefix of the queues holding a user queue's consumers and retention. */
export const STATE_QUEUE_PREFIX = "\u0000mrecordlog/state/";

/** The name of the queue holding the consumers and retention of user queue `queue`. */
export function stateQueueName(queue: string): string {
  return STATE_QUEUE_PREFIX + queue;
}

/** True if `name` is the name of a state queue. */
export function isStateQueueName(name: string): boolean {
  return name.charCodeAt(0) === 0 && name.startsWith(STATE_QUEUE_PREFIX);
}

/** The user queue whose state queue is `name` (a state queue's name). */
export function userQueueOf(name: string): string {
  return name.slice(STATE_QUEUE_PREFIX.length);
}
