/**
 * The `truncate` command: a queue's records up to a position dropped.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { print } from "../io.ts";
import { openLog } from "../open_log.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";
import { parsePosition } from "../options.ts";

/** `truncate DIR QUEUE POSITION`. */
export const truncateCommand: Command = {
  name: "truncate",
  summary: "drop a queue's records up to and including POSITION",
  description:
    `Drops the queue's records at positions up to and including POSITION, and
deletes the log files no longer needed.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
    { name: "POSITION", description: "the last position to drop" },
  ],
  options: [QUIET_OPTION],
  takesLock: true,
  async run([dir, queue, text], flags): Promise<number> {
    const position = parsePosition(text, "POSITION");
    await using log = await openLog(dir, "write", progressWanted(flags));
    const { evictedRecords } = await log.truncate(queue, position);
    await print(`${evictedRecords} record(s) dropped\n`);
    return 0;
  },
};
