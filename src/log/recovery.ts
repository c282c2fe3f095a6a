import { CorruptionError } from "../errors.ts";
import {
  type AdapterFile,
  errorCode,
  type FileAdapter,
  writeFully,
} from "../storage/file_adapter.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import { type LogFileToRead, readFrames } from "../storage/frame_reader.ts";
import { MemQueue } from "./mem_queue.ts";
import {
  decodeRecord,
  forEachAppendItem,
  RecordKind,
} from "../format/record.ts";
import {
  createSegment,
  parseSegmentName,
  segmentName,
} from "../storage/segment_file.ts";

/** Damage skipped while reading the log on open. */
export interface CorruptionReport {
  /** The file where it was found. */
  fileNumber: number;
  /** Byte offset of the damaged frame, block or record in that file. */
  offset: number;
  /** What was wrong. */
  reason: string;
}

/** What opening the log found and skipped. */
export interface RecoveryReport {
  /** Log files read. */
  filesRead: number;
  /** Damage skipped (at most the first 1,000; see `corruptionCount`). */
  corruptions: CorruptionReport[];
  /** Number of damaged frames, blocks or records skipped. */
  corruptionCount: number;
  /**
   * Records dropped per queue because they were inconsistent with the
   * queue's state (a position below its next position, or above 2^53 - 1).
   */
  droppedRecords: Record<string, number>;
  /**
   * Log files found after the end of the data and set aside (renamed
   * `*.detached`); after a read-only open, the files a writable open would
   * set aside, left as they are and not read.
   */
  detachedFiles: string[];
}

/** The state rebuilt from the log files. */
export interface ReplayResult {
  /** The queues, by name. */
  queues: Map<string, MemQueue>;
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
  /** The queues, by name. */
  queues: Map<string, MemQueue>;
  /** The log files read and their lengths. */
  files: Map<number, number>;
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
  queues: Map<string, MemQueue>;
  report: RecoveryReport;
  /** Every log file, open, oldest first. */
  toRead: LogFileToRead[];
  /** The end of the valid data: a file index and an offset in it. */
  end: { fileIndex: number; offset: number };
  /** Read-only: damage after the last intact record was left out of `report`. */
  incompleteTail: boolean;
}

const MAX_REPORTED = 1000;
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
 * failing the open. Leaves the newest file open at the end of the valid
 * data, with everything after that offset zeroed, so that writing resumes
 * there. An empty directory gets file 0.
 */
export function replay(
  adapter: FileAdapter,
  dir: string,
  segmentBytes: number,
  strict: boolean,
): ReplayResult {
  const numbers = segmentNumbers(adapter, dir);
  const files = new Map<number, number>();
  if (numbers.length === 0) {
    const file = createSegment(adapter, dir, 0, segmentBytes);
    files.set(0, segmentBytes);
    return {
      queues: new Map(),
      files,
      file,
      offset: 0,
      fileLimit: segmentBytes,
      report: emptyReport(),
    };
  }
  const { queues, report, toRead, end } = readAll(
    adapter,
    dir,
    numbers,
    strict,
    false,
  );

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
  const last = toRead[end.fileIndex];
  if (report.detachedFiles.length > 0) adapter.syncDir(dir);
  // A file written with a larger segmentBytes is filled to its end first: a
  // new file after its end-of-data header would never be read.
  const fileLimit = Math.max(
    segmentBytes,
    Math.floor(files.get(last.number)! / BLOCK_SIZE) * BLOCK_SIZE,
  );
  if (end.offset >= fileLimit) {
    last.file.close();
    const number = last.number + 1;
    files.set(number, segmentBytes);
    return {
      queues,
      files,
      file: createSegment(adapter, dir, number, segmentBytes),
      offset: 0,
      fileLimit: segmentBytes,
      report,
    };
  }
  // Zero everything after the end of the data, so that stale bytes there can
  // never be read as records once new ones are written before them. The
  // file never ends mid-block meanwhile: a crash between these steps must
  // not hide the last block's records from the next reader.
  const blockEnd = Math.ceil(end.offset / BLOCK_SIZE) * BLOCK_SIZE;
  writeFully(last.file, new Uint8Array(blockEnd - end.offset), end.offset);
  last.file.truncate(blockEnd);
  last.file.truncate(fileLimit);
  last.file.syncDataSync();
  files.set(last.number, fileLimit);
  return {
    queues,
    files,
    file: last.file,
    offset: end.offset,
    fileLimit,
    report,
  };
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
  strict: boolean,
): LogSnapshot {
  for (let attempt = 1;; attempt++) {
    const numbers = segmentNumbers(adapter, dir);
    if (numbers.length === 0) {
      return {
        queues: new Map(),
        files: new Map(),
        report: emptyReport(),
        incompleteTail: false,
      };
    }
    let state: ReadState;
    try {
      state = readAll(adapter, dir, numbers, strict, true);
    } catch (error) {
      if (errorCode(error) === "ENOENT" && attempt < SNAPSHOT_ATTEMPTS) {
        continue;
      }
      throw error;
    }
    const { queues, report, toRead, end, incompleteTail } = state;
    const files = new Map<number, number>();
    try {
      for (let i = 0; i < toRead.length; i++) {
        const { number, file } = toRead[i];
        if (i <= end.fileIndex) files.set(number, file.size());
        else report.detachedFiles.push(segmentName(number));
      }
    } finally {
      for (const { file } of toRead) file.close();
    }
    return { queues, files, report, incompleteTail };
  }
}

