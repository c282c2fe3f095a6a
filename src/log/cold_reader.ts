/**
 * Reading records that left memory ("cold" records, see the `hotBytes` open
 * option) back from the log files.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { CorruptionError } from "../errors.ts";
import { BLOCK_SIZE, FrameType, HEADER_SIZE } from "../format/frame.ts";
import {
  decodeRecord,
  forEachAppendItem,
  RecordKind,
} from "../format/record.ts";
import { type FileAdapter, readFully } from "../storage/file_adapter.ts";
import { segmentName } from "../storage/segment_file.ts";

/** Bytes read from a log file at once: 32 whole blocks, 1 MiB. */
export const COLD_READ_BYTES = 32 * BLOCK_SIZE;
/** Windows of `COLD_READ_BYTES` kept, the most recently used. */
const CACHED_WINDOWS = 4;

/** Bytes of a log file, read from `start` (a multiple of `COLD_READ_BYTES`). */
interface Window {
  fileNumber: number;
  start: number;
  /** What the read gave: shorter than `COLD_READ_BYTES` at the file's end. */
  bytes: Uint8Array;
}

/** The items of the AppendRecords record read last. */
interface DecodedAppend {
  fileNumber: number;
  offset: number;
  queue: string;
  bytes: Uint8Array;
  positions: number[];
  starts: number[];
  lengths: number[];
}

/**
 * Reads cold records back from the log files of `dir`: the record at a known
 * offset of a known file, in windows of {@linkcode COLD_READ_BYTES} read
 * with one positional read each (the last few kept, their buffers reused),
 * so that records read in order cost one read per MiB. Payloads returned
 * are copies: they never change. Every frame's checksum is verified; a
 * damaged or missing record raises `CorruptionError`, as damage found on
 * open with `strict` does, and is never returned. Reads are synchronous
 * (the file adapter's `read`).
 */
export class ColdReader {
  readonly #adapter: FileAdapter;
  readonly #dir: string;
  #windows: Window[] = [];
  #last: DecodedAppend | undefined;
  /** Windows read from the files so far. */
  reads = 0;

  /** Reads the log files of `dir` through `adapter`. */
  constructor(adapter: FileAdapter, dir: string) {
    this.#adapter = adapter;
    this.#dir = dir;
  }

  /**
   * The payload of the record at `position` of queue `queue`, in the
   * AppendRecords record whose first frame is at `offset` in log file
   * `fileNumber`. The bytes are a view of a copy, never reused.
   */
  payload(
    fileNumber: number,
    offset: number,
    queue: string,
    position: number,
  ): Uint8Array {
    let record = this.#last;
    if (
      record === undefined || record.offset !== offset ||
      record.fileNumber !== fileNumber || record.queue !== queue
    ) {
      record = this.#decode(fileNumber, offset, queue);
      this.#last = record;
    }
    let i = position - record.positions[0];
    if (record.positions[i] !== position) {
      i = record.positions.indexOf(position);
    }
    if (i < 0) {
      throw new CorruptionError(
        fileNumber,
        offset,
        `the record at position ${position} of queue "${queue}" is not in it`,
      );
    }
    const start = record.starts[i];
    return record.bytes.subarray(start, start + record.lengths[i]);
  }

  /** Forgets every window read (the files may have changed). */
  clear(): void {
    this.#windows = [];
    this.#last = undefined;
  }

