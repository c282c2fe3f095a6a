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
  type AdapterFile,
  type FileAdapter,
  readFully,
} from "../storage/file_adapter.ts";
import { segmentName } from "../storage/segment_file.ts";
import {
  type ColdRecords,
  decodeColdRecords,
  ItemArrays,
  itemOf,
} from "./cold_records.ts";

/**
 * Bytes read from a log file at once: 8 whole blocks, 256 KiB (nearly as
 * fast per byte as 1 MiB reads, and a quarter of the time the event loop is
 * held for each).
 */
export const COLD_READ_BYTES = 8 * BLOCK_SIZE;
/** Windows of `COLD_READ_BYTES` kept, the most recently used. */
const CACHED_WINDOWS = 8;
/** Bytes of the buffers records read are copied into, one after the other. */
const ARENA_BYTES = 1024 * 1024;
const utf8 = new TextEncoder();

/** Bytes of a log file, read from `start` (a multiple of `COLD_READ_BYTES`). */
interface Window {
  fileNumber: number;
  start: number;
  /** What the read gave: shorter than `COLD_READ_BYTES` at the file's end. */
  bytes: Uint8Array;
  /** Records made contiguous in `bytes` (or copied), by their offset. */
  moved?: Map<number, Uint8Array>;
}

/**
 * Reads cold records back from the log files of `dir`: the record at a known
 * offset of a known file, in windows of {@linkcode COLD_READ_BYTES} read
 * with one positional read each (the last few kept), so that records read
 * in order cost one read per 256 KiB. Payloads returned never change: they are
 * views of their window (a new buffer for each read, never read over), or,
 * for the few records whose frames are in two windows, of a copy in a
 * buffer of `ARENA_BYTES` shared with the next such records; there is no
 * allocation per record. A payload kept keeps its window (256 KiB) in
 * memory. Every frame's checksum is verified; a
 * damaged or missing record raises `CorruptionError`, as damage found on
 * open with `strict` does, and is never returned. Reads are synchronous
 * (the file adapter's `read`).
 */
export class ColdReader {
  readonly #adapter: FileAdapter;
  readonly #dir: string;
  #windows: Window[] = [];
  #last: ColdRecords | undefined;
  readonly #items = new ItemArrays();
  #arena = new Uint8Array(0);
  #arenaUsed = 0;
  #name = "";
  #nameBytes = new Uint8Array(0);
  /** The file read last, open until the current synchronous run ends. */
  #file: AdapterFile | undefined;
  #fileNumber = -1;
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
   * `fileNumber`. The bytes never change (see the class).
   */
  payload(
    fileNumber: number,
    offset: number,
    queue: string,
    position: number,
  ): Uint8Array {
    const record = this.records(fileNumber, offset, queue);
    const i = itemOf(record, position);
    return new Uint8Array(
      record.bytes.buffer,
      record.starts[i],
      record.lengths[i],
    );
  }

  /**
   * The items of the AppendRecords record of queue `queue` whose first frame
   * is at `offset` in log file `fileNumber` (the last one read is kept).
   */
  records(fileNumber: number, offset: number, queue: string): ColdRecords {
    let record = this.#last;
    if (
      record === undefined || record.offset !== offset ||
      record.fileNumber !== fileNumber || record.queue !== queue
    ) {
      record = this.#decode(fileNumber, offset, queue);
      this.#last = record;
    }
    return record;
  }

