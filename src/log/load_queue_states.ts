/**
 * On open: the consumers and retention limits of every user queue, read from
 * the last record of its state queue (see `state_queue.ts`), which recovery
 * read back with every other record.
 *
 * @module
 */

import { clampConsumers } from "./consumers.ts";
import type { LogWriter } from "./log_writer.ts";
import type { MemQueue } from "./mem_queue.ts";
import type { MemQueues } from "./mem_queues.ts";
import { decodeQueueState } from "./queue_state.ts";
import { followQueueState, truncateQueue } from "./queue_truncation.ts";
import { deleteStateQueue, writeQueueState } from "./state_queue.ts";
import { userQueueOf } from "./state_queue_names.ts";

/**
 * Gives each user queue the state its state queue holds. With a `writer`
 * (not read-only), also repairs what a crash may have left: a state queue
 * whose user queue is gone is deleted; an ack past its queue's last
 * position (records lost with power) is brought back to it; a queue that
 * holds records its consumers all acknowledged, or more than its retention
 * limits, is truncated; a state queue holding more than its last record is
 * truncated. An unreadable state record is skipped with a warning.
 */
export function loadQueueStates(
  queues: MemQueues,
  writer: LogWriter | undefined,
  warn: (message: string) => void,
): void {
  for (const store of queues.sorted(true)) {
    if (!store.internal) continue;
    const user = queues.get(userQueueOf(store.name));
    const last = store.lastVisible();
    if (user === undefined || user.internal || last === undefined) {
      if (writer) deleteStateQueue(queues, writer, store);
      continue;
    }
    // A crash between a state record and the truncation of the one before.
    if (writer && store.length > 1) {
      truncateQueue(queues, writer, store, last.position - 1);
    }
    try {
      user.state = decodeQueueState(last.payload);
    } catch (error) {
      warn(
        `mrecordlog: the consumers and retention of queue ${
          JSON.stringify(user.name)
        } are unreadable (${(error as Error).message}); ignored`,
      );
      continue;
    }
    if (writer) repair(queues, writer, user);
  }
}

function repair(queues: MemQueues, writer: LogWriter, user: MemQueue): void {
  const state = user.state!;
  const empty = state.consumers.size === 0 && state.retention === undefined;
  if (empty) user.state = undefined;
  if (clampConsumers(user) || empty) writeQueueState(queues, writer, user);
  followQueueState(queues, writer, user);
}