  #decode(fileNumber: number, offset: number, queue: string): DecodedAppend {
    const bytes = this.#recordBytes(fileNumber, offset);
    const decoded = decodeRecord(bytes);
    const fail = (reason: string): never => {
      throw new CorruptionError(fileNumber, offset, reason);
    };
    if (typeof decoded === "string") return fail(decoded);
    if (decoded.kind !== RecordKind.AppendRecords || decoded.queue !== queue) {
      return fail(`expected records of queue "${queue}" there`);
    }
    const record: DecodedAppend = {
      fileNumber,
      offset,
      queue,
      bytes,
      positions: [],
      starts: [],
      lengths: [],
    };
    const problem = forEachAppendItem(bytes, decoded.bodyOffset, (p, s, n) => {
      record.positions.push(p ?? -1);
      record.starts.push(s);
      record.lengths.push(n);
    });
    if (problem !== undefined) return fail(problem);
    return record;
  }

  /**
   * The bytes of the record whose first frame is at `offset`, reassembled
   * from its frames, checksums verified. Damage found in windows read
   * earlier is checked again on fresh reads: a window may have been read
   * before the record was written.
   */
  #recordBytes(fileNumber: number, offset: number): Uint8Array {
    try {
      return this.#reassemble(fileNumber, offset);
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      this.#windows = [];
      return this.#reassemble(fileNumber, offset);
    }
  }

  /**
   * A record's frames may go on in the next file (a file is filled to its
   * end, whole blocks, before the next one is started).
   */
  #reassemble(startFile: number, offset: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    let fileNumber = startFile;
    let at = offset;
    for (;;) {
      const blockStart = at - (at % BLOCK_SIZE);
      if (blockStart + BLOCK_SIZE - at < HEADER_SIZE) {
        at = blockStart + BLOCK_SIZE; // zero padding up to the next block
        continue;
      }
      const block = this.#block(fileNumber, blockStart);
      const h = at - blockStart;
      const fail = (reason: string): never => {
        throw new CorruptionError(fileNumber, at, reason);
      };
      if (block.length < BLOCK_SIZE && parts.length > 0) {
        fileNumber++; // the record goes on at the start of the next file
        at = 0;
        continue;
      }
      if (h + HEADER_SIZE > block.length) fail("the file ends in the record");
      const view = new DataView(block.buffer, block.byteOffset);
      const checksum = view.getUint32(h, true);
      const length = view.getUint16(h + 4, true);
      const type = block[h + 6];
      const end = h + HEADER_SIZE + length;
      if (end > block.length) fail("frame length runs past the block");
      if (crc32(block.subarray(h + 6, end)) !== checksum) {
        fail("checksum mismatch");
      }
      const first = parts.length === 0;
      const expected = first
        ? type === FrameType.Full || type === FrameType.First
        : type === FrameType.Middle || type === FrameType.Last;
      if (!expected) fail(`unexpected frame type ${type}`);
      const payload = block.subarray(h + HEADER_SIZE, end);
      if (type === FrameType.Full) return payload.slice();
      parts.push(payload.slice()); // its window may be read over meanwhile
      total += length;
      if (type === FrameType.Last) return join(parts, total);
      at = blockStart + end;
    }
  }

  /** The block of file `fileNumber` at `blockStart` (shorter at the file's end). */
  #block(fileNumber: number, blockStart: number): Uint8Array {
    const start = blockStart - (blockStart % COLD_READ_BYTES);
    const windows = this.#windows;
    let index = windows.findIndex((w) =>
      w.start === start && w.fileNumber === fileNumber
    );
    let window: Window;
    if (index >= 0) {
      window = windows[index];
    } else {
      const reused = windows.length >= CACHED_WINDOWS
        ? windows.pop()!.bytes.buffer
        : new ArrayBuffer(COLD_READ_BYTES);
      window = this.#read(fileNumber, start, new Uint8Array(reused));
      windows.unshift(window);
      index = 0;
    }
    if (index > 0) {
      windows.splice(index, 1);
      windows.unshift(window);
    }
    const from = blockStart - start;
    return window.bytes.subarray(
      Math.min(from, window.bytes.length),
      Math.min(from + BLOCK_SIZE, window.bytes.length),
    );
  }

  /** Reads the window at `start` of file `fileNumber` into `buffer`. */
  #read(fileNumber: number, start: number, buffer: Uint8Array): Window {
    const path = `${this.#dir}/${segmentName(fileNumber)}`;
    const file = this.#adapter.open(path, { create: false, readOnly: true });
    try {
      const got = readFully(file, buffer, start);
      this.reads++;
      return { fileNumber, start, bytes: buffer.subarray(0, got) };
    } finally {
      file.close();
    }
  }
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