  #decode(fileNumber: number, offset: number, queue: string): ColdRecords {
    if (queue !== this.#name) {
      this.#name = queue;
      this.#nameBytes = utf8.encode(queue);
    }
    const bytes = this.#recordBytes(fileNumber, offset);
    return decodeColdRecords(
      bytes,
      fileNumber,
      offset,
      queue,
      this.#nameBytes,
      this.#items,
    );
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
   * end, whole blocks, before the next one is started). A record in one
   * frame is a view of its window; one in several frames of one window is
   * made contiguous in it, its first frames' payloads moved up over the
   * headers that follow (the window is never read over, and remembers the
   * records moved so: their frames are no longer intact); one in several
   * windows is copied to the arena.
   */
  #reassemble(startFile: number, offset: number): Uint8Array {
    let fileNumber = startFile;
    let at = offset;
    let first: Window | undefined; // the window of the first frame
    let from = 0; // the record's bytes so far: first.bytes[from, to),
    let to = 0; // or `total` bytes in the arena once `copied`
    let copied = false;
    let total = 0;
    for (;;) {
      const blockStart = at - (at % BLOCK_SIZE);
      if (blockStart + BLOCK_SIZE - at < HEADER_SIZE) {
        at = blockStart + BLOCK_SIZE; // zero padding up to the next block
        continue;
      }
      const window = this.#window(fileNumber, blockStart);
      if (first === undefined) {
        const moved = window.moved?.get(offset);
        if (moved !== undefined) return moved;
      }
      const bytes = window.bytes;
      const base = blockStart - window.start;
      const blockEnd = Math.min(base + BLOCK_SIZE, bytes.length);
      if (blockEnd - base < BLOCK_SIZE && first !== undefined) {
        fileNumber++; // the record goes on at the start of the next file
        at = 0;
        continue;
      }
      const h = base + at - blockStart;
      const starts = first === undefined;
      const end = checkedFrameEnd(bytes, h, blockEnd, starts, fileNumber, at);
      const type = bytes[h + 6];
      const payload = h + HEADER_SIZE;
      if (first === undefined) {
        if (type === FrameType.Full) return bytes.subarray(payload, end);
        first = window;
        from = payload;
        to = end;
      } else if (!copied && window === first) {
        bytes.copyWithin(from + payload - to, from, to);
        from += payload - to;
        to = end;
      } else {
        if (!copied) {
          this.#copy(first.bytes, from, to - from, 0);
          total = to - from;
          copied = true;
        }
        this.#copy(bytes, payload, end - payload, total);
        total += end - payload;
      }
      if (type === FrameType.Last) {
        const record = copied
          ? this.#takeCopy(total)
          : first.bytes.subarray(from, to);
        (first.moved ??= new Map()).set(offset, record);
        return record;
      }
      at = blockStart + end - base;
    }
  }

  /** The `total` bytes copied to the arena's free space, from now on used. */
  #takeCopy(total: number): Uint8Array {
    const record = this.#arena.subarray(
      this.#arenaUsed,
      this.#arenaUsed + total,
    );
    this.#arenaUsed += total;
    return record;
  }

  /**
   * Copies `length` bytes of `block` from `from` to the arena, `done` bytes
   * after its free space starts (the bytes of the record copied so far); a
   * new arena (those bytes moved in) if it has no room.
   */
  #copy(block: Uint8Array, from: number, length: number, done: number): void {
    const at = this.#arenaUsed + done;
    if (at + length > this.#arena.length) {
      const arena = new Uint8Array(Math.max(ARENA_BYTES, 2 * (done + length)));
      arena.set(this.#arena.subarray(this.#arenaUsed, at));
      this.#arena = arena;
      this.#arenaUsed = 0;
    }
    this.#arena.set(
      block.subarray(from, from + length),
      this.#arenaUsed + done,
    );
  }

  /** The window of file `fileNumber` that holds the block at `blockStart`. */
  #window(fileNumber: number, blockStart: number): Window {
    const start = blockStart - (blockStart % COLD_READ_BYTES);
    const windows = this.#windows;
    const index = windows.findIndex((w) =>
      w.start === start && w.fileNumber === fileNumber
    );
    if (index === 0) return windows[0];
    let window: Window;
    if (index > 0) {
      window = windows[index];
      windows.splice(index, 1);
    } else {
      if (windows.length >= CACHED_WINDOWS) windows.pop();
      // Never reused: records are handed out as views of it.
      window = this.#read(fileNumber, start, new Uint8Array(COLD_READ_BYTES));
    }
    windows.unshift(window);
    return window;
  }

  /** Reads the window at `start` of file `fileNumber` into `buffer`. */
  #read(fileNumber: number, start: number, buffer: Uint8Array): Window {
    const got = readFully(this.#open(fileNumber), buffer, start);
    this.reads++;
    return { fileNumber, start, bytes: buffer.subarray(0, got) };
  }

  /**
   * Log file `fileNumber`, opened read-only. The handle is kept for the
   * reads that follow in the same synchronous run (a drain reads window
   * after window without yielding) and closed at the next microtask
   * checkpoint: no handle is left open across an `await` (the file may be
   * deleted meanwhile).
   */
  #open(fileNumber: number): AdapterFile {
    if (this.#file !== undefined && this.#fileNumber === fileNumber) {
      return this.#file;
    }
    this.#closeFile();
    const path = `${this.#dir}/${segmentName(fileNumber)}`;
    const file = this.#adapter.open(path, { create: false, readOnly: true });
    this.#file = file;
    this.#fileNumber = fileNumber;
    queueMicrotask(() => {
      if (this.#file === file) this.#closeFile();
    });
    return file;
  }

  #closeFile(): void {
    const file = this.#file;
    this.#file = undefined;
    this.#fileNumber = -1;
    file?.close();
  }
}

/**
 * Checks the frame whose header is at `h` in `bytes`, in a block that ends
 * at `blockEnd`: that it fits in the block, its checksum, and that its type
 * is one the first frame of a record may have (`starts`) or a later one.
 * Returns where the frame ends in `bytes`; raises `CorruptionError` (at
 * offset `at` of log file `fileNumber`) if it is damaged.
 */
function checkedFrameEnd(
  bytes: Uint8Array,
  h: number,
  blockEnd: number,
  starts: boolean,
  fileNumber: number,
  at: number,
): number {
  if (h + HEADER_SIZE > blockEnd) {
    throw new CorruptionError(fileNumber, at, "the file ends in the record");
  }
  const checksum = (bytes[h] | (bytes[h + 1] << 8) | (bytes[h + 2] << 16) |
    (bytes[h + 3] << 24)) >>> 0;
  const length = bytes[h + 4] | (bytes[h + 5] << 8);
  const type = bytes[h + 6];
  const end = h + HEADER_SIZE + length;
  if (end > blockEnd) {
    throw new CorruptionError(
      fileNumber,
      at,
      "frame length runs past the block",
    );
  }
  if (crc32(bytes.subarray(h + 6, end)) !== checksum) {
    throw new CorruptionError(fileNumber, at, "checksum mismatch");
  }
  const expected = starts
    ? type === FrameType.Full || type === FrameType.First
    : type === FrameType.Middle || type === FrameType.Last;
  if (!expected) {
    throw new CorruptionError(fileNumber, at, `unexpected frame type ${type}`);
  }
  return end;
}
