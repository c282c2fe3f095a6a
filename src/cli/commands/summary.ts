/**
 * The `summary` command: a log's queues and files, as text or JSON.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { print } from "../io.ts";
import { openLog } from "../open_log.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";
import { type SummaryJson, summaryJson } from "../../wire/summary_json.ts";

/** `summary DIR [--json]`. */
export const summaryCommand: Command = {
  name: "summary",
  summary: "queues (first and last position, records, bytes) and log files",
  description:
    `Prints each queue with its first and last position, record count and
payload bytes, then the bytes the log files occupy on disk (what
serve --disk-limit counts) and each file's apparent length (a new file is
sized at once, but sparse: it occupies only what was written to it).`,
  args: [{ name: "DIR", description: "the log directory" }],
  options: [
    { name: "json", help: "print the summary as one JSON object" },
    QUIET_OPTION,
  ],
  takesLock: false,
  async run([dir], flags): Promise<number> {
    await using log = await openLog(dir, "snapshot", progressWanted(flags));
    const summary = summaryJson(log);
    await print(
      flags.json ? JSON.stringify(summary) + "\n" : formatSummary(summary),
    );
    return 0;
  },
};

/**
 * The summary as lines of text: one per queue, then the disk use and one
 * line per file.
 */
export function formatSummary(summary: SummaryJson): string {
  const lines: string[] = [];
  const names = Object.keys(summary.queues);
  lines.push(names.length === 0 ? "no queues" : `${names.length} queue(s):`);
  for (const name of names) {
    const q = summary.queues[name];
    const range = q.firstPosition === null
      ? "empty"
      : `positions ${q.firstPosition}..${q.lastPosition}`;
    lines.push(
      `  ${JSON.stringify(name)}: ${range}, ${q.recordCount} record(s), ` +
        `${q.payloadBytes} byte(s), next position ${q.nextPosition}`,
    );
  }
  lines.push(
    `${summary.files.length} log file(s), ${summary.disk.usedBytes} bytes on disk:`,
  );
  for (const file of summary.files) {
    lines.push(`  ${file.name}: ${file.bytes} bytes (apparent length)`);
  }
  if (summary.corruptionsSkippedOnOpen > 0) {
    lines.push(
      `${summary.corruptionsSkippedOnOpen} damaged frame(s) or record(s) skipped on open (run verify)`,
    );
  }
  return lines.join("\n") + "\n";
}
