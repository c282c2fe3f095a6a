/**
 * The records of the log, carried in frames:
 * `kind u8 | position u64 | queue name length u16 | queue name | body`, where
 * the body of AppendRecords is `position u64 | length u32 | payload`, repeated.
 *
 * @module
 */

import type { FrameWriter } from "./frame_writer.ts";

/** A record's kind byte. */
export const RecordKind = {
  /** Drops the queue's records at positions up to and including `position`. */
  Truncate: 1,
  /** Records the queue's next position (creates the queue if missing). */
  Touch: 2,
  /** Deletes the queue. */
  DeleteQueue: 3,
  /** Appends consecutive records starting at `position`. */
  AppendRecords: 4,
} as const;

/** Bytes before the queue name: kind, position, name length. */
const PREFIX_SIZE = 11;
/** Bytes before each payload in an AppendRecords body. */
const ITEM_HEADER_SIZE = 12;

/** Writes a Truncate, Touch or DeleteQueue record; returns its log bytes. */
export function writeControlRecord(
  frames: FrameWriter,
  kind: number,
  queue: Uint8Array,
  position: number,
): number {
  const padding = frames.beginRecord(PREFIX_SIZE + queue.length);
  writePrefix(frames, kind, queue, position);
  return padding + frames.endRecord();
}

/** The length of a Truncate, Touch or DeleteQueue record (before framing) for a queue name of `nameBytes` bytes. */
export function controlRecordLength(nameBytes: number): number {
  return PREFIX_SIZE + nameBytes;
}

/**
 * The length of an AppendRecords record (before framing) of `count`
 * payloads of `payloadBytes` bytes in all, for a queue name of
 * `nameBytes` bytes.
 */
export function appendRecordLength(
  nameBytes: number,
  count: number,
  payloadBytes: number,
): number {
  return PREFIX_SIZE + nameBytes + count * ITEM_HEADER_SIZE + payloadBytes;
}

/**
 * Writes an AppendRecords record of `payloads` at consecutive positions from
 * `position`; returns its log bytes (headers, payloads and padding).
 */
export function writeAppendRecord(
  frames: FrameWriter,
  queue: Uint8Array,
  position: number,
  payloads: readonly Uint8Array[],
): number {
  let length = PREFIX_SIZE + queue.length;
  for (const payload of payloads) length += ITEM_HEADER_SIZE + payload.length;
  const padding = frames.beginRecord(length);
  writePrefix(frames, RecordKind.AppendRecords, queue, position);
  for (let i = 0; i < payloads.length; i++) {
    frames.u64(position + i);
    frames.u32(payloads[i].length);
    frames.bytes(payloads[i]);
  }
  return padding + frames.endRecord();
}

function writePrefix(
  frames: FrameWriter,
  kind: number,
  queue: Uint8Array,
  position: number,
): void {
  frames.u8(kind);
  frames.u64(position);
  frames.u16(queue.length);
  frames.bytes(queue);
}

/** A decoded record. Payloads of AppendRecords are views of the input. */
export interface DecodedRecord {
  /** One of {@linkcode RecordKind}. */
  kind: number;
  /** The header position, or `undefined` if it is above 2^53. */
  position: number | undefined;
  /** The queue name. */
  queue: string;
  /** For AppendRecords: the offset of the body in the input. */
  bodyOffset: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a record's header. Returns a string saying what is wrong if the
 * bytes are not a well-formed record.
 */
export function decodeRecord(bytes: Uint8Array): DecodedRecord | string {
  if (bytes.length < PREFIX_SIZE) return "record shorter than its header";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = bytes[0];
  if (kind < RecordKind.Truncate || kind > RecordKind.AppendRecords) {
    return `unknown record kind ${kind}`;
  }
  const nameLength = view.getUint16(9, true);
  const bodyOffset = PREFIX_SIZE + nameLength;
  if (bodyOffset > bytes.length) return "queue name runs past the record";
  if (kind !== RecordKind.AppendRecords && bodyOffset !== bytes.length) {
    return "unexpected bytes after the queue name";
  }
  let queue: string;
  try {
    queue = utf8.decode(bytes.subarray(PREFIX_SIZE, bodyOffset));
  } catch {
    return "queue name is not valid UTF-8";
  }
  return { kind, position: readU64(view, 1), queue, bodyOffset };
}

/** Bytes before each payload in an AppendRecords body: position u64, length u32. */
export const APPEND_ITEM_HEADER_SIZE = ITEM_HEADER_SIZE;

/**
 * Checks that the items of an AppendRecords body (from `bodyOffset` to the
 * end of `bytes`) are laid out whole. Returns what is wrong, if anything.
 */
export function checkAppendItems(
  bytes: Uint8Array,
  bodyOffset: number,
): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = bodyOffset;
  while (offset < bytes.length) {
    if (offset + ITEM_HEADER_SIZE > bytes.length) {
      return "truncated item header";
    }
    offset += ITEM_HEADER_SIZE + view.getUint32(offset + 8, true);
    if (offset > bytes.length) return "item payload runs past the record";
  }
  return undefined;
}

/**
 * Walks the items of an AppendRecords body, calling `onItem` with each
 * position (undefined above 2^53) and the offset and length of its
 * payload in `bytes`. Returns an error string if the body is malformed, in
 * which case no item was reported.
 */
export function forEachAppendItem(
  bytes: Uint8Array,
  bodyOffset: number,
  onItem: (
    position: number | undefined,
    offset: number,
    length: number,
  ) => void,
): string | undefined {
  // Validate first, so that a malformed body reports nothing.
  const problem = checkAppendItems(bytes, bodyOffset);
  if (problem !== undefined) return problem;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = bodyOffset;
  while (offset < bytes.length) {
    const length = view.getUint32(offset + 8, true);
    onItem(readU64(view, offset), offset + ITEM_HEADER_SIZE, length);
    offset += ITEM_HEADER_SIZE + length;
  }
  return undefined;
}

/**
 * The position of the AppendRecords item at `offset` in `view` (a checked
 * body: see {@linkcode checkAppendItems}), or `undefined` above 2^53.
 */
export function appendItemPosition(
  view: DataView,
  offset: number,
): number | undefined {
  return readU64(view, offset);
}

/**
 * Reads a u64 as a number, or `undefined` above 2^53 (2^53 itself is exact:
 * the next position after a record at 2^53 - 1).
 */
function readU64(view: DataView, offset: number): number | undefined {
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  if (high > 0x20_0000 || (high === 0x20_0000 && low !== 0)) return undefined;
  return high * 0x1_0000_0000 + low;
}
