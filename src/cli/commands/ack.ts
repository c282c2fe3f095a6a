/**
 * The `ack` command: a consumer's position moved forward.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { openLog } from "../open_log.ts";
import { parsePosition } from "../options.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";

/** `ack DIR QUEUE NAME POSITION`. */
export const ackCommand: Command = {
  name: "ack",
  summary: "acknowledge a queue's records up to POSITION for a consumer",
  description:
    `Records that consumer NAME processed the queue's records up to and
including POSITION (an older position changes nothing), and truncates the
queue to the lowest acknowledged position of its consumers.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
    { name: "NAME", description: "the consumer's name" },
    { name: "POSITION", description: "the last position processed" },
  ],
  options: [QUIET_OPTION],
  takesLock: true,
  async run([dir, queue, name, text], flags): Promise<number> {
    const position = parsePosition(text, "POSITION");
    await using log = await openLog(dir, "write", progressWanted(flags));
    await log.ack(queue, name, position);
    return 0;
  },
};
