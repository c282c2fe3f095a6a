/**
 * The chunks a queue's payloads are copied into (see `MemQueue`): their
 * sizes, and the lookups over them that are not on the append path (that
 * one stays in `MemQueue.push`, with no call in between).
 *
 * @module
 */

import type { LogRecordBatch } from "../log_record_batch.ts";
import {
  APPEND_ITEM_HEADER_SIZE as ITEM,
  appendItemPosition,
} from "../format/record.ts";
import type { ChunkAllocator } from "./chunk_allocator.ts";
import type { ColdRuns } from "./cold_runs.ts";
import type { RecordIndex } from "./record_index.ts";

// Chunks grow from 64 KiB to the allocator's `chunkBytes` only (see
// `DEFAULT_CHUNK_BYTES`: larger blocks come fresh from the OS).
const FIRST_CHUNK_BYTES = 64 * 1024;
/** Chunks for large payloads hold four of them, up to this size (or one). */
const LARGE_CHUNK_BYTES = 8 * 1024 * 1024;
/** The smallest chunk of a queue whose records may leave memory. */
const MIN_COLD_CHUNK_BYTES = 1024;

/**
 * Payloads of consecutive records, back to back: only ever appended to, and
 * dropped whole. A chunk holds records of one log file only.
 */
export interface Chunk {
  /** The chunk's memory. */
  bytes: Uint8Array;
  /** Bytes of it used, from its start. */
  used: number;
  /** Absolute index of the first record stored in this chunk. */
  firstRecord: number;
  /** Absolute index of the last one. */
  lastRecord: number;
  /** The log file all of this chunk's records start in. */
  fileNumber: number;
}

/** A new empty chunk of memory `bytes` for record `absolute` of file `fileNumber`. */
export function newChunk(
  bytes: Uint8Array,
  absolute: number,
  fileNumber: number,
): Chunk {
  return {
    bytes,
    used: 0,
    firstRecord: absolute,
    lastRecord: absolute,
    fileNumber,
  };
}

/**
 * The largest regular chunk of a queue whose chunks come from `allocator`:
 * its `chunkBytes`, or, for a queue whose records may leave memory
 * (`hotBytes` defined), an eighth of `hotBytes` if less (at least 1 KiB).
 */
export function maxChunkBytes(
  allocator: ChunkAllocator,
  hotBytes: number | undefined,
): number {
  return hotBytes === undefined ? allocator.chunkBytes : Math.min(
    allocator.chunkBytes,
    Math.max(MIN_COLD_CHUNK_BYTES, Math.floor(hotBytes / 8)),
  );
}

/** The size of a queue's first chunk, given its largest regular one. */
export function firstChunkBytes(maxBytes: number): number {
  return Math.min(FIRST_CHUNK_BYTES, maxBytes);
}

/**
 * The size of a new chunk for a payload of `bytes` bytes, where the regular
 * size of the next chunk is `nextBytes`; `cold` if the queue's records may
 * leave memory.
 */
export function chunkSize(
  nextBytes: number,
  bytes: number,
  cold: boolean,
): number {
  // Room for at least four payloads this large (so that at most a quarter
  // is left unused), up to 8 MiB, or just this one if it is larger; just
  // this one if it may leave memory soon.
  return cold ? Math.max(nextBytes, bytes) : Math.max(
    nextBytes,
    Math.min(4 * bytes, Math.max(LARGE_CHUNK_BYTES, bytes)),
  );
}

/** Items of an AppendRecords body read back, from the one at `from`. */
export interface BodyItems {
  /** The record's bytes (its items checked: see `checkAppendItems`). */
  bytes: Uint8Array;
  /** A view of `bytes`. */
  view: DataView;
  /** The offset of the first item to copy. */
  from: number;
  /** The log file the record is in. */
  fileNumber: number;
  /** The offset of its first frame in that file. */
  frameOffset: number;
}

/** Whether `chunk` holds records of `fileNumber` and has room for `bytes` more. */
export function hasRoom(
  chunk: Chunk | undefined,
  bytes: number,
  fileNumber: number,
): chunk is Chunk {
  return chunk !== undefined && chunk.fileNumber === fileNumber &&
    chunk.bytes.length - chunk.used >= bytes;
}

/**
 * Copies into `chunk` the payloads of `items`, as records `absolute`,
 * `absolute + 1`, …: while their positions are at or above `next` and each
 * above the one before, and while the items, their headers between them,
 * fit in the chunk's room. The first must. The bytes are copied at once and
 * the payloads then moved together (one view, not one per payload); what
 * follows the last payload is left in the room. Returns the offset in
 * `items.bytes` after the last item copied.
 */
export function copyItems(
  chunk: Chunk,
  index: RecordIndex,
  items: BodyItems,
  absolute: number,
  next: number,
): number {
  const { bytes, view, frameOffset } = items;
  const memory = chunk.bytes;
  const start = items.from + ITEM;
  const limit = Math.min(bytes.length, start + memory.length - chunk.used);
  const base = chunk.used - start;
  memory.set(bytes.subarray(start, limit), chunk.used);
  let used = chunk.used;
  let at = items.from;
  while (at < bytes.length) {
    const position = appendItemPosition(view, at);
    const length = view.getUint32(at + 8, true);
    if (
      position === undefined || position > Number.MAX_SAFE_INTEGER ||
      position < next || at + ITEM + length > limit
    ) break;
    const source = base + at + ITEM;
    if (source !== used) memory.copyWithin(used, source, source + length);
    index.add(absolute++, position, used, frameOffset);
    next = position + 1;
    used += length;
    at += ITEM + length;
  }
  chunk.used = used;
  chunk.lastRecord = absolute - 1;
  return at;
}

