/**
 * The items of an AppendRecords record read back from a log file (see
 * `ColdReader`), decoded into arrays, with no object per item.
 *
 * @module
 */

import { CorruptionError } from "../errors.ts";
import { RecordKind } from "../format/record.ts";

/** Kind (1), header position (8), queue name length (2): docs/FORMAT.md. */
const PREFIX_SIZE = 11;
/** Position (8) and payload length (4) before each item's payload. */
const ITEM_HEADER_SIZE = 12;

/**
 * The items of an AppendRecords record read back from a log file: `count`
 * items in the shared arrays `positions`, `starts` and `lengths` from index
 * `first` on (records decoded one after the other follow each other there):
 * item `i` is the record at `positions[i]`, its payload at `starts[i]` in
 * the buffer of `bytes` (not in `bytes`: records of one buffer make one
 * batch), `lengths[i]` long. Never changed once made.
 */
export interface ColdRecords {
  /** The log file the record starts in. */
  readonly fileNumber: number;
  /** Where its first frame starts in that file. */
  readonly offset: number;
  /** Its queue. */
  readonly queue: string;
  /** The record's bytes (verified). */
  readonly bytes: Uint8Array;
  /** Positions of the items (-1 for one past 2^53). */
  readonly positions: Float64Array;
  /** Where each item's payload starts in `bytes.buffer`. */
  readonly starts: Uint32Array;
  /** Each item's payload length. */
  readonly lengths: Uint32Array;
  /** The index of its first item in the arrays. */
  readonly first: number;
  /** Its number of items. */
  readonly count: number;
}

/** Items of the arrays `ItemArrays` starts with. */
const ITEM_ARRAYS_LENGTH = 16384;

/**
 * Arrays the items of records decoded are written to, one record after the
 * other (a new set once they are full): records refer to a range of them,
 * not to arrays of their own (each one an allocation of its own).
 */
export class ItemArrays {
  positions = new Float64Array(0);
  starts = new Uint32Array(0);
  lengths = new Uint32Array(0);
  /** Items written so far: the next one goes there. */
  used = 0;

  /** New arrays, if the current ones have no room for `count` more items. */
  reserve(count: number): void {
    if (this.used + count <= this.positions.length) return;
    const length = Math.max(ITEM_ARRAYS_LENGTH, count);
    this.positions = new Float64Array(length);
    this.starts = new Uint32Array(length);
    this.lengths = new Uint32Array(length);
    this.used = 0;
  }
}

/**
 * Decodes `bytes`, the AppendRecords record of queue `queue` (`nameBytes`
 * in UTF-8) whose first frame is at `offset` of log file `fileNumber`, its
 * items into `arrays` (from `arrays.used` on). Raises `CorruptionError` if
 * it is anything else, or malformed.
 */
export function decodeColdRecords(
  bytes: Uint8Array,
  fileNumber: number,
  offset: number,
  queue: string,
  nameBytes: Uint8Array,
  arrays: ItemArrays,
): ColdRecords {
  const fail = (reason: string): never => {
    throw new CorruptionError(fileNumber, offset, reason);
  };
  const length = bytes.length;
  if (length < PREFIX_SIZE) fail("record shorter than its header");
  const body = PREFIX_SIZE + nameBytes.length;
  let same = bytes[0] === RecordKind.AppendRecords &&
    (bytes[9] | (bytes[10] << 8)) === nameBytes.length && body <= length;
  for (let k = 0; same && k < nameBytes.length; k++) {
    same = bytes[PREFIX_SIZE + k] === nameBytes[k];
  }
  if (!same) fail(`expected records of queue "${queue}" there`);
  // One pass into the room left; if there is not enough, the items are
  // counted, and written again into arrays with room for them all.
  let count = writeItems(bytes, body, arrays, fail);
  if (count < 0) {
    arrays.reserve(countItems(bytes, body, fail));
    count = writeItems(bytes, body, arrays, fail);
  }
  const first = arrays.used;
  arrays.used += count;
  const { positions, starts, lengths } = arrays;
  return {
    fileNumber,
    offset,
    queue,
    bytes,
    positions,
    starts,
    lengths,
    first,
    count,
  };
}

/**
 * Writes the items of the record `bytes` (from `body`) to `arrays` from
 * `arrays.used` on; their count, or -1 if the arrays have no room for all.
 * Raises (`fail`) on a malformed item.
 */
function writeItems(
  bytes: Uint8Array,
  body: number,
  arrays: ItemArrays,
  fail: (reason: string) => never,
): number {
  const { positions, starts, lengths } = arrays;
  const length = bytes.length;
  const base = bytes.byteOffset + ITEM_HEADER_SIZE;
  const from = arrays.used;
  const room = positions.length;
  let i = from;
  for (let at = body; at < length; i++) {
    if (at + ITEM_HEADER_SIZE > length) fail("truncated item header");
    const low = u32(bytes, at);
    const high = u32(bytes, at + 4);
    const n = u32(bytes, at + 8);
    if (at + ITEM_HEADER_SIZE + n > length) {
      fail("item payload runs past the record");
    }
    if (i >= room) return -1;
    // Above 2^53 (2^53 itself is exact): -1, as no position.
    positions[i] = high > 0x20_0000 || (high === 0x20_0000 && low !== 0)
      ? -1
      : high * 0x1_0000_0000 + low;
    starts[i] = base + at;
    lengths[i] = n;
    at += ITEM_HEADER_SIZE + n;
  }
  return i - from;
}

/** The number of items of the record `bytes` (from `body`); see `writeItems`. */
function countItems(
  bytes: Uint8Array,
  body: number,
  fail: (reason: string) => never,
): number {
  const length = bytes.length;
  let count = 0;
  for (let at = body; at < length; count++) {
    if (at + ITEM_HEADER_SIZE > length) fail("truncated item header");
    at += ITEM_HEADER_SIZE + u32(bytes, at + 8);
    if (at > length) fail("item payload runs past the record");
  }
  return count;
}

/** The little-endian u32 at `at` of `bytes`. */
function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) |
    (bytes[at + 3] << 24)) >>> 0;
}

/**
 * The index in `record`'s arrays of its item at `position`; raises
 * `CorruptionError` if it has none.
 */
export function itemOf(record: ColdRecords, position: number): number {
  const { positions, first, count } = record;
  let i = first + position - positions[first];
  if (!(i >= first && i < first + count && positions[i] === position)) {
    i = positions.subarray(first, first + count).indexOf(position);
    if (i >= 0) i += first;
  }
  if (i < 0) {
    throw new CorruptionError(
      record.fileNumber,
      record.offset,
      `the record at position ${position} of queue "${record.queue}" is not in it`,
    );
  }
  return i;
}
