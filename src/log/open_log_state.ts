import {
  type DirectoryLock,
  lockDirectory,
} from "../storage/directory_lock.ts";
import { LogWriter } from "./log_writer.ts";
import type { MemQueues } from "./mem_queues.ts";
import type { ResolvedOpenOptions } from "./open_options.ts";
import { readSnapshot, replay } from "./recovery.ts";
import type { RecoveryReport } from "./recovery_report.ts";

/** What a log is made of once its files are read. */
export interface LogState {
  /** The queues read back. */
  queues: MemQueues;
  /** The writer, or `undefined` when opened read-only. */
  writer: LogWriter | undefined;
  /** The directory's lock, or `undefined` when opened read-only. */
  lock: DirectoryLock | undefined;
  /** The log files and their lengths (the writer's, when writable). */
  files: ReadonlyMap<number, number>;
  /** The bytes the log files occupy on disk (see `LogWriter.diskUsedBytes`). */
  diskUsedBytes: () => number;
  /** What reading the files found and skipped. */
  recovery: RecoveryReport;
  /** Read-only: the snapshot ends in an incomplete record, skipped. */
  incompleteTail: boolean;
}

/**
 * Reads the log of `dir`. Writable: creates the directory, takes its lock,
 * recovers the files (see `replay`) and starts the writer where the data
 * ends, releasing the lock if any of that fails. Read-only: reads a
 * snapshot (see `readSnapshot`), takes no lock and writes nothing.
 */
export function openLogState(
  dir: string,
  options: ResolvedOpenOptions,
): LogState {
  const { fileAdapter: adapter, segmentBytes } = options;
  if (options.readOnly) {
    const snapshot = readSnapshot(adapter, dir, options);
    return {
      queues: snapshot.queues,
      writer: undefined,
      lock: undefined,
      files: snapshot.files,
      diskUsedBytes: () => snapshot.diskBytes,
      recovery: snapshot.report,
      incompleteTail: snapshot.incompleteTail,
    };
  }
  adapter.mkdir(dir);
  const lock = lockDirectory(adapter, dir);
  try {
    const state = replay(adapter, dir, segmentBytes, options);
    const writer = new LogWriter({
      adapter,
      dir,
      segmentBytes,
      ...state,
      prewriteBytes: options.prewriteBytes,
    });
    return {
      queues: state.queues,
      writer,
      lock,
      files: writer.files,
      diskUsedBytes: () => writer.diskUsedBytes,
      recovery: state.report,
      incompleteTail: false,
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
