import type { ChunkAllocator } from "./chunk_allocator.ts";
import type { QueueState } from "./queue_state.ts";
import { isStateQueueName } from "./state_queue_names.ts";

import type { LogRecord } from "../log_record.ts";

export type { LogRecord };

/** Bytes of index kept per record: position (8) and payload offset (4). */
export const RECORD_INDEX_BYTES = 12;

// Chunks grow from 64 KiB to the allocator's `chunkBytes` only (see
// `DEFAULT_CHUNK_BYTES`: larger blocks come fresh from the OS).
const FIRST_CHUNK_BYTES = 64 * 1024;
/** Chunks for large payloads hold four of them, up to this size (or one). */
const LARGE_CHUNK_BYTES = 8 * 1024 * 1024;
/** Records per index page (a power of two); a page is dropped whole. */
const PAGE_RECORDS = 4096;
const PAGE_SHIFT = 12;
const FIRST_PAGE_CAPACITY = 64;

interface Chunk {
  bytes: Uint8Array;
  used: number;
  /** Absolute indexes of the first and last records stored in this chunk. */
  firstRecord: number;
  lastRecord: number;
  /** The log file all of this chunk's records start in. */
  fileNumber: number;
}

/** Index entries of up to `PAGE_RECORDS` consecutive records. */
interface IndexPage {
  positions: Float64Array;
  offsets: Uint32Array;
}

/**
 * One queue's records in memory. Payloads are copied back to back into
 * chunks that are only ever appended to and dropped whole once every record
 * in them is truncated, so views handed to callers never change. A chunk
 * holds records of one log file only. The index keeps, per record, its
 * position and its payload's offset in its chunk (12 bytes), in pages of
 * `PAGE_RECORDS` records dropped whole by truncation (only the last page
 * grows, by doubling up to a full page); a payload ends where the next one
 * in its chunk starts.
 *
 * Records are numbered by an absolute index that only grows; truncation
 * moves `#head` forward.
 *
 * Records are pushed before their write is committed; `visibleNext` bounds
 * what readers see (records at positions below it).
 *
 * Chunks come from the allocator given, and grow up to its `chunkBytes`.
 */
export class MemQueue {
  /** The queue's name. */
  readonly name: string;
  /** The queue's name as UTF-8, as it is written to the log. */
  readonly nameBytes: Uint8Array;
  /** The position the next record gets. */
  nextPosition: number;
  /** Records at positions below this are visible to readers. */
  visibleNext: number;
  /** True once the queue was deleted: readers stop. */
  deleted = false;
  /** True for a state queue (see `state_queue_names.ts`): the log's own. */
  readonly internal: boolean;
  /** The queue's consumers and retention limits, if it has any. */
  state: QueueState | undefined;
  /** Records appended since the log was opened (for `metrics()`). */
  recordsAppended = 0;

  #pages: IndexPage[] = [];
  #pageBase = 0; // absolute index of the first entry of #pages[0]
  #head = 0; // absolute index of the first record held
  #end = 0; // absolute index the next record gets
  #chunks: Chunk[] = [];
  #chunkBytesUsed = 0; // sum of the chunks' `used`
  readonly #allocator: ChunkAllocator;
  #nextChunkBytes: number;

  /** A new empty queue whose next position is `nextPosition`; its chunks come from `allocator`. */
  constructor(
    name: string,
    nameBytes: Uint8Array,
    nextPosition: number,
    allocator: ChunkAllocator,
  ) {
    this.name = name;
    this.nameBytes = nameBytes;
    this.nextPosition = nextPosition;
    this.visibleNext = nextPosition;
    this.internal = isStateQueueName(name);
    this.#allocator = allocator;
    this.#nextChunkBytes = Math.min(FIRST_CHUNK_BYTES, allocator.chunkBytes);
  }

  /** Number of records held. */
  get length(): number {
    return this.#end - this.#head;
  }

  /** Sum of the retained payload lengths. */
  get payloadBytes(): number {
    return this.#end > this.#head
      ? this.#chunkBytesUsed - this.#offset(this.#head)
      : 0;
  }

  /** Position of the first record held, if any. */
  get firstPosition(): number | undefined {
    return this.#end > this.#head ? this.#position(this.#head) : undefined;
  }

