/**
 * The `retention` command: a queue's retention limits, shown or set.
 *
 * @module
 */

import type { Command, Flags } from "../command.ts";
import { print } from "../io.ts";
import { openLog } from "../open_log.ts";
import { byteSizeFlag, stringFlag, UsageError } from "../options.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";
import type { RetentionLimits } from "../../log/queue_state.ts";
import { parsePositionText } from "../../wire/position_text.ts";

/** `retention DIR QUEUE [--max-records N] [--max-bytes B] [--discard old|new] [--clear]`. */
export const retentionCommand: Command = {
  name: "retention",
  summary: "show or set a queue's retention limits",
  description:
    `Without options, prints the queue's retention limits. With --max-records
or --max-bytes, sets them: an append that would pass one truncates the
oldest records first (--discard old, the default) or is refused (--discard
new). --clear removes them.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
  ],
  options: [
    { name: "max-records", value: "N", help: "the most records held" },
    {
      name: "max-bytes",
      value: "B",
      help: "the most payload bytes held (e.g. 1073741824 or 1GiB)",
    },
    {
      name: "discard",
      value: "WHICH",
      help: "old (default): truncate the oldest records; new: refuse appends",
    },
    { name: "clear", help: "remove the queue's limits" },
    QUIET_OPTION,
  ],
  takesLock: true,
  async run([dir, queue], flags): Promise<number> {
    const change = parseRetentionFlags(flags);
    await using log = await openLog(dir, "write", progressWanted(flags));
    if (change !== "show") await log.setRetention(queue, change);
    await print(formatRetention(log.retention(queue)));
    return 0;
  },
};

/** What the flags ask for: show the limits, set them, or remove them (`undefined`). */
export function parseRetentionFlags(
  flags: Flags,
): "show" | RetentionLimits | undefined {
  const records = stringFlag(flags, "max-records");
  const maxRecords = records === undefined
    ? undefined
    : positiveCount(records, "--max-records");
  const maxBytes = byteSizeFlag(flags, "max-bytes");
  const discard = stringFlag(flags, "discard") ?? "old";
  if (discard !== "old" && discard !== "new") {
    throw new UsageError(
      `--discard must be old or new, got ${JSON.stringify(discard)}`,
    );
  }
  const limited = maxRecords !== undefined || maxBytes !== undefined;
  if (flags.clear === true) {
    if (limited) {
      throw new UsageError("--clear takes no --max-records or --max-bytes");
    }
    return undefined;
  }
  if (!limited) {
    if (flags.discard !== undefined) {
      throw new UsageError("--discard needs --max-records or --max-bytes");
    }
    return "show";
  }
  return { maxRecords, maxBytes, discard };
}

function positiveCount(text: string, name: string): number {
  let value: number;
  try {
    value = parsePositionText(text, name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (value === 0) throw new UsageError(`${name} must be at least 1`);
  return value;
}

/** The limits as one line of text. */
export function formatRetention(limits: RetentionLimits | undefined): string {
  if (limits === undefined) return "no retention limits\n";
  const parts = [];
  if (limits.maxRecords !== undefined) {
    parts.push(`at most ${limits.maxRecords} records`);
  }
  if (limits.maxBytes !== undefined) {
    parts.push(`at most ${limits.maxBytes} payload bytes`);
  }
  const discard = limits.discard === "old"
    ? "the oldest records are truncated to make room"
    : "appends past a limit are refused";
  return `${parts.join(", ")}; ${discard}\n`;
}
