/**
 * Recovery: reading the log files on open and rebuilding the queues, by
 * replaying every record through {@linkcode MemQueues}, the same state the
 * log changes as it writes.
 *
 * @module
 */

import {
  type AdapterFile,
  errorCode,
  type FileAdapter,
  writeFully,
} from "../storage/file_adapter.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import type { LogEnd, LogFileToRead } from "../storage/frame_reader.ts";
import {
  checkAppendItems,
  type DecodedRecord,
  RecordKind,
} from "../format/record.ts";
import {
  createSegment,
  listSegmentNumbers,
  openSegments,
  segmentName,
} from "../storage/segment_file.ts";
import type { ChunkAllocator } from "./chunk_allocator.ts";
import { ColdReader } from "./cold_reader.ts";
import { onDiskBytes } from "./disk_usage.ts";
import { MemQueues } from "./mem_queues.ts";
import { readRecords } from "./record_reader.ts";
import {
  emptyReport,
  type RecoveryReport,
  RecoveryReportBuilder,
} from "./recovery_report.ts";

/** How to read the log on open. */
export interface RecoveryOptions {
  /** Raise `CorruptionError` on damage instead of skipping it. */
  strict: boolean;
  /** Where the queues' chunks come from. */
  allocator: ChunkAllocator;
  /**
   * Payload bytes kept in memory (the `hotBytes` open option); the older
   * records are read back from the files when read. Default: all.
   */
  hotBytes?: number;
}

/** The state rebuilt from the log files. */
export interface ReplayResult {
  /** The queues. */
  queues: MemQueues;
  /** The log files and their lengths. */
  files: Map<number, number>;
  /** The newest file, open, ready to write. */
  file: AdapterFile;
  /** Where to write in it. */
  offset: number;
  /** Where that file ends (see `WriterStart.fileLimit`). */
  fileLimit: number;
  /** What was found and skipped. */
  report: RecoveryReport;
}

/** A log read without changing anything on disk (a read-only open). */
export interface LogSnapshot {
  /** The queues. */
  queues: MemQueues;
  /** The log files read and their lengths. */
  files: Map<number, number>;
  /**
   * The bytes those files occupy on disk: each one's length in 4 KiB blocks,
   * the last one's only up to the end of its data.
   */
  diskBytes: number;
  /** What was found and skipped. */
  report: RecoveryReport;
  /**
   * True if the data ends in a damaged or incomplete record after the last
   * intact one: in a log being written, a record still being written. It is
   * skipped, and not counted in `report`.
   */
  incompleteTail: boolean;
}

/** What reading the log files gave, before anything is written. */
interface ReadState {
  queues: MemQueues;
  report: RecoveryReport;
  /** Every log file, open, oldest first. */
  toRead: LogFileToRead[];
  /** The end of the valid data. */
  end: LogEnd;
  /** Read-only: damage after the last intact record was left out of `report`. */
  incompleteTail: boolean;
}

/**
 * Times a read-only open starts over when a file vanished meanwhile (each
 * time, a writer's garbage collection removed a file between the listing
 * and the read: it made progress).
 */
const SNAPSHOT_ATTEMPTS = 100;

/**
 * Reads every log file of `dir` once, in order, and rebuilds the queues.
 * Corruption is skipped as the format says (or raises `CorruptionError` with
 * `strict`); a queue's inconsistent records are dropped and counted, never
 * failing the open. Files after the end of the data are set aside. Leaves
 * the newest file open at the end of the valid data, with everything after
 * that offset zeroed, so that writing resumes there. An empty directory gets
 * file 0.
 */