  /** The file number the first held record was read from or written to. */
  get firstFileNumber(): number | undefined {
    return this.#end > this.#head ? this.#chunks[0].fileNumber : undefined;
  }

  /** Copies `payload` in as the record at `position` (at or past the next position). */
  push(position: number, payload: Uint8Array, fileNumber: number): void {
    const absolute = this.#end;
    const rel = absolute - this.#pageBase;
    const slot = rel & (PAGE_RECORDS - 1);
    let page = this.#pages[rel >>> PAGE_SHIFT];
    if (page === undefined || slot === page.positions.length) {
      page = this.#growIndex(page);
    }
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (
      chunk === undefined || chunk.fileNumber !== fileNumber ||
      chunk.bytes.length - chunk.used < payload.length
    ) {
      chunk = this.#newChunk(absolute, payload.length, fileNumber);
    }
    chunk.bytes.set(payload, chunk.used);
    page.positions[slot] = position;
    page.offsets[slot] = chunk.used;
    chunk.used += payload.length;
    chunk.lastRecord = absolute;
    this.#chunkBytesUsed += payload.length;
    this.#end = absolute + 1;
    this.nextPosition = position + 1;
  }

  /**
   * Drops the records at positions up to and including `position`. If that
   * reaches the next position, the queue becomes empty with next position
   * `position + 1`. Returns the number of records dropped.
   */
  truncate(position: number): number {
    const head = this.#firstAtOrAbove(position + 1);
    const dropped = head - this.#head;
    this.#head = head;
    if (position + 1 >= this.nextPosition) this.nextPosition = position + 1;
    if (head === this.#end) {
      this.#pages.length = 0;
      this.#pageBase = head;
      this.#chunks.length = 0;
      this.#chunkBytesUsed = 0;
      return dropped;
    }
    const pages = Math.floor((head - this.#pageBase) / PAGE_RECORDS);
    if (pages > 0) {
      this.#pages.splice(0, pages);
      this.#pageBase += pages * PAGE_RECORDS;
    }
    let chunks = 0;
    while (this.#chunks[chunks].lastRecord < head) {
      this.#chunkBytesUsed -= this.#chunks[chunks].used;
      chunks++;
    }
    if (chunks > 0) this.#chunks.splice(0, chunks);
    return dropped;
  }

  /** Visible records from `from` to `to`, both inclusive; robust to truncation meanwhile. */
  *range(from: number, to: number): Generator<LogRecord, void, undefined> {
    let absolute = this.#firstAtOrAbove(from);
    for (;;) {
      if (this.deleted) return;
      if (absolute < this.#head) absolute = this.#head;
      if (absolute >= this.#end) return;
      const position = this.#position(absolute);
      if (position > to || position >= this.visibleNext) return;
      yield { position, payload: this.#payload(absolute) };
      absolute++;
    }
  }

  /** The last visible record, if any. */
  lastVisible(): LogRecord | undefined {
    for (let a = this.#end - 1; a >= this.#head; a--) {
      const position = this.#position(a);
      if (position < this.visibleNext) {
        return { position, payload: this.#payload(a) };
      }
    }
    return undefined;
  }

  /** Number of visible records (those whose append resolved). */
  visibleLength(): number {
    let a = this.#end;
    while (a > this.#head && this.#position(a - 1) >= this.visibleNext) a--;
    return a - this.#head;
  }

  /** Number of visible records at positions at or above `position`. */
  visibleCountFrom(position: number): number {
    let end = this.#end;
    while (end > this.#head && this.#position(end - 1) >= this.visibleNext) {
      end--;
    }
    return Math.max(0, end - this.#firstAtOrAbove(position));
  }

  /**
   * The shortest run of records from the first one held that counts at least
   * `records` records and `bytes` payload bytes: the position of its last
   * record and its payload bytes. `undefined` if it would be empty (both are
   * 0 or less); the whole queue if even that is not enough.
   */
  shortestPrefix(
    records: number,
    bytes: number,
  ): { last: number; bytes: number } | undefined {
    if ((records <= 0 && bytes <= 0) || this.#end === this.#head) {
      return undefined;
    }
    const byCount = this.#head + Math.max(records, 1) - 1;
    const last = Math.min(
      this.#end - 1,
      Math.max(byCount, this.#firstReaching(bytes)),
    );
    return { last: this.#position(last), bytes: this.#bytesUpTo(last) };
  }

  /** The absolute index of the first record whose prefix holds at least `bytes` bytes. */
  #firstReaching(bytes: number): number {
    if (bytes <= 0) return this.#head;
    let before = 0; // bytes of the records held in the chunks before
    const start = this.#offset(this.#head);
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c];
      const from = c === 0 ? start : 0;
      if (before + chunk.used - from < bytes) {
        before += chunk.used - from;
        continue;
      }
      let lo = Math.max(chunk.firstRecord, this.#head);
      let hi = chunk.lastRecord;
      while (lo < hi) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (before + this.#endOffset(mid, chunk) - from >= bytes) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    }
    return this.#end - 1;
  }

  /** Payload bytes of the records from the first held to `last` (absolute). */
  #bytesUpTo(last: number): number {
    let total = 0;
    const start = this.#offset(this.#head);
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c];
      const from = c === 0 ? start : 0;
      if (chunk.lastRecord >= last) {
        return total + this.#endOffset(last, chunk) - from;
      }
      total += chunk.used - from;
    }
    return total;
  }

  /** Where the payload of record `absolute` ends in `chunk`, its chunk. */
  #endOffset(absolute: number, chunk: Chunk): number {
    return absolute < chunk.lastRecord
      ? this.#offset(absolute + 1)
      : chunk.used;
  }

  /** Bytes allocated: payload chunks and index. */
  allocatedBytes(): number {
    let total = 0;
    for (const page of this.#pages) {
      total += page.positions.length * RECORD_INDEX_BYTES;
    }
    for (const chunk of this.#chunks) total += chunk.bytes.length;
    return total;
  }

  #position(absolute: number): number {
    const rel = absolute - this.#pageBase;
    return this.#pages[rel >>> PAGE_SHIFT].positions[rel & (PAGE_RECORDS - 1)];
  }

  #offset(absolute: number): number {
    const rel = absolute - this.#pageBase;
    return this.#pages[rel >>> PAGE_SHIFT].offsets[rel & (PAGE_RECORDS - 1)];
  }

  /** The absolute index of the first record held at or above `position`. */
  #firstAtOrAbove(position: number): number {
    let lo = this.#head;
    let hi = this.#end;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.#position(mid) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #payload(absolute: number): Uint8Array {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid].firstRecord <= absolute) lo = mid;
      else hi = mid - 1;
    }
    const chunk = chunks[lo];
    const start = this.#offset(absolute);
    const end = absolute < chunk.lastRecord
      ? this.#offset(absolute + 1)
      : chunk.used;
    return chunk.bytes.subarray(start, end);
  }

  /** Makes room for the next entry: grows the last page, or adds one. */
  #growIndex(last: IndexPage | undefined): IndexPage {
    const full = last === undefined || last.positions.length === PAGE_RECORDS;
    const capacity = full ? FIRST_PAGE_CAPACITY : last.positions.length * 2;
    const page = {
      positions: new Float64Array(capacity),
      offsets: new Uint32Array(capacity),
    };
    if (full) {
      this.#pages.push(page);
    } else {
      page.positions.set(last.positions);
      page.offsets.set(last.offsets);
      this.#pages[this.#pages.length - 1] = page;
    }
    return page;
  }

  #newChunk(absolute: number, bytes: number, fileNumber: number): Chunk {
    // Room for at least four payloads this large (so that at most a quarter
    // is left unused), up to 8 MiB, or just this one if it is larger.
    const size = Math.max(
      this.#nextChunkBytes,
      Math.min(4 * bytes, Math.max(LARGE_CHUNK_BYTES, bytes)),
    );
    const chunk = {
      bytes: this.#allocator.allocate(size),
      used: 0,
      firstRecord: absolute,
      lastRecord: absolute,
      fileNumber,
    };
    this.#nextChunkBytes = Math.min(
      this.#nextChunkBytes * 2,
      this.#allocator.chunkBytes,
    );
    this.#chunks.push(chunk);
    return chunk;
  }
}
