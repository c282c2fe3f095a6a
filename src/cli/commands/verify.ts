/**
 * The `verify` command: every frame of every log file checked, read-only,
 * with a report as text or JSON.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { print } from "../io.ts";
import { checkDirectory } from "../open_log.ts";
import { ProgressLine, progressWanted, QUIET_OPTION } from "../progress.ts";
import {
  type BlockReport,
  type FileReport,
  verifyLog,
  type VerifyReport,
} from "../../log/verify_log.ts";

/** `verify DIR [--json]`: exit code 0 when intact, 1 on corruption, 2 on any other error. */
export const verifyCommand: Command = {
  name: "verify",
  summary: "check every frame of every log file, read-only",
  description:
    `Reads every frame of every log file and reports per file and per 32 KiB
block what is intact and what is corrupted: bad checksums, frame types or
lengths, records that do not decode, and data that readers never reach.
Exit code 0 when intact, 1 when corruption is found, 2 on any other error.`,
  args: [{ name: "DIR", description: "the log directory" }],
  options: [
    { name: "json", help: "print the report as one JSON object" },
    QUIET_OPTION,
  ],
  takesLock: false,
  failureExitCode: 2,
  async run([dir], flags): Promise<number> {
    checkDirectory(dir, false, false);
    const progress = new ProgressLine(
      { label: `verifying ${dir}`, verb: "read" },
      progressWanted(flags),
    );
    const report = verifyLog(dir, {
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.done();
    await print(
      flags.json ? JSON.stringify(report) + "\n" : formatVerifyReport(report),
    );
    return report.intact ? 0 : 1;
  },
};

/**
 * The report as lines of text: per file, its blocks read, records, and
 * which blocks are intact; then every damaged block with what is wrong; then
 * a last line saying whether the log is intact.
 */
function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  if (report.files.length === 0) lines.push(`${report.dir}: no log files`);
  for (const file of report.files) {
    lines.push(fileLine(file));
    for (const block of file.blocks) {
      if (block.corruptions.length === 0) continue;
      lines.push(`  ${blockName(block)}: CORRUPTED`);
      for (const { offset, reason } of block.corruptions) {
        lines.push(`    offset ${offset}: ${reason}`);
      }
    }
  }
  lines.push(
    report.intact
      ? `intact: ${report.files.length} file(s), ${report.records} log record(s)`
      : `CORRUPTED: ${report.corruptionCount} problem(s) in ${
        report.files.filter((f) => f.corruptionCount > 0).length
      } file(s); ${report.records} log record(s) intact`,
  );
  return lines.join("\n") + "\n";
}

function fileLine(file: FileReport): string {
  const damaged = file.blocks.filter((b) => b.corruptions.length > 0).length;
  const intactBlocks = file.blocks.length - damaged;
  const parts = [`${file.name} (${file.bytes} bytes):`];
  if (file.afterEnd) {
    parts.push("after the end of the log, not read;");
  } else {
    parts.push(
      `${file.blocks.length} block(s) read, ${intactBlocks} intact, ${damaged} corrupted;`,
      `${file.records} log record(s);`,
    );
  }
  if (file.endOffset !== undefined) {
    parts.push(`the data ends at offset ${file.endOffset};`);
  }
  if (file.partialBlockBytes > 0) {
    parts.push(`last ${file.partialBlockBytes} byte(s) are a partial block;`);
  }
  parts.push(file.corruptionCount === 0 ? "intact" : "CORRUPTED");
  return parts.join(" ");
}

function blockName(block: BlockReport): string {
  return `block ${block.index} (offset ${block.offset})`;
}
