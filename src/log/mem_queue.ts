import type { ChunkAllocator } from "./chunk_allocator.ts";
import type { ColdReader } from "./cold_reader.ts";
import { itemOf } from "./cold_records.ts";
import { ColdRuns } from "./cold_runs.ts";
import type { QueueState } from "./queue_state.ts";
import { RecordIndex } from "./record_index.ts";
import { isStateQueueName } from "./state_queue_names.ts";

import type { LogRecord } from "../log_record.ts";
import type { LogRecordBatch } from "../log_record_batch.ts";

export type { LogRecord };
export { RECORD_INDEX_BYTES } from "./record_index.ts";

// Chunks grow from 64 KiB to the allocator's `chunkBytes` only (see
// `DEFAULT_CHUNK_BYTES`: larger blocks come fresh from the OS).
const FIRST_CHUNK_BYTES = 64 * 1024;
/** Chunks for large payloads hold four of them, up to this size (or one). */
const LARGE_CHUNK_BYTES = 8 * 1024 * 1024;
/** The smallest chunk of a queue whose records may leave memory. */
const MIN_COLD_CHUNK_BYTES = 1024;

interface Chunk {
  bytes: Uint8Array;
  used: number;
  /** Absolute indexes of the first and last records stored in this chunk. */
  firstRecord: number;
  lastRecord: number;
  /** The log file all of this chunk's records start in. */
  fileNumber: number;
}

/** How a queue's records leave memory (the `hotBytes` open option). */
export interface ColdStorage {
  /** Payload bytes kept in memory, all user queues together. */
  hotBytes: number;
  /** Where cold records are read back from. */
  reader: ColdReader;
}