function segmentNumbers(adapter: FileAdapter, dir: string): number[] {
  return adapter.listFiles(dir)
    .map(parseSegmentName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
}

function emptyReport(): RecoveryReport {
  return {
    filesRead: 0,
    corruptions: [],
    corruptionCount: 0,
    droppedRecords: {},
    detachedFiles: [],
  };
}

/** Opens and reads the log files `numbers` of `dir`; see `replay`. */
function readAll(
  adapter: FileAdapter,
  dir: string,
  numbers: readonly number[],
  strict: boolean,
  readOnly: boolean,
): ReadState {
  const report = emptyReport();
  const queues = new Map<string, MemQueue>();
  const toRead: LogFileToRead[] = [];
  try {
    for (const number of numbers) {
      toRead.push({
        number,
        file: adapter.open(`${dir}/${segmentName(number)}`, {
          create: false,
          readOnly,
        }),
      });
    }
  } catch (error) {
    for (const { file } of toRead) file.close();
    throw error;
  }
  const reportDamage = (fileNumber: number, offset: number, reason: string) => {
    if (strict) throw new CorruptionError(fileNumber, offset, reason);
    report.corruptionCount++;
    if (report.corruptions.length < MAX_REPORTED) {
      report.corruptions.push({ fileNumber, offset, reason });
    }
  };
  // Read-only: damage is held back until it is known whether an intact
  // record follows it; damage after the last intact record is the tail of a
  // log being written.
  const heldBack: CorruptionReport[] = [];
  let lastIntact = { fileNumber: -1, offset: -1 };
  const corruption = (fileNumber: number, offset: number, reason: string) => {
    if (!readOnly) return reportDamage(fileNumber, offset, reason);
    if (isAfter({ fileNumber, offset }, lastIntact)) {
      heldBack.push({ fileNumber, offset, reason });
    } else {
      reportDamage(fileNumber, offset, reason);
    }
  };
  const intact = (fileNumber: number, offset: number) => {
    for (const c of heldBack) reportDamage(c.fileNumber, c.offset, c.reason);
    heldBack.length = 0;
    lastIntact = { fileNumber, offset };
  };
  const drop = (queue: string, count: number) => {
    report.droppedRecords[queue] = (report.droppedRecords[queue] ?? 0) + count;
  };
  const encoder = new TextEncoder();
  const newQueue = (name: string, next: number) => {
    const queue = new MemQueue(name, encoder.encode(name), next);
    queues.set(name, queue);
    return queue;
  };

  let end;
  try {
    end = readFrames(toRead, {
      corruption,
      record(bytes, fileNumber, offset) {
        if (readOnly) intact(fileNumber, offset);
        const record = decodeRecord(bytes);
        if (typeof record === "string") {
          return corruption(fileNumber, offset, record);
        }
        const { kind, position, queue: name } = record;
        let queue = queues.get(name);
        if (kind === RecordKind.DeleteQueue) {
          queues.delete(name);
        } else if (kind === RecordKind.AppendRecords) {
          const error = forEachAppendItem(
            bytes,
            record.bodyOffset,
            (at, start, length) => {
              if (
                at === undefined || at > Number.MAX_SAFE_INTEGER
              ) return drop(name, 1);
              queue ??= newQueue(name, at);
              if (at < queue.nextPosition) return drop(name, 1);
              queue.push(at, bytes.subarray(start, start + length), fileNumber);
            },
          );
          if (error) corruption(fileNumber, offset, error);
        } else if (position === undefined) {
          drop(name, 1);
        } else if (kind === RecordKind.Touch) {
          if (!queue || queue.length > 0 || queue.nextPosition !== position) {
            newQueue(name, position);
          }
        } else {
          queue?.truncate(position);
        }
      },
    });
  } catch (error) {
    for (const { file } of toRead) file.close();
    throw error;
  }
  end ??= { fileIndex: toRead.length - 1, offset: 0, zeroHeader: false };
  report.filesRead = end.fileIndex + 1;
  for (const queue of queues.values()) queue.visibleNext = queue.nextPosition;
  return { queues, report, toRead, end, incompleteTail: heldBack.length > 0 };
}

/** Whether `a` is after `b` in the log. */
function isAfter(
  a: { fileNumber: number; offset: number },
  b: { fileNumber: number; offset: number },
): boolean {
  return a.fileNumber > b.fileNumber ||
    (a.fileNumber === b.fileNumber && a.offset > b.offset);
}
