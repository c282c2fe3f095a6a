/**
 * A read-only check of a log directory: every frame of every log file, with
 * what is intact and what is corrupted, per file and per 32 KiB block.
 *
 * @module
 */

import { defaultFileAdapter } from "../storage/default_file_adapter.ts";
import type { AdapterFile, FileAdapter } from "../storage/file_adapter.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import type { LogFileToRead } from "../storage/frame_reader.ts";
import { countingReads } from "../storage/counting_reads.ts";
import { forEachAppendItem, RecordKind } from "../format/record.ts";
import {
  listSegmentNumbers,
  openSegments,
  segmentName,
} from "../storage/segment_file.ts";
import { readRecords } from "./record_reader.ts";

/** One piece of damage found by {@linkcode verifyLog}. */
export interface VerifyCorruption {
  /** Byte offset in the file of the damaged frame, record or data. */
  offset: number;
  /** What is wrong. */
  reason: string;
}

/** One 32 KiB block of a log file. */
export interface BlockReport {
  /** The block's index in its file. */
  index: number;
  /** The block's byte offset in its file. */
  offset: number;
  /** Records whose first frame is in this block and that decode whole. */
  records: number;
  /** What is damaged in this block; empty when the block is intact. */
  corruptions: VerifyCorruption[];
}

/** One log file. */
export interface FileReport {
  /** The file name, `wal-` and 20 digits. */
  name: string;
  /** The file number. */
  number: number;
  /** The file length in bytes. */
  bytes: number;
  /** The blocks read (up to the end of the data), in order. */
  blocks: BlockReport[];
  /** Records in this file that decode whole. */
  records: number;
  /** Damage found in this file (also listed in its blocks). */
  corruptionCount: number;
  /** Where the data ends in this file (a zero header), if it ends here. */
  endOffset: number | undefined;
  /** True for a file after the end of the data: open sets it aside. */
  afterEnd: boolean;
  /** Bytes of a last, partial block, which readers ignore. */
  partialBlockBytes: number;
}

/** What {@linkcode verifyLog} found. */
export interface VerifyReport {
  /** The directory checked. */
  dir: string;
  /** The log files, oldest first. */
  files: FileReport[];
  /** Records that decode whole, all files together. */
  records: number;
  /** Damage found, all files together. */
  corruptionCount: number;
  /** True when nothing is damaged. */
  intact: boolean;
}

/** Options of {@linkcode verifyLog}. */
export interface VerifyOptions {
  /** Called as bytes are read, with the bytes read so far and in all. */
  onProgress?: (bytesRead: number, bytesTotal: number) => void;
  /** The file system; files are opened read-only. Default: Deno's or `node:fs`, chosen at runtime. */
  fileAdapter?: FileAdapter;
}

const SCAN_CHUNK = 4 * 1024 * 1024;

/**
 * Reads every frame of every log file (`wal-` and 20 digits) in `dir`, in
 * order, without writing anything: files are opened read-only (through
 * `options.fileAdapter`) and the directory is not locked. Records are walked
 * as `MultiRecordLog.open` walks them (`readRecords`), each one decoded whole.
 * Damage is reported per file and per block: frames with a bad checksum,
 * type or length, records that do not decode, and non-zero bytes that no
 * reader ever reads (after the zero header that ends the log, in a file
 * after it, or in a last partial block).
 *
 * Queue-level consistency (positions going backwards) is not checked here:
 * open drops such records and `summary()` counts them.
 *
 * @example
 * ```ts ignore
 * const report = verifyLog("./data");
 * if (!report.intact) console.error(`${report.corruptionCount} damaged`);
 * ```
 *
 * @throws {Error} If `dir` cannot be read (for example `ENOENT`).
 */