/**
 * One queue's records. Payloads are copied back to back into chunks that
 * are only ever appended to and dropped whole once every record in them is
 * truncated, so views handed to callers never change. A chunk holds records
 * of one log file only. The index keeps, per record, its position and its
 * payload's offset in its chunk (see `RecordIndex`); a payload ends where
 * the next one in its chunk starts.
 *
 * With `cold` (the `hotBytes` open option), the index also keeps each
 * record's place in its log file, and the oldest chunks can leave memory
 * (`evictFirstChunk`): their records become cold, their index offsets become
 * payload lengths, and they are read back from the files when read.
 *
 * Records are numbered by an absolute index that only grows; truncation
 * moves `#head` forward. Records from `#head` to `#hotHead` are cold, the
 * rest are in chunks.
 *
 * Records are pushed before their write is committed; `visibleNext` bounds
 * what readers see (records at positions below it).
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

  readonly #index: RecordIndex;
  #head = 0; // absolute index of the first record held
  #hotHead = 0; // absolute index of the first record in memory
  #end = 0; // absolute index the next record gets
  #chunks: Chunk[] = [];
  #chunkBytesUsed = 0; // sum of the chunks' `used`
  readonly #coldRuns = new ColdRuns();
  readonly #allocator: ChunkAllocator;
  readonly #cold: ColdStorage | undefined;
  readonly #maxChunkBytes: number;
  #nextChunkBytes: number;

  /**
   * A new empty queue whose next position is `nextPosition`; its chunks come
   * from `allocator`; with `cold`, its records can leave memory.
   */
  constructor(
    name: string,
    nameBytes: Uint8Array,
    nextPosition: number,
    allocator: ChunkAllocator,
    cold?: ColdStorage,
  ) {
    this.name = name;
    this.nameBytes = nameBytes;
    this.nextPosition = nextPosition;
    this.visibleNext = nextPosition;
    this.internal = isStateQueueName(name);
    this.#allocator = allocator;
    this.#cold = this.internal ? undefined : cold;
    this.#index = new RecordIndex(this.#cold !== undefined);
    this.#maxChunkBytes = this.#cold === undefined
      ? allocator.chunkBytes
      : Math.min(
        allocator.chunkBytes,
        Math.max(MIN_COLD_CHUNK_BYTES, Math.floor(this.#cold.hotBytes / 8)),
      );
    this.#nextChunkBytes = Math.min(FIRST_CHUNK_BYTES, this.#maxChunkBytes);
  }

  /** Number of records held. */
  get length(): number {
    return this.#end - this.#head;
  }

  /** Sum of the retained payload lengths, in memory or not. */
  get payloadBytes(): number {
    return this.#coldRuns.bytes + this.hotBytes;
  }

  /** Sum of the payload lengths held in memory. */
  get hotBytes(): number {
    return this.#end > this.#hotHead
      ? this.#chunkBytesUsed - this.#index.offset(this.#hotHead)
      : 0;
  }

  /** Bytes of index per record. */
  get indexBytesPerRecord(): number {
    return this.#index.bytesPerRecord;
  }

  /** Position of the first record held, if any. */
  get firstPosition(): number | undefined {
    return this.#end > this.#head
      ? this.#index.position(this.#head)
      : undefined;
  }

  /** The file number the first held record was read from or written to. */
  get firstFileNumber(): number | undefined {
    if (this.#end === this.#head) return undefined;
    return this.#coldRuns.firstFileNumber ?? this.#chunks[0].fileNumber;
  }

  /**
   * Copies `payload` in as the record at `position` (at or past the next
   * position), whose AppendRecords record starts at `frameOffset` in log
   * file `fileNumber`.
   */
  push(
    position: number,
    payload: Uint8Array,
    fileNumber: number,
    frameOffset = 0,
  ): void {
    const absolute = this.#end;
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (
      chunk === undefined || chunk.fileNumber !== fileNumber ||
      chunk.bytes.length - chunk.used < payload.length
    ) {
      chunk = this.#newChunk(absolute, payload.length, fileNumber);
    }
    chunk.bytes.set(payload, chunk.used);
    this.#index.add(absolute, position, chunk.used, frameOffset);
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
    if (position + 1 >= this.nextPosition) this.nextPosition = position + 1;
    if (head === this.#end) {
      this.#head = this.#hotHead = head;
      this.#index.clear(head);
      this.#chunks.length = 0;
      this.#chunkBytesUsed = 0;
      this.#coldRuns.clear();
      return dropped;
    }
    this.#coldRuns.dropBefore(head, this.#index);
    this.#head = head;
    if (this.#hotHead < head) this.#hotHead = head;
    this.#index.dropBefore(head);
    let chunks = 0;
    while (
      chunks < this.#chunks.length && this.#chunks[chunks].lastRecord < head
    ) {
      this.#chunkBytesUsed -= this.#chunks[chunks].used;
      chunks++;
    }
    if (chunks > 0) this.#chunks.splice(0, chunks);
    return dropped;
  }

  /**
   * Whether the first chunk can leave memory: every record in it is visible
   * (written to its file), or `any`.
   */
  canEvict(any: boolean): boolean {
    const chunk = this.#chunks[0];
    return chunk !== undefined && this.#cold !== undefined &&
      (any || this.#index.position(chunk.lastRecord) < this.visibleNext);
  }

  /**
   * Makes the records of the first chunk cold (check `canEvict` first): its
   * memory is released (handed to `recycle`, if given: only when no view of
   * it was handed out), their index offsets become payload lengths. Returns
   * the payload bytes that left memory.
   */
  evictFirstChunk(recycle?: (bytes: Uint8Array) => void): number {
    const chunk = this.#chunks.shift()!;
    const index = this.#index;
    const from = this.#hotHead;
    let bytes = 0;
    for (let a = from; a <= chunk.lastRecord; a++) {
      const length = this.#endOffset(a, chunk) - index.offset(a);
      index.setOffset(a, length);
      bytes += length;
    }
    this.#chunkBytesUsed -= chunk.used;
    recycle?.(chunk.bytes);
    this.#coldRuns.add(chunk.fileNumber, from, chunk.lastRecord, bytes);
    this.#hotHead = chunk.lastRecord + 1;
    return bytes;
  }

  /**
   * Visible records from `from` to `to`, both inclusive; robust to
   * truncation meanwhile. Cold records are read from the log files
   * (synchronously), and may raise `CorruptionError` (which ends the
   * iteration). An iterator written by hand: a generator costs more per
   * record.
   */
  range(from: number, to: number): IterableIterator<LogRecord> {
    let absolute = this.#firstAtOrAbove(from);
    let done = false;
    const finished: IteratorResult<LogRecord> = {
      done: true,
      value: undefined,
    };
    const iterator: IterableIterator<LogRecord> = {
      next: (): IteratorResult<LogRecord> => {
        if (done || this.deleted) {
          done = true;
          return finished;
        }
        if (absolute < this.#head) absolute = this.#head;
        const position = absolute < this.#end
          ? this.#index.position(absolute)
          : Infinity;
        if (position > to || position >= this.visibleNext) {
          done = true;
          return finished;
        }
        let payload;
        try {
          payload = this.#payload(absolute);
        } catch (error) {
          done = true;
          throw error;
        }
        absolute++;
        return { done: false, value: { position, payload } };
      },
      return: (): IteratorResult<LogRecord> => {
        done = true;
        return finished;
      },
      [Symbol.iterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * The visible records from the first held at or above `from` up to `to`
   * (inclusive), at most `max`, all from one place: one chunk of memory, or
   * one AppendRecords record read back from the log files (synchronously;
   * may raise `CorruptionError`). `undefined` if there is none.
   */
  batch(from: number, to: number, max: number): LogRecordBatch | undefined {
    const first = this.#firstAtOrAbove(from);
    const index = this.#index;
    const below = Math.min(to + 1, this.visibleNext); // positions shown
    if (this.deleted || first >= this.#end || index.position(first) >= below) {
      return undefined;
    }
    if (first < this.#hotHead) return this.#coldBatch(first, below, max);
    const chunk = this.#chunkOf(first);
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
   * `batch` from cold record `first`: the records of the AppendRecords
   * records read back from one buffer (a window of the files), whose items
   * follow each other in the reader's arrays, up to `max`.
   */
  #coldBatch(first: number, below: number, max: number): LogRecordBatch {
    const index = this.#index;
    const reader = this.#cold!.reader;
    const name = this.name;
    let run = reader.records(
      this.#coldRuns.fileOf(first),
      index.frame(first),
      name,
    );
    const buffer = run.bytes.buffer;
    const items = run.positions;
    const i = itemOf(run, index.position(first));
    const from = items.byteOffset / 8 + i; // in the arrays' buffers
    let end = i; // past the last item taken, in `run`
    for (let n = 0;;) {
      const stop = Math.min(run.positions.length, end + max - n);
      const was = end;
      while (end < stop && run.positions[end] < below) end++;
      n += end - was;
      const next = first + n;
      if (
        end < run.positions.length || n >= max || next >= this.#hotHead ||
        index.position(next) >= below
      ) break;
      const more = reader.records(
        this.#coldRuns.fileOf(next),
        index.frame(next),
        name,
      );
      if (
        more.bytes.buffer !== buffer ||
        more.positions.buffer !== items.buffer ||
        more.positions.byteOffset !==
          run.positions.byteOffset + 8 * run.positions.length ||
        more.positions[0] !== index.position(next)
      ) break;
      run = more;
      end = 0;
    }
    const count = run.positions.byteOffset / 8 + end - from;
    return {
      positions: new Float64Array(items.buffer, 8 * from, count),
      bytes: new Uint8Array(buffer),
      starts: new Uint32Array(run.starts.buffer, 4 * from, count),
      lengths: new Uint32Array(run.lengths.buffer, 4 * from, count),
    };
  }

  /** The last visible record, if any. */
  lastVisible(): LogRecord | undefined {
    for (let a = this.#end - 1; a >= this.#head; a--) {
      const position = this.#index.position(a);
      if (position < this.visibleNext) {
        return { position, payload: this.#payload(a) };
      }
    }
    return undefined;
  }

  /** Number of visible records (those whose append resolved). */
  visibleLength(): number {
    let a = this.#end;
    while (a > this.#head && this.#index.position(a - 1) >= this.visibleNext) {
      a--;
    }
    return a - this.#head;
  }

  /** Number of visible records at positions at or above `position`. */
  visibleCountFrom(position: number): number {
    return Math.max(
      0,
      this.#head + this.visibleLength() - this.#firstAtOrAbove(position),
    );
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
    return {
      last: this.#index.position(last),
      bytes: this.#bytesUpTo(last),
    };
  }

  /** The absolute index of the first record whose prefix holds at least `bytes` bytes. */
  #firstReaching(bytes: number): number {
    if (bytes <= 0) return this.#head;
    const cold = this.#coldRuns.firstReaching(bytes, this.#index);
    if (cold !== undefined) return cold;
    let before = this.#coldRuns.bytes; // bytes of the records before
    const start = this.#hotStartOffset();
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c];
      const from = c === 0 ? start : 0;
      if (before + chunk.used - from < bytes) {
        before += chunk.used - from;
        continue;
      }
      let lo = Math.max(chunk.firstRecord, this.#hotHead);
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
    if (last < this.#hotHead) {
      return this.#coldRuns.bytesUpTo(last, this.#index);
    }
    let total = this.#coldRuns.bytes;
    const start = this.#hotStartOffset();
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

  /** Where the first record in memory starts in the first chunk. */
  #hotStartOffset(): number {
    return this.#hotHead < this.#end ? this.#index.offset(this.#hotHead) : 0;
  }

  /** Where the payload of record `absolute` ends in `chunk`, its chunk. */
  #endOffset(absolute: number, chunk: Chunk): number {
    return absolute < chunk.lastRecord
      ? this.#index.offset(absolute + 1)
      : chunk.used;
  }

  /** Bytes allocated: payload chunks and index. */
  allocatedBytes(): number {
    let total = this.#index.allocatedBytes();
    for (const chunk of this.#chunks) total += chunk.bytes.length;
    return total;
  }

  /** The absolute index of the first record held at or above `position`. */
  #firstAtOrAbove(position: number): number {
    let lo = this.#head;
    let hi = this.#end;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.#index.position(mid) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #payload(absolute: number): Uint8Array {
    if (absolute < this.#hotHead) return this.#coldPayload(absolute);
    const chunk = this.#chunkOf(absolute);
    return chunk.bytes.subarray(
      this.#index.offset(absolute),
      this.#endOffset(absolute, chunk),
    );
  }

  /** The chunk of record `absolute` (in memory). */
  #chunkOf(absolute: number): Chunk {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid].firstRecord <= absolute) lo = mid;
      else hi = mid - 1;
    }
    return chunks[lo];
  }

  /** A cold record's payload, read from its log file. */
  #coldPayload(absolute: number): Uint8Array {
    return this.#cold!.reader.payload(
      this.#coldRuns.fileOf(absolute),
      this.#index.frame(absolute),
      this.name,
      this.#index.position(absolute),
    );
  }

  #newChunk(absolute: number, bytes: number, fileNumber: number): Chunk {
    // Room for at least four payloads this large (so that at most a quarter
    // is left unused), up to 8 MiB, or just this one if it is larger; just
    // this one if it may leave memory soon.
    const size = this.#cold !== undefined
      ? Math.max(this.#nextChunkBytes, bytes)
      : Math.max(
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
      this.#maxChunkBytes,
    );
    this.#chunks.push(chunk);
    return chunk;
  }
}
