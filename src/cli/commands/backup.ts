/**
 * The `backup` command: a consistent copy of a log, made beside a running
 * server.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { print } from "../io.ts";
import { checkDirectory } from "../open_log.ts";
import { ProgressLine, progressWanted, QUIET_OPTION } from "../progress.ts";
import { backupLog, type BackupOutcome } from "../../log/backup.ts";

/** `backup DIR DEST [--json]`. */
export const backupCommand: Command = {
  name: "backup",
  summary: "copy a log, consistently, even while a server writes it",
  description:
    `Copies the log in DIR to DEST, which must not exist or be an empty
directory, without taking the log's lock: it works beside a running server.
Every record whose append was acknowledged before the backup started is in
the copy, and a record still being written is left out. The copy is written
next to DEST, synced, then renamed to DEST. To restore, serve or open DEST
(or move it where the log was) while nothing has the log open.`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "DEST", description: "the new directory of the copy" },
  ],
  options: [
    { name: "json", help: "print what was copied as one JSON object" },
    QUIET_OPTION,
  ],
  takesLock: false,
  async run([dir, dest], flags): Promise<number> {
    checkDirectory(dir, false, true);
    const progress = new ProgressLine(
      { label: `backing up ${dir}`, verb: "copied" },
      progressWanted(flags),
    );
    let outcome: BackupOutcome;
    try {
      outcome = await backupLog(dir, dest, {
        onProgress: (done, total) => progress.update(done, total),
      });
    } finally {
      progress.done();
    }
    await print(
      flags.json ? JSON.stringify(outcome) + "\n" : formatBackup(dir, outcome),
    );
    return 0;
  },
};

/** What was copied, in lines of text. */
function formatBackup(dir: string, outcome: BackupOutcome): string {
  const lines = [
    `backed up ${dir} to ${outcome.destDir}: ${outcome.files.length} log file(s), ` +
    `${outcome.bytesCopied} byte(s) of data, ${outcome.logRecords} log record(s), ` +
    `${outcome.queues} queue(s)`,
  ];
  if (outcome.incompleteTailLeftOut) {
    lines.push("a record still being written was left out");
  }
  if (outcome.corruptionCount > 0) {
    lines.push(
      `${outcome.corruptionCount} damaged frame(s) or record(s) of the log copied as they are (run verify)`,
    );
  }
  return lines.join("\n") + "\n";
}
