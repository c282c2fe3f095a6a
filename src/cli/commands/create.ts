/**
 * The `create` command: a new, empty queue.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { openLog } from "../open_log.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";

/** `create DIR QUEUE`. */
export const createCommand: Command = {
  name: "create",
  summary: "create a queue",
  description:
    "Creates an empty queue (and the log directory if it does not exist).",
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
  ],
  options: [QUIET_OPTION],
  takesLock: true,
  async run([dir, queue], flags): Promise<number> {
    await using log = await openLog(dir, "create", progressWanted(flags));
    await log.createQueue(queue);
    return 0;
  },
};
