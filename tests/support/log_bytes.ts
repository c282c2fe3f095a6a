/**
 * Log bytes built by hand for tests: raw frames and records (right or
 * deliberately wrong), whole blocks, a {@linkcode LogBuilder} that lays
 * records out as the log writer does, and a way to put the files into a
 * memory file system.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { BLOCK_SIZE, HEADER_SIZE } from "../../src/format/frame.ts";
import { FrameWriter } from "../../src/format/frame_writer.ts";
import {
  RecordKind,
  writeAppendRecord,
  writeControlRecord,
} from "../../src/format/record.ts";
import { segmentName } from "../../src/storage/segment_file.ts";
import type { MemoryFileAdapter } from "../../src/testing/memory_file_adapter.ts";
import { concat, utf8 } from "./bytes.ts";

/** Options of {@linkcode frameBytes}. */
export interface FrameOptions {
  /** The checksum to write instead of the right one. */
  checksum?: number;
  /** The length to write instead of the payload's. */
  length?: number;
}

/** One raw frame: `crc32 | length u16 | type | payload`. */
export function frameBytes(
  type: number,
  payload: Uint8Array,
  options: FrameOptions = {},
): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const view = new DataView(out.buffer);
  out[6] = type;
  out.set(payload, HEADER_SIZE);
  view.setUint16(4, options.length ?? payload.length, true);
  view.setUint32(0, options.checksum ?? crc32(out.subarray(6)), true);
  return out;
}

/** `parts` back to back, zero-padded to one whole block. */
export function block(...parts: Uint8Array[]): Uint8Array {
  const bytes = concat(...parts);
  if (bytes.length > BLOCK_SIZE) throw new Error("block overflows");
  const out = new Uint8Array(BLOCK_SIZE);
  out.set(bytes);
  return out;
}

/** An item of an AppendRecords body for {@linkcode recordBytes}. */
export interface RawItem {
  /** The item's position (a bigint for values above 2^53 - 1). */
  position: number | bigint;
  /** The item's payload. */
  payload: Uint8Array;
}

/**
 * A record's raw bytes: `kind | position u64 | name length u16 | name | body`.
 * Positions may be bigints, to write values JavaScript numbers cannot hold.
 */
export function recordBytes(
  kind: number,
  position: number | bigint,
  queue: string | Uint8Array,
  items: RawItem[] = [],
): Uint8Array {
  const name = typeof queue === "string" ? utf8(queue) : queue;
  let length = 11 + name.length;
  for (const item of items) length += 12 + item.payload.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = kind;
  view.setBigUint64(1, BigInt(position), true);
  view.setUint16(9, name.length, true);
  out.set(name, 11);
  let at = 11 + name.length;
  for (const item of items) {
    view.setBigUint64(at, BigInt(item.position), true);
    view.setUint32(at + 8, item.payload.length, true);
    out.set(item.payload, at + 12);
    at += 12 + item.payload.length;
  }
  return out;
}

/** Payloads given as strings are UTF-8 encoded. */
export type PayloadLike = Uint8Array | string;

function toBytes(payload: PayloadLike): Uint8Array {
  return typeof payload === "string" ? utf8(payload) : payload;
}

/**
 * Builds log bytes record by record with the library's own frame and record
 * writers, as the log writer lays them out from offset 0 of file 0.
 */
export class LogBuilder {
  #frames = new FrameWriter(0);
  #parts: Uint8Array[] = [];

  /** A Touch record: the queue's next position is `position`. */
  touch(queue: string, position: number): this {
    return this.#add((f) =>
      writeControlRecord(f, RecordKind.Touch, utf8(queue), position)
    );
  }

  /** A Truncate record up to and including `position`. */
  truncate(queue: string, position: number): this {
    return this.#add((f) =>
      writeControlRecord(f, RecordKind.Truncate, utf8(queue), position)
    );
  }

  /** A DeleteQueue record. */
  deleteQueue(queue: string, position = 0): this {
    return this.#add((f) =>
      writeControlRecord(f, RecordKind.DeleteQueue, utf8(queue), position)
    );
  }

  /** An AppendRecords record of `payloads` at consecutive positions from `position`. */
  append(queue: string, position: number, payloads: PayloadLike[]): this {
    return this.#add((f) =>
      writeAppendRecord(f, utf8(queue), position, payloads.map(toBytes))
    );
  }

  /** Any record, given as raw bytes (see {@linkcode recordBytes}). */
  record(bytes: Uint8Array): this {
    return this.#add((f) => {
      const padding = f.beginRecord(bytes.length);
      f.bytes(bytes);
      return padding + f.endRecord();
    });
  }

  /** The log bytes so far, zero-padded to whole blocks. */
  bytes(): Uint8Array {
    const data = concat(...this.#parts);
    const length = Math.max(
      BLOCK_SIZE,
      Math.ceil(data.length / BLOCK_SIZE) * BLOCK_SIZE,
    );
    const out = new Uint8Array(length);
    out.set(data);
    return out;
  }

  /**
   * The log bytes cut into files of `segmentBytes`; the last one holds the
   * rest, zero-padded to whole blocks.
   */
  files(segmentBytes: number): Uint8Array[] {
    const all = this.bytes();
    const out: Uint8Array[] = [];
    for (let at = 0; at < all.length; at += segmentBytes) {
      out.push(all.slice(at, at + segmentBytes));
    }
    return out;
  }

  #add(encode: (frames: FrameWriter) => number): this {
    encode(this.#frames);
    this.#parts.push(this.#frames.take().slice());
    return this;
  }
}

/** Writes log files `wal-<first>`, `wal-<first + 1>`, ... into `dir` of a memory file system. */
export function writeLogFiles(
  fs: MemoryFileAdapter,
  dir: string,
  files: Uint8Array[],
  first = 0,
): void {
  fs.mkdir(dir);
  files.forEach((bytes, i) => {
    fs.writeFileBytes(`${dir}/${segmentName(first + i)}`, bytes);
  });
}
