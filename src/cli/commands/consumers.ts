/**
 * The `consumers` command: a queue's consumers, their acks and lag.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { print } from "../io.ts";
import { openLog } from "../open_log.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";
import type { ConsumerSummary } from "../../log/consumers.ts";

/** `consumers DIR QUEUE [--json]`. */
export const consumersCommand: Command = {
  name: "consumers",
  summary: "a queue's consumers: last acknowledged position and lag",
  description:
    `Prints each consumer of the queue with the last position it acknowledged
and its lag (records held after it), from a snapshot of the log.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
  ],
  options: [
    {
      name: "json",
      help:
        `print one JSON array of {"name","acked","lag"} (acked null if none)`,
    },
    QUIET_OPTION,
  ],
  takesLock: false,
  async run([dir, queue], flags): Promise<number> {
    await using log = await openLog(dir, "snapshot", progressWanted(flags));
    const consumers = log.listConsumers(queue);
    await print(
      flags.json
        ? JSON.stringify(
          consumers.map((c) => ({ ...c, acked: c.acked ?? null })),
        ) + "\n"
        : formatConsumers(consumers),
    );
    return 0;
  },
};

/** The consumers as lines of text. */
export function formatConsumers(consumers: ConsumerSummary[]): string {
  if (consumers.length === 0) return "no consumers\n";
  return consumers.map((c) =>
    `${JSON.stringify(c.name)}: ${
      c.acked === undefined ? "nothing acknowledged" : `acked ${c.acked}`
    }, lag ${c.lag}\n`
  ).join("");
}