export function replay(
  adapter: FileAdapter,
  dir: string,
  segmentBytes: number,
  options: RecoveryOptions,
): ReplayResult {
  const numbers = listSegmentNumbers(adapter, dir);
  if (numbers.length === 0) {
    return {
      queues: emptyQueues(adapter, dir, options),
      files: new Map([[0, segmentBytes]]),
      file: createSegment(adapter, dir, 0, segmentBytes),
      offset: 0,
      fileLimit: segmentBytes,
      report: emptyReport(),
    };
  }
  const { queues, report, toRead, end } = readAll(
    adapter,
    dir,
    numbers,
    options,
    false,
  );
  const files = new Map<number, number>();
  for (let i = 0; i < toRead.length; i++) {
    const { number, file } = toRead[i];
    const size = file.size();
    if (i !== end.fileIndex) file.close();
    if (i > end.fileIndex) {
      const name = segmentName(number);
      adapter.rename(`${dir}/${name}`, `${dir}/${name}.detached`);
      report.detachedFiles.push(name);
    } else {
      files.set(number, size);
    }
  }
  if (report.detachedFiles.length > 0) adapter.syncDir(dir);
  const last = toRead[end.fileIndex];
  const resumed = resumeWriting(adapter, dir, last, end.offset, segmentBytes);
  files.set(resumed.number, resumed.fileLimit);
  return { queues, files, ...resumed, report };
}

/**
 * Prepares the last file read, `last`, whose data ends at `end`, for
 * writing: erases what follows the data, or, if the file is full, creates
 * the next one.
 */
function resumeWriting(
  adapter: FileAdapter,
  dir: string,
  last: LogFileToRead,
  end: number,
  segmentBytes: number,
): { number: number; file: AdapterFile; offset: number; fileLimit: number } {
  // A file written with a larger segmentBytes is filled to its end first: a
  // new file after its end-of-data header would never be read.
  const fileLimit = Math.max(
    segmentBytes,
    Math.floor(last.file.size() / BLOCK_SIZE) * BLOCK_SIZE,
  );
  if (end >= fileLimit) {
    last.file.close();
    const number = last.number + 1;
    const file = createSegment(adapter, dir, number, segmentBytes);
    return { number, file, offset: 0, fileLimit: segmentBytes };
  }
  // Zero everything after the end of the data, so that stale bytes there can
  // never be read as records once new ones are written before them. The
  // file never ends mid-block meanwhile: a crash between these steps must
  // not hide the last block's records from the next reader.
  const blockEnd = Math.ceil(end / BLOCK_SIZE) * BLOCK_SIZE;
  writeFully(last.file, new Uint8Array(blockEnd - end), end);
  last.file.truncate(blockEnd);
  last.file.truncate(fileLimit);
  last.file.syncDataSync();
  return { number: last.number, file: last.file, offset: end, fileLimit };
}

/**
 * Reads the log of `dir` as `replay` does, but changes nothing: no file is
 * created, set aside, zeroed or kept open. A log file removed meanwhile (by
 * the garbage collection of a process writing the log) restarts the read.
 * Damage after the last intact record (in a log being written: a record
 * still being written) ends the snapshot instead of being reported; files
 * after the end of the data are listed in `report.detachedFiles`, unread.
 */
export function readSnapshot(
  adapter: FileAdapter,
  dir: string,
  options: RecoveryOptions,
): LogSnapshot {
  for (let attempt = 1;; attempt++) {
    const numbers = listSegmentNumbers(adapter, dir);
    if (numbers.length === 0) {
      return {
        queues: emptyQueues(adapter, dir, options),
        files: new Map(),
        diskBytes: 0,
        report: emptyReport(),
        incompleteTail: false,
      };
    }
    let state: ReadState;
    try {
      state = readAll(adapter, dir, numbers, options, true);
    } catch (error) {
      if (errorCode(error) === "ENOENT" && attempt < SNAPSHOT_ATTEMPTS) {
        continue;
      }
      throw error;
    }
    const { queues, report, toRead, end, incompleteTail } = state;
    const files = new Map<number, number>();
    let diskBytes = 0;
    try {
      for (let i = 0; i < toRead.length; i++) {
        const { number, file } = toRead[i];
        if (i > end.fileIndex) {
          report.detachedFiles.push(segmentName(number));
          continue;
        }
        const size = file.size();
        files.set(number, size);
        diskBytes += onDiskBytes(i === end.fileIndex ? end.offset : size);
      }
    } finally {
      for (const { file } of toRead) file.close();
    }
    return { queues, files, diskBytes, report, incompleteTail };
  }
}

