/**
 * A read-only check of a log directory: every frame of every log file, with
 * what is intact and what is corrupted, per file and per 32 KiB block.
 *
 * @module
 */

import * as fs from "node:fs";
import type { AdapterFile } from "../storage/file_adapter.ts";
import { BLOCK_SIZE } from "../format/frame.ts";
import { type LogFileToRead, readFrames } from "../storage/frame_reader.ts";
import {
  decodeRecord,
  forEachAppendItem,
  RecordKind,
} from "../format/record.ts";
import { parseSegmentName } from "../storage/segment_file.ts";

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
}

const SCAN_CHUNK = 4 * 1024 * 1024;

/**
 * Reads every frame of every log file (`wal-` and 20 digits) in `dir`, in
 * order, without writing anything: files are opened read-only and the
 * directory is not locked. Frames are walked as `MultiRecordLog.open` walks
 * them (`readFrames`); each reassembled record is also decoded. Damage is
 * reported per file and per block: frames with a bad checksum, type or
 * length, records that do not decode, and non-zero bytes that no reader ever
 * reads (after the zero header that ends the log, in a file after it, or in a
 * last partial block).
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
  const names = fs.readdirSync(dir, { withFileTypes: true })
    .filter((entry) =>
      entry.isFile() && parseSegmentName(entry.name) !== undefined
    )
    .map((entry) => entry.name)
    .sort((a, b) => parseSegmentName(a)! - parseSegmentName(b)!);
  const files: FileReport[] = [];
  const opened: ReadOnlyFile[] = [];
  let bytesRead = 0;
  let bytesTotal = 0;
  const progress = (n: number): void => {
    bytesRead += n;
    options.onProgress?.(bytesRead, bytesTotal);
  };
  try {
    for (const name of names) {
      const file = new ReadOnlyFile(`${dir}/${name}`, progress);
      opened.push(file);
      const bytes = file.size();
      bytesTotal += bytes;
      files.push({
        name,
        number: parseSegmentName(name)!,
        bytes,
        blocks: [],
        records: 0,
        corruptionCount: 0,
        endOffset: undefined,
        afterEnd: false,
        partialBlockBytes: bytes % BLOCK_SIZE,
      });
    }
    walk(files, opened);
  } finally {
    for (const file of opened) file.close();
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

function walk(files: FileReport[], opened: ReadOnlyFile[]): void {
  const byNumber = new Map(files.map((file) => [file.number, file]));
  const blockOf = (file: FileReport, offset: number): BlockReport => {
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
  };
  const damage = (file: FileReport, offset: number, reason: string): void => {
    blockOf(file, offset).corruptions.push({ offset, reason });
    file.corruptionCount++;
  };
  const toRead: LogFileToRead[] = files.map((file, i) => ({
    number: file.number,
    file: opened[i],
  }));
  const end = readFrames(toRead, {
    corruption(number, offset, reason) {
      damage(byNumber.get(number)!, offset, reason);
    },
    record(bytes, number, offset) {
      const file = byNumber.get(number)!;
      const problem = recordProblem(bytes);
      if (problem) return damage(file, offset, problem);
      blockOf(file, offset).records++;
      file.records++;
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
    const found = firstNonZero(opened[i], unreadFrom);
    if (found === undefined) continue;
    damage(
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

/** Why a reassembled record does not decode, or `undefined` if it does. */
function recordProblem(bytes: Uint8Array): string | undefined {
  const record = decodeRecord(bytes);
  if (typeof record === "string") return record;
  if (record.kind !== RecordKind.AppendRecords) return undefined;
  return forEachAppendItem(bytes, record.bodyOffset, () => {});
}

/** The offset of the first non-zero byte of `file` from `from`, if any. */
function firstNonZero(file: ReadOnlyFile, from: number): number | undefined {
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

/** A log file opened read-only (`node:fs`, flag `"r"`); writing throws. */
class ReadOnlyFile implements AdapterFile {
  readonly #fd: number;
  readonly #onRead: (bytes: number) => void;

  constructor(path: string, onRead: (bytes: number) => void) {
    this.#fd = fs.openSync(path, "r");
    this.#onRead = onRead;
  }

  read(buffer: Uint8Array, offset: number): number {
    const n = fs.readSync(this.#fd, buffer, 0, buffer.length, offset);
    this.#onRead(n);
    return n;
  }

  write(): number {
    throw new Error("verifyLog opens log files read-only");
  }

  truncate(): void {
    throw new Error("verifyLog opens log files read-only");
  }

  size(): number {
    return fs.fstatSync(this.#fd).size;
  }

  syncData(): Promise<void> {
    return Promise.reject(new Error("verifyLog opens log files read-only"));
  }

  syncDataSync(): void {
    throw new Error("verifyLog opens log files read-only");
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
