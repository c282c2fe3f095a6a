/**
 * The `delete` command: a queue and all its records.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { openLog } from "../open_log.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";

/** `delete DIR QUEUE`. */
export const deleteCommand: Command = {
  name: "delete",
  summary: "delete a queue and its records",
  description: "Deletes a queue and all its records.",
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
  ],
  options: [QUIET_OPTION],
  takesLock: true,
  async run([dir, queue], flags): Promise<number> {
    await using log = await openLog(dir, "write", progressWanted(flags));
    await log.deleteQueue(queue);
    return 0;
  },
};