/** Where the payload of record `absolute` ends in `chunk`, its chunk. */
export function endOffset(
  index: RecordIndex,
  absolute: number,
  chunk: Chunk,
): number {
  return absolute < chunk.lastRecord ? index.offset(absolute + 1) : chunk.used;
}

/** The chunk of record `absolute` (in memory), found in `chunks`. */
export function chunkOf(chunks: readonly Chunk[], absolute: number): Chunk {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (chunks[mid].firstRecord <= absolute) lo = mid;
    else hi = mid - 1;
  }
  return chunks[lo];
}

/**
 * The records of `chunk` from `first` on, at positions below `below`, at
 * most `max` (at least one: `first` is in `chunk` and below `below`); the
 * batch's `bytes` are a view of the chunk.
 */
export function chunkBatch(
  chunk: Chunk,
  index: RecordIndex,
  first: number,
  below: number,
  max: number,
): LogRecordBatch {
  let last = first;
  const stop = Math.min(chunk.lastRecord, first + max - 1);
  while (last < stop && index.position(last + 1) < below) last++;
  const n = last - first + 1;
  const positions = new Float64Array(n);
  const starts = new Uint32Array(n);
  const lengths = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const start = index.offset(first + k);
    positions[k] = index.position(first + k);
    starts[k] = start;
    lengths[k] = (k < n - 1 || last < chunk.lastRecord
      ? index.offset(first + k + 1)
      : chunk.used) - start;
  }
  const bytes = chunk.bytes.subarray(0, starts[n - 1] + lengths[n - 1]);
  return { positions, bytes, starts, lengths };
}

/**
 * Sets the index offsets of the records of `chunk` from `from` on to their
 * payload lengths, as the chunk leaves memory; returns their payload bytes.
 */
export function offsetsToLengths(
  index: RecordIndex,
  chunk: Chunk,
  from: number,
): number {
  let bytes = 0;
  for (let a = from; a <= chunk.lastRecord; a++) {
    const length = endOffset(index, a, chunk) - index.offset(a);
    index.setOffset(a, length);
    bytes += length;
  }
  return bytes;
}

/**
 * Drops the first chunks of `chunks` whose records are all before `head`;
 * returns the bytes they used.
 */
export function dropChunksBefore(chunks: Chunk[], head: number): number {
  let count = 0;
  let freed = 0;
  while (count < chunks.length && chunks[count].lastRecord < head) {
    freed += chunks[count].used;
    count++;
  }
  if (count > 0) chunks.splice(0, count);
  return freed;
}

/**
 * The first record in `chunks`, from `hotHead` on (at `start` in the first
 * chunk), whose prefix holds at least `bytes` bytes, counting `before`
 * bytes before them; `undefined` if all of them hold less.
 */
export function firstReachingIn(
  chunks: readonly Chunk[],
  index: RecordIndex,
  hotHead: number,
  start: number,
  before: number,
  bytes: number,
): number | undefined {
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    const from = c === 0 ? start : 0;
    if (before + chunk.used - from < bytes) {
      before += chunk.used - from;
      continue;
    }
    let lo = Math.max(chunk.firstRecord, hotHead);
    let hi = chunk.lastRecord;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (before + endOffset(index, mid, chunk) - from >= bytes) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  return undefined;
}

/**
 * Payload bytes in `chunks` (from `start` in the first one) of the records
 * up to `last` (absolute), included; all of them if `last` is past them.
 */
export function bytesUpToIn(
  chunks: readonly Chunk[],
  index: RecordIndex,
  start: number,
  last: number,
): number {
  let total = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    const from = c === 0 ? start : 0;
    if (chunk.lastRecord >= last) {
      return total + endOffset(index, last, chunk) - from;
    }
    total += chunk.used - from;
  }
  return total;
}

/** What a queue holds: see `MemQueue`. */
export interface HeldRecords {
  /** The queue's index. */
  index: RecordIndex;
  /** Its records out of memory. */
  runs: ColdRuns;
  /** Its chunks. */
  chunks: readonly Chunk[];
  /** The absolute index of the first record held. */
  head: number;
  /** The absolute index of the first record in memory. */
  hotHead: number;
  /** The absolute index the next record gets. */
  end: number;
}

/** A run of records from the first one held: see `MemQueue.shortestPrefix`. */
export interface Prefix {
  /** The position of its last record. */
  last: number;
  /** Its payload bytes. */
  bytes: number;
}

/** See `MemQueue.shortestPrefix`: the same, over the records `held`. */
export function shortestPrefixIn(
  held: HeldRecords,
  records: number,
  bytes: number,
): Prefix | undefined {
  const { index, runs, chunks, head, hotHead, end } = held;
  if ((records <= 0 && bytes <= 0) || end === head) return undefined;
  // Where the first record in memory starts in the first chunk.
  const start = hotHead < end ? index.offset(hotHead) : 0;
  // The first record whose prefix holds at least `bytes` bytes.
  const reaching = bytes <= 0 ? head : runs.firstReaching(bytes, index) ??
    firstReachingIn(chunks, index, hotHead, start, runs.bytes, bytes) ??
    end - 1;
  const byCount = head + Math.max(records, 1) - 1;
  const last = Math.min(end - 1, Math.max(byCount, reaching));
  return {
    last: index.position(last),
    bytes: last < hotHead
      ? runs.bytesUpTo(last, index)
      : runs.bytes + bytesUpToIn(chunks, index, start, last),
  };
}
