/**
 * Log bytes read back for tests: the records and corruption the library's
 * frame reader finds in them ({@linkcode readLog}), and the frame headers
 * parsed independently of it ({@linkcode parseFrames}).
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { BLOCK_SIZE, HEADER_SIZE } from "../../src/format/frame.ts";
import { type LogEnd, readFrames } from "../../src/storage/frame_reader.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { writeLogFiles } from "./log_bytes.ts";

/** A record found by {@linkcode readLog}. */
export interface ReadRecord {
  /** The record's bytes (a copy). */
  bytes: Uint8Array;
  /** The file number its first frame is in. */
  fileNumber: number;
  /** The offset of its first frame. */
  offset: number;
}

/** A corruption found by {@linkcode readLog}. */
export interface ReadCorruption {
  /** The file number. */
  fileNumber: number;
  /** The offset. */
  offset: number;
  /** Why. */
  reason: string;
}

/** What {@linkcode readLog} found. */
export interface ReadResult {
  /** Records, in order. */
  records: ReadRecord[];
  /** Corruption skipped, in order. */
  corruptions: ReadCorruption[];
  /** Where the data ended. */
  end: LogEnd | undefined;
}

/** Reads `files` (numbered from `first`) with `readFrames`. */
export function readLog(files: Uint8Array[], first = 0): ReadResult {
  const fs = new MemoryFileAdapter();
  writeLogFiles(fs, "/log", files, first);
  const open = files.map((_, i) => ({
    number: first + i,
    file: fs.open(`/log/${segmentName(first + i)}`, { create: false }),
  }));
  const records: ReadRecord[] = [];
  const corruptions: ReadCorruption[] = [];
  const end = readFrames(open, {
    record(bytes, fileNumber, offset) {
      records.push({ bytes: bytes.slice(), fileNumber, offset });
    },
    corruption(fileNumber, offset, reason) {
      corruptions.push({ fileNumber, offset, reason });
    },
  });
  for (const { file } of open) file.close();
  return { records, corruptions, end };
}

/** A frame header found by {@linkcode parseFrames}. */
export interface FrameInfo {
  /** Offset of the header. */
  offset: number;
  /** Frame type. */
  type: number;
  /** Payload length. */
  length: number;
  /** Whether the checksum matches. */
  checksumOk: boolean;
}

/**
 * The frame headers of well-formed log bytes starting at a block boundary,
 * skipping padding, up to a zero header or the end.
 */
export function parseFrames(bytes: Uint8Array): FrameInfo[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: FrameInfo[] = [];
  let at = 0;
  while (at + HEADER_SIZE <= bytes.length) {
    const room = BLOCK_SIZE - (at % BLOCK_SIZE);
    if (room < HEADER_SIZE) {
      at += room;
      continue;
    }
    const checksum = view.getUint32(at, true);
    const length = view.getUint16(at + 4, true);
    const type = bytes[at + 6];
    if (checksum === 0 && length === 0 && type === 0) break;
    const end = at + HEADER_SIZE + length;
    out.push({
      offset: at,
      type,
      length,
      checksumOk: crc32(bytes.subarray(at + 6, end)) === checksum,
    });
    at = end;
  }
  return out;
}
