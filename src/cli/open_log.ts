/**
 * Opening the log a command works on, after checking that its directory is
 * one: a command must not create a 128 MiB log file in a directory that
 * holds no log.
 *
 * @module
 */

import { existsSync, statSync } from "node:fs";
import { printWarning } from "./io.ts";
import { ProgressLine } from "./progress.ts";
import { countingReads, logDataBytes } from "./progress_reads.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import { MultiRecordLog } from "../log/multi_record_log.ts";
import { defaultFileAdapter } from "../storage/default_file_adapter.ts";
import { listSegmentNumbers, segmentName } from "../storage/segment_file.ts";

/** How {@linkcode openLog} opens the log. */
export type LogAccess =
  /** For writing, taking the lock; the directory may be new. */
  | "create"
  /** For writing, taking the lock; the directory must hold a log. */
  | "write"
  /** A snapshot, read only, without the lock; the directory must hold a log. */
  | "snapshot";

/**
 * Opens the log in `dir` as `access` says, showing (if `showProgress`) a
 * progress line while it is read: the bytes read of about the bytes of
 * data in the log files. A snapshot works on a log a server is writing; the
 * other accesses fail on it (`LogLockedError`). Writing keeps the size of
 * the newest log file (see {@linkcode existingSegmentBytes}).
 */
export async function openLog(
  dir: string,
  access: LogAccess,
  showProgress: boolean,
): Promise<MultiRecordLog> {
  const mayBeNew = access === "create";
  checkDirectory(dir, mayBeNew, !mayBeNew);
  const readOnly = access === "snapshot";
  const adapter = defaultFileAdapter();
  const progress = new ProgressLine(
    { label: `opening ${dir}`, verb: "read" },
    showProgress,
  );
  const total = showProgress && existsSync(dir)
    ? logDataBytes(adapter, dir)
    : undefined;
  let read = 0;
  progress.update(read, total);
  try {
    return await MultiRecordLog.open(dir, {
      onWarning: (message) => {
        progress.clear();
        printWarning(message);
      },
      segmentBytes: readOnly ? undefined : existingSegmentBytes(dir),
      readOnly,
      // The tool opens one log per process: a wrapper of its own does not
      // hide a lock this process holds through another.
      fileAdapter: showProgress
        ? countingReads(adapter, (n) => progress.update(read += n, total))
        : adapter,
    });
  } finally {
    progress.done();
  }
}

/**
 * Refuses a missing directory (unless `mayBeNew`), a file, or (with
 * `needLogFiles`) a directory without log files: opening one would create
 * a 128 MiB log file in it.
 */
export function checkDirectory(
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
    needLogFiles && listSegmentNumbers(defaultFileAdapter(), dir).length === 0
  ) {
    throw new Error(`not a log directory (no wal-* files): ${dir}`);
  }
}

/**
 * The size of the newest log file, if it is a whole number of blocks: the
 * tool then keeps the log's own file size instead of growing the file to the
 * default 128 MiB.
 */
function existingSegmentBytes(dir: string): number | undefined {
  if (!existsSync(dir)) return undefined;
  const adapter = defaultFileAdapter();
  const numbers = listSegmentNumbers(adapter, dir);
  if (numbers.length === 0) return undefined;
  const newest = segmentName(numbers[numbers.length - 1]);
  const file = adapter.open(`${dir}/${newest}`, {
    create: false,
    readOnly: true,
  });
  let size: number;
  try {
    size = file.size();
  } finally {
    file.close();
  }
  return size > 0 && size % BLOCK_SIZE === 0 ? size : undefined;
}