export function verifyLog(
  dir: string,
  options: VerifyOptions = {},
): VerifyReport {
  const adapter = options.fileAdapter ?? defaultFileAdapter();
  const numbers = listSegmentNumbers(adapter, dir);
  const opened = openSegments(adapter, dir, numbers, true);
  const files: FileReport[] = [];
  try {
    let bytesRead = 0;
    let bytesTotal = 0;
    const progress = (n: number): void => {
      bytesRead += n;
      options.onProgress?.(bytesRead, bytesTotal);
    };
    for (const segment of opened) {
      const bytes = segment.file.size();
      bytesTotal += bytes;
      files.push(fileReport(segment.number, bytes));
      segment.file = countingReads(segment.file, progress);
    }
    walk(files, opened);
  } finally {
    for (const { file } of opened) file.close();
  }
  let records = 0;
  let corruptionCount = 0;
  for (const file of files) {
    records += file.records;
    corruptionCount += file.corruptionCount;
  }
  return {
    dir,
    files,
    records,
    corruptionCount,
    intact: corruptionCount === 0,
  };
}

/** The report of file `number`, `bytes` long, before it is read. */
function fileReport(number: number, bytes: number): FileReport {
  return {
    name: segmentName(number),
    number,
    bytes,
    blocks: [],
    records: 0,
    corruptionCount: 0,
    endOffset: undefined,
    afterEnd: false,
    partialBlockBytes: bytes % BLOCK_SIZE,
  };
}

function walk(files: FileReport[], opened: LogFileToRead[]): void {
  const byNumber = new Map(files.map((file) => [file.number, file]));
  const end = readRecords(opened, {
    damage(number, offset, reason) {
      addDamage(byNumber.get(number)!, offset, reason);
    },
    record(record, bytes, number, offset) {
      const problem = record.kind === RecordKind.AppendRecords
        ? forEachAppendItem(bytes, record.bodyOffset, () => {})
        : undefined;
      if (problem === undefined) {
        const file = byNumber.get(number)!;
        blockOf(file, offset).records++;
        file.records++;
      }
      return problem;
    },
  });
  if (end === undefined) return;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const wholeBlocks = Math.floor(file.bytes / BLOCK_SIZE);
    let unreadFrom = wholeBlocks * BLOCK_SIZE;
    if (i < end.fileIndex || (i === end.fileIndex && !end.zeroHeader)) {
      if (wholeBlocks > 0) blockOf(file, unreadFrom - 1);
    } else if (i === end.fileIndex) {
      file.endOffset = end.offset;
      if (end.offset < unreadFrom) blockOf(file, end.offset);
      unreadFrom = end.offset;
    } else {
      file.afterEnd = true;
      unreadFrom = 0;
    }
    const found = firstNonZero(opened[i].file, unreadFrom);
    if (found === undefined) continue;
    addDamage(
      file,
      found,
      file.afterEnd
        ? "data in a file after the end of the log (open sets the file aside)"
        : found >= wholeBlocks * BLOCK_SIZE
        ? "data in the last, partial block (never read)"
        : "data after the zero header that ends the log (open erases it)",
    );
  }
}

/** The report of the block of `file` at `offset`, with those before it. */
function blockOf(file: FileReport, offset: number): BlockReport {
  const index = Math.floor(offset / BLOCK_SIZE);
  while (file.blocks.length <= index) {
    const i = file.blocks.length;
    file.blocks.push({
      index: i,
      offset: i * BLOCK_SIZE,
      records: 0,
      corruptions: [],
    });
  }
  return file.blocks[index];
}

function addDamage(file: FileReport, offset: number, reason: string): void {
  blockOf(file, offset).corruptions.push({ offset, reason });
  file.corruptionCount++;
}

/** The offset of the first non-zero byte of `file` from `from`, if any. */
function firstNonZero(file: AdapterFile, from: number): number | undefined {
  const size = file.size();
  if (from >= size) return undefined;
  const buffer = new Uint8Array(Math.min(SCAN_CHUNK, size - from));
  for (let offset = from; offset < size;) {
    const n = file.read(buffer, offset);
    if (n <= 0) break;
    for (let i = 0; i < n; i++) {
      if (buffer[i] !== 0) return offset + i;
    }
    offset += n;
  }
  return undefined;
}
