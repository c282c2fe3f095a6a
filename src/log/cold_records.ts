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
 * The items of an AppendRecords record read back from a log file: item `i`
 * is the record at `positions[i]`, its payload at `starts[i]` in the buffer
 * of `bytes` (not in `bytes`: records of one buffer make one batch),
 * `lengths[i]` long. Never changed once made.
 */
export interface ColdRecords {
  /** The log file the record starts in. */
  readonly fileNumber: number;
  /** Where its first frame starts in that file. */
  readonly offset: number;
  /** Its queue. */
  readonly queue: string;
  /** The record's bytes (a copy, verified). */
  readonly bytes: Uint8Array;
  /** Positions of its items (-1 for one past 2^53). */
  readonly positions: Float64Array;
  /** Where each item's payload starts in `bytes.buffer`. */
  readonly starts: Uint32Array;
  /** Each item's payload length. */
  readonly lengths: Uint32Array;
}

/** Items of the arrays `ItemArrays` starts with. */
const ITEM_ARRAYS_LENGTH = 16384;

/**
 * Arrays the items of records decoded are written to, one record after the
 * other (a new set once they are full): records get views of them, not
 * arrays of their own (each one an allocation of its own).
 */
export class ItemArrays {
  #positions = new Float64Array(0);
  #starts = new Uint32Array(0);
  #lengths = new Uint32Array(0);
  #used = 0;

  /** Views of `count` unused items of each array, from now on used. */
  take(
    count: number,
  ): { positions: Float64Array; starts: Uint32Array; lengths: Uint32Array } {
    if (this.#used + count > this.#positions.length) {
      const length = Math.max(ITEM_ARRAYS_LENGTH, count);
      this.#positions = new Float64Array(length);
      this.#starts = new Uint32Array(length);
      this.#lengths = new Uint32Array(length);
      this.#used = 0;
    }
    const from = this.#used;
    this.#used += count;
    return {
      positions: this.#positions.subarray(from, this.#used),
      starts: this.#starts.subarray(from, this.#used),
      lengths: this.#lengths.subarray(from, this.#used),
    };
  }
}

/**
 * Decodes `bytes`, the AppendRecords record of queue `queue` (`nameBytes`
 * in UTF-8) whose first frame is at `offset` of log file `fileNumber`, its
 * items into arrays from `arrays`. Raises `CorruptionError` if it is
 * anything else, or malformed.
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
  let count = 0;
  for (let at = body; at < length; count++) {
    if (at + ITEM_HEADER_SIZE > length) fail("truncated item header");
    at += ITEM_HEADER_SIZE + u32(bytes, at + 8);
    if (at > length) fail("item payload runs past the record");
  }
  const { positions, starts, lengths } = arrays.take(count);
  for (let i = 0, at = body; i < count; i++) {
    const low = u32(bytes, at);
    const high = u32(bytes, at + 4);
    // Above 2^53 (2^53 itself is exact): -1, as no position.
    positions[i] = high > 0x20_0000 || (high === 0x20_0000 && low !== 0)
      ? -1
      : high * 0x1_0000_0000 + low;
    const n = u32(bytes, at + 8);
    starts[i] = bytes.byteOffset + at + ITEM_HEADER_SIZE;
    lengths[i] = n;
    at += ITEM_HEADER_SIZE + n;
  }
  return { fileNumber, offset, queue, bytes, positions, starts, lengths };
}

/** The little-endian u32 at `at` of `bytes`. */
function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) |
    (bytes[at + 3] << 24)) >>> 0;
}

/**
 * The index of the item of `record` at `position`; raises `CorruptionError`
 * if it has none.
 */
export function itemOf(record: ColdRecords, position: number): number {
  let i = position - record.positions[0];
  if (record.positions[i] !== position) {
    i = record.positions.indexOf(position);
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
