/**
 * The commands of the command-line tool, once their arguments are parsed.
 *
 * @module
 */

import { existsSync, readdirSync, statSync } from "node:fs";
import process from "node:process";
import { appendFrom } from "./append.ts";
import {
  formatBytes,
  printError,
  ProgressLine,
  stdinStream,
  stdoutStream,
} from "./io.ts";
import {
  parseByteSize,
  parseOptionalPosition,
  parsePolicy,
  parsePosition,
  UsageError,
} from "./options.ts";
import { READ_FORMATS, type ReadFormat, writeRecords } from "./read.ts";
import { runServe } from "./serve.ts";
import { formatSummary, summaryJson } from "./summary.ts";
import { formatVerifyReport } from "./verify.ts";
import { MultiRecordLog } from "../log/multi_record_log.ts";
import { parseSegmentName, segmentName } from "../storage/segment_file.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import { verifyLog } from "../log/verify_log.ts";

/** The options given to a command, by long name. */
export type Flags = Record<string, string | boolean | undefined>;

/**
 * Runs `command` with its positional `args` and `flags`; returns the exit
 * code. Raises `UsageError` on bad values (checked before the log is
 * opened), other errors on failure.
 */
export async function runCommand(
  command: string,
  args: string[],
  flags: Flags,
): Promise<number> {
  const [dir, queue] = args;
  const text = (name: string): string | undefined =>
    flags[name] as string | undefined;
  const size = (name: string): number | undefined => {
    const value = text(name);
    return value === undefined ? undefined : parseByteSize(value, `--${name}`);
  };
  switch (command) {
    case "verify":
      return await verify(dir, flags.json === true);
    case "serve":
      await serve(dir ?? "./data", text, size);
      return 0;
    case "create": {
      await using log = await openLog(dir, true);
      await log.createQueue(queue);
      return 0;
    }
    case "summary": {
      await using log = await openLog(dir, false, true);
      const summary = summaryJson(log);
      await print(
        flags.json ? JSON.stringify(summary) + "\n" : formatSummary(summary),
      );
      return 0;
    }
    case "delete": {
      await using log = await openLog(dir, false);
      await log.deleteQueue(queue);
      return 0;
    }
    case "truncate": {
      const position = parsePosition(args[2], "POSITION");
      await using log = await openLog(dir, false);
      const { evictedRecords } = await log.truncate(queue, position);
      await print(`${evictedRecords} record(s) dropped\n`);
      return 0;
    }
    case "read": {
      const from = parseOptionalPosition(text("from"), "--from");
      const to = parseOptionalPosition(text("to"), "--to");
      const format = text("format") ?? "ndjson";
      if (!READ_FORMATS.includes(format as ReadFormat)) {
        throw new UsageError(
          `--format must be one of ${READ_FORMATS.join(", ")}, got ${
            JSON.stringify(format)
          }`,
        );
      }
      await using log = await openLog(dir, false, true);
      const records = log.readable(queue, { from, to });
      const writer = stdoutStream().getWriter();
      await writeRecords(records, format as ReadFormat, writer);
      writer.releaseLock();
      return 0;
    }
    default: { // append
      if (flags.ndjson && flags["length-prefixed"]) {
        throw new UsageError("give --ndjson or --length-prefixed, not both");
      }
      const position = parseOptionalPosition(text("position"), "--position");
      const maxRecordBytes = size("max-record-bytes");
      await using log = await openLog(dir, flags.create === true);
      if (flags.create && !log.queueExists(queue)) {
        await log.createQueue(queue);
      }
      const outcome = await appendFrom(log, queue, stdinStream(), {
        format: flags["length-prefixed"] ? "length-prefixed" : "ndjson",
        position,
        maxRecordBytes,
      });
      await print(JSON.stringify(outcome) + "\n");
      return 0;
    }
  }
}

async function verify(dir: string, json: boolean): Promise<number> {
  checkDirectory(dir, false, false);
  const progress = new ProgressLine();
  const report = verifyLog(dir, {
    onProgress: (done, total) =>
      progress.update(() =>
        `verifying ${dir}: ${formatBytes(Math.min(done, total))} of ${
          formatBytes(total)
        }`
      ),
  });
  progress.done();
  await print(
    json ? JSON.stringify(report) + "\n" : formatVerifyReport(report),
  );
  return report.intact ? 0 : 1;
}

async function serve(
  dir: string,
  text: (name: string) => string | undefined,
  size: (name: string) => number | undefined,
): Promise<void> {
  const port = text("port");
  if (port !== undefined && !(/^[0-9]{1,5}$/.test(port) && +port <= 65535)) {
    throw new UsageError(
      `--port must be a port number, got ${JSON.stringify(port)}`,
    );
  }
  const token = text("token") ?? process.env.MRECORDLOG_TOKEN;
  const persistPolicy = parsePolicy(text("policy") ?? "always-fsync");
  checkDirectory(dir, true, false);
  await runServe(dir, {
    port: port === undefined ? undefined : Number(port),
    hostname: text("host"),
    token: token === "" ? undefined : token,
    maxBodyBytes: size("max-body-bytes"),
    maxRecordBytes: size("max-record-bytes"),
    openOptions: {
      persistPolicy,
      memoryLimitBytes: size("memory-limit"),
      onWarning: warn,
    },
  });
}

/**
 * Refuses a missing directory (unless `mayBeNew`), a file, or (with
 * `needLogFiles`) a directory without log files: opening one would create
 * a 128 MiB log file in it.
 */
function checkDirectory(
  dir: string,
  mayBeNew: boolean,
  needLogFiles: boolean,
): void {
  if (!existsSync(dir)) {
    if (mayBeNew) return;
    throw new Error(`no such directory: ${dir}`);
  }
  if (!statSync(dir).isDirectory()) throw new Error(`not a directory: ${dir}`);
  if (
    needLogFiles &&
    !readdirSync(dir).some((name) => parseSegmentName(name) !== undefined)
  ) {
    throw new Error(`not a log directory (no wal-* files): ${dir}`);
  }
}

/**
 * Opens the log in `dir`; `readOnly` reads a snapshot without taking the
 * directory, so that a log a server is writing can be inspected.
 */
async function openLog(
  dir: string,
  mayBeNew: boolean,
  readOnly = false,
): Promise<MultiRecordLog> {
  checkDirectory(dir, mayBeNew, !mayBeNew);
  const progress = new ProgressLine();
  progress.update(() => `opening ${dir}…`);
  try {
    return await MultiRecordLog.open(dir, {
      onWarning: warn,
      segmentBytes: readOnly ? undefined : existingSegmentBytes(dir),
      readOnly,
    });
  } finally {
    progress.done();
  }
}

/**
 * The size of the newest log file, if it is a whole number of blocks: the
 * tool then keeps the log's own file size instead of growing the file to the
 * default 128 MiB.
 */
function existingSegmentBytes(dir: string): number | undefined {
  if (!existsSync(dir)) return undefined;
  const numbers = readdirSync(dir)
    .map(parseSegmentName)
    .filter((n): n is number => n !== undefined);
  if (numbers.length === 0) return undefined;
  const size = statSync(`${dir}/${segmentName(Math.max(...numbers))}`).size;
  return size > 0 && size % BLOCK_SIZE === 0 ? size : undefined;
}

function warn(message: string): void {
  printError(`warning: ${message}`);
}

async function print(text: string): Promise<void> {
  const writer = stdoutStream().getWriter();
  await writer.write(new TextEncoder().encode(text));
  writer.releaseLock();
}