/** Opens and reads the log files `numbers` of `dir`; see `replay`. */
function readAll(
  adapter: FileAdapter,
  dir: string,
  numbers: readonly number[],
  options: RecoveryOptions,
  readOnly: boolean,
): ReadState {
  const builder = new RecoveryReportBuilder(options.strict, readOnly);
  // Chunks are allocated plainly while the files are read: made ready on
  // another thread (`prefaultChunks`), they cost the open more than they
  // save when that thread has no core of its own (measured on a busy 2-core
  // machine, 256 MiB of 256 B records: the open 1.13x (Bun) and 1.20x (Deno)
  // slower, its peak RSS 10 and 21 MiB higher; 1 GiB: 1.05x to 1.1x, 12 and
  // 26 MiB).
  let reading = true;
  const queues = emptyQueues(adapter, dir, {
    ...options,
    allocator: {
      chunkBytes: options.allocator.chunkBytes,
      allocate: (bytes) =>
        reading ? new Uint8Array(bytes) : options.allocator.allocate(bytes),
    },
  });
  const toRead = openSegments(adapter, dir, numbers, readOnly);
  let end;
  try {
    end = readRecords(toRead, {
      record(record, bytes, fileNumber, offset) {
        builder.intact(fileNumber, offset);
        return applyRecord(queues, record, bytes, fileNumber, offset, builder);
      },
      damage(fileNumber, offset, reason, malformed) {
        // A malformed record's frames are intact: damage before it is not
        // the tail of a log being written.
        if (malformed) builder.intact(fileNumber, offset);
        builder.damage(fileNumber, offset, reason);
      },
    });
  } catch (error) {
    for (const { file } of toRead) file.close();
    throw error;
  } finally {
    reading = false;
  }
  end ??= { fileIndex: toRead.length - 1, offset: 0, zeroHeader: false };
  const report = builder.report;
  report.filesRead = end.fileIndex + 1;
  queues.showAll();
  return {
    queues,
    report,
    toRead,
    end,
    incompleteTail: builder.incompleteTail,
  };
}

/** No queues yet, for the log of `dir`: see `RecoveryOptions.hotBytes`. */
function emptyQueues(
  adapter: FileAdapter,
  dir: string,
  options: RecoveryOptions,
): MemQueues {
  const hotBytes = options.hotBytes ?? Infinity;
  return new MemQueues(
    options.allocator,
    hotBytes === Infinity
      ? undefined
      : { hotBytes, reader: new ColdReader(adapter, dir) },
  );
}

/**
 * Replays one record read back from the log (of file `fileNumber`) on
 * `queues`; inconsistent records are dropped and counted in `builder`.
 * Returns what is wrong with an AppendRecords body, if anything (nothing of
 * it is applied then).
 */
function applyRecord(
  queues: MemQueues,
  record: DecodedRecord,
  bytes: Uint8Array,
  fileNumber: number,
  offset: number,
  builder: RecoveryReportBuilder,
): string | undefined {
  const { kind, position, queue: name } = record;
  if (kind === RecordKind.DeleteQueue) {
    queues.delete(name);
  } else if (kind === RecordKind.AppendRecords) {
    const problem = checkAppendItems(bytes, record.bodyOffset);
    if (problem !== undefined) return problem;
    const dropped = queues.appendReadItems(
      name,
      bytes,
      record.bodyOffset,
      fileNumber,
      offset,
    );
    for (let i = 0; i < dropped; i++) builder.dropped(name);
  } else if (position === undefined) {
    builder.dropped(name);
  } else if (kind === RecordKind.Touch) {
    queues.touch(name, position);
  } else {
    const queue = queues.get(name);
    if (queue !== undefined) queues.truncate(queue, position);
  }
  return undefined;
}
