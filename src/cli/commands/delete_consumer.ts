/**
 * The `delete-consumer` command: a consumer removed from a queue.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { openLog } from "../open_log.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";

/** `delete-consumer DIR QUEUE NAME`. */
export const deleteConsumerCommand: Command = {
  name: "delete-consumer",
  summary: "delete a consumer of a queue",
  description:
    `Deletes consumer NAME of the queue: it no longer holds the queue's records
back (the queue is truncated to the lowest acknowledged position of the
others, if any).`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
    { name: "NAME", description: "the consumer's name" },
  ],
  options: [QUIET_OPTION],
  takesLock: true,
  async run([dir, queue, name], flags): Promise<number> {
    await using log = await openLog(dir, "write", progressWanted(flags));
    await log.deleteConsumer(queue, name);
    return 0;
  },
};
