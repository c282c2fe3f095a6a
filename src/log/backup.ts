/**
 * A consistent copy of a log directory, made beside a process writing it:
 * {@linkcode backupLog}.
 *
 * @module
 */

import { defaultFileAdapter } from "../storage/default_file_adapter.ts";
import { errorCode, type FileAdapter } from "../storage/file_adapter.ts";
import { listSegmentNumbers, segmentName } from "../storage/segment_file.ts";
import { type CopiedLog, copyLogOnce, TornCopyError } from "./backup_copy.ts";

/** Options of {@linkcode backupLog}. */
export interface BackupOptions {
  /**
   * The file system of the log and of the copy. Its `rename` must move a
   * directory (Deno's and `node:fs`'s do). Default: Deno's or `node:fs`,
   * chosen at runtime.
   */
  fileAdapter?: FileAdapter;
  /**
   * Called as the log files are copied, with the bytes of the log files
   * gone over so far and in all (their apparent lengths: the zeros after
   * the end of the data count as gone over when it is found). Starts again
   * from 0 if the copy starts over.
   */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/** One log file of a backup. */
export interface BackupFile {
  /** Its name, `wal-` and 20 digits. */
  name: string;
  /** Its number. */
  number: number;
  /** Its length: the log file's (the copy is sparse after the data). */
  bytes: number;
  /** Where its data ends: bytes copied; zeros from there. */
  dataBytes: number;
}

/** What {@linkcode backupLog} wrote. */
export interface BackupOutcome {
  /** The copy's directory. */
  destDir: string;
  /** The log files copied, oldest first. */
  files: BackupFile[];
  /** Bytes of data copied, all files together. */
  bytesCopied: number;
  /** Log records copied (appends of a batch, truncations, queue creations and deletions). */
  logRecords: number;
  /** Queues in the copy (as `summary()` counts them: the log's own state queues left out). */
  queues: number;
  /**
   * Damaged frames or records of the log copied as they are: the copy opens
   * with the same damage skipped as the log. 0 for an intact log.
   */
  corruptionCount: number;
  /**
   * True if data after the last complete record was left out: a record
   * still being written (or damage at the end of the log).
   */
  incompleteTailLeftOut: boolean;
  /**
   * Times the copy was made: more than 1 when a log file vanished before it
   * was opened (a writer's garbage collection) or a frame of the newest file
   * was caught half written.
   */
  attempts: number;
}

/**
 * Times the copy starts over (each time, a writer made progress: it removed
 * a file, or wrote the newest file while it was copied).
 */
const MAX_ATTEMPTS = 100;

/**
 * Copies the log in `dir` to `destDir` without the directory's lock, so
 * beside a process writing the log (such as a running server): every record
 * whose append resolved before the backup started is in the copy, which
 * holds no half-written record and opens like the log, here and in the Rust
 * crate (same format). The log files a read-only open reads are copied,
 * block by block up to the end of their data, yielding to the event loop
 * between blocks of 4 MiB. The copies are then read back and cut after the
 * last complete record (a record being written is left out), zeros after
 * it; each copy keeps its log file's length, sparse after the data. A log
 * file removed meanwhile by the writer's garbage collection, or a frame
 * caught half written, starts the copy over.
 *
 * Everything is written into a new folder next to `destDir`, synced, and
 * renamed to `destDir`, which must not exist or be an empty directory:
 * otherwise the backup is refused and nothing is written. To restore, open
 * the copy (or move it where the log was) while nothing has the log open.
 *
 * @example
 * ```ts ignore
 * const outcome = await backupLog("./data", "./backups/2024-06-01");
 * console.log(`${outcome.bytesCopied} bytes in ${outcome.files.length} file(s)`);
 * ```
 *
 * @throws {Error} If `destDir` holds files, `dir` holds no log file, or the
 * file system fails.
 */
export async function backupLog(
  dir: string,
  destDir: string,
  options: BackupOptions = {},
): Promise<BackupOutcome> {
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError("dir must be a non-empty string");
  }
  if (typeof destDir !== "string" || destDir === "") {
    throw new TypeError("destDir must be a non-empty string");
  }
  const adapter = options.fileAdapter ?? defaultFileAdapter();
  const onProgress = options.onProgress ?? (() => {});
  checkDestination(adapter, destDir);
  const numbers = checkSource(adapter, dir);
  const dest = destDir.replace(/(.)\/+$/, "$1");
  const tmp = `${dest}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  adapter.mkdir(tmp);
  let copied: CopiedLog;
  let attempts: number;
  try {
    ({ copied, attempts } = await copyWithRetries(
      adapter,
      dir,
      tmp,
      numbers,
      onProgress,
    ));
    renameIntoPlace(adapter, tmp, dest);
  } catch (error) {
    removeTemporary(adapter, tmp);
    throw error;
  }
  adapter.syncDir(parentDir(dest));
  const { readBack } = copied;
  return {
    destDir,
    files: copied.files.map(({ number, length, dataBytes }) => ({
      name: segmentName(number),
      number,
      bytes: length,
      dataBytes,
    })),
    bytesCopied: copied.bytesCopied,
    logRecords: readBack.logRecords,
    queues: readBack.queues,
    corruptionCount: readBack.damage,
    incompleteTailLeftOut: readBack.tailLeftOut,
    attempts,
  };
}

/** Refuses a destination that is not missing or an empty directory. */
function checkDestination(adapter: FileAdapter, destDir: string): void {
  let names: string[];
  try {
    names = adapter.listFiles(destDir);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return;
    throw new Error(
      `backup destination ${destDir} cannot be used: ${
        (error as Error).message
      }`,
    );
  }
  if (names.length > 0) throw notEmpty(destDir);
}

/** The numbers of the log files of `dir`; refuses a directory without any. */
function checkSource(adapter: FileAdapter, dir: string): number[] {
  const numbers = listSegmentNumbers(adapter, dir);
  if (numbers.length === 0) {
    throw new Error(`not a log directory (no wal-* files): ${dir}`);
  }
  return numbers;
}

function notEmpty(destDir: string): Error {
  return new Error(
    `backup destination ${destDir} is not empty: a backup goes into a new or empty directory (nothing was written)`,
  );
}

/** Copies the log files `listed` (listed again after the first attempt), starting over (up to {@linkcode MAX_ATTEMPTS} times) when it changed under the copy. */
async function copyWithRetries(
  adapter: FileAdapter,
  dir: string,
  tmp: string,
  listed: number[],
  onProgress: (bytesDone: number, bytesTotal: number) => void,
): Promise<{ copied: CopiedLog; attempts: number }> {
  let numbers = listed;
  for (let attempts = 1;; attempts++) {
    if (attempts > 1) numbers = checkSource(adapter, dir);
    try {
      const copied = await copyLogOnce(adapter, dir, tmp, numbers, onProgress);
      return { copied, attempts };
    } catch (error) {
      const changed = errorCode(error) === "ENOENT" ||
        error instanceof TornCopyError;
      if (!changed || attempts >= MAX_ATTEMPTS) throw error;
      for (const name of adapter.listFiles(tmp)) {
        adapter.remove(`${tmp}/${name}`);
      }
    }
  }
}

/** Renames the finished copy `tmp` to `dest` (a missing or empty directory). */
function renameIntoPlace(
  adapter: FileAdapter,
  tmp: string,
  dest: string,
): void {
  try {
    adapter.rename(tmp, dest);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOTEMPTY" || code === "EEXIST") throw notEmpty(dest);
    throw error;
  }
}

/** Removes the temporary folder and what it holds, as far as possible. */
function removeTemporary(adapter: FileAdapter, tmp: string): void {
  try {
    for (const name of adapter.listFiles(tmp)) {
      adapter.remove(`${tmp}/${name}`);
    }
    // Removes the empty folder with Deno's adapter; others may leave it.
    adapter.remove(tmp);
  } catch {
    // Best effort: the error that made the backup fail is the one to report.
  }
}

/** The directory holding `path` (which has no trailing `/`). */
function parentDir(path: string): string {
  const index = path.lastIndexOf("/");
  if (index < 0) return ".";
  return index === 0 ? "/" : path.slice(0, index);
}
