import type { ChunkAllocator } from "./chunk_allocator.ts";
import { ColdRuns } from "./cold_runs.ts";
import { type ColdStorage, QueueColdReader } from "./queue_cold_reader.ts";
import {
  type BodyItems,
  type Chunk,
  chunkBatch,
  chunkOf,
  chunkSize,
  copyItems,
  dropChunksBefore,
  endOffset,
  firstChunkBytes,
  hasRoom,
  maxChunkBytes,
  newChunk,
  offsetsToLengths,
  type Prefix,
  shortestPrefixIn,
} from "./queue_chunks.ts";
import type { QueueState } from "./queue_state.ts";
import { RecordIndex } from "./record_index.ts";
import { isStateQueueName } from "./state_queue_names.ts";
import type { LogRecord } from "../log_record.ts";
import type { LogRecordBatch } from "../log_record_batch.ts";

export type { ColdStorage, LogRecord };
export { RECORD_INDEX_BYTES } from "./record_index.ts";

/**
 * One queue's records. Payloads are copied back to back into chunks that
 * are only ever appended to and dropped whole once every record in them is
 * truncated, so views handed to callers never change. A chunk holds records
 * of one log file only (see `queue_chunks.ts`). The index keeps, per record, its position and its
 * payload's offset in its chunk (see `RecordIndex`); a payload ends where
 * the next one in its chunk starts.
 *
 * With `cold` (the `hotBytes` open option), the index also keeps each
 * record's place in its log file, and the oldest chunks can leave memory
 * (`evictFirstChunk`): their records become cold, their index offsets become
 * payload lengths, and they are read back from the files when read (see
 * `QueueColdReader`).
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
  /** Reads the cold records back; `undefined` if they never leave memory. */
  readonly #cold: QueueColdReader | undefined;
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
    const storage = this.internal ? undefined : cold;
    this.#index = new RecordIndex(storage !== undefined);
    this.#cold = storage === undefined
      ? undefined
      : new QueueColdReader(storage, this.#coldRuns, this.#index, name);
    this.#maxChunkBytes = maxChunkBytes(allocator, storage?.hotBytes);
    this.#nextChunkBytes = firstChunkBytes(this.#maxChunkBytes);
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
   * Copies in records read back, as `push` would one by one: as many of
   * `items` as `copyItems` takes. Returns the offset after the last one.
   */
  pushItems(items: BodyItems): number {
    const length = items.view.getUint32(items.from + 8, true);
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (!hasRoom(chunk, length, items.fileNumber)) {
      chunk = this.#newChunk(this.#end, length, items.fileNumber);
    }
    this.#chunkBytesUsed -= chunk.used;
    const to = copyItems(
      chunk,
      this.#index,
      items,
      this.#end,
      this.nextPosition,
    );
    this.#chunkBytesUsed += chunk.used;
    this.#end = chunk.lastRecord + 1;
    this.nextPosition = this.#index.position(chunk.lastRecord) + 1;
    return to;
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
    this.#chunkBytesUsed -= dropChunksBefore(this.#chunks, head);
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
    const from = this.#hotHead;
    const bytes = offsetsToLengths(this.#index, chunk, from);
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
    if (first < this.#hotHead) {
      return this.#cold!.batch(first, this.#hotHead, below, max);
    }
    return chunkBatch(chunkOf(this.#chunks, first), index, first, below, max);
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
   * The shortest run from the first record held that counts at least
   * `records` records and `bytes` payload bytes (see `Prefix`); `undefined`
   * if it would be empty (both 0 or less), the whole queue if not enough.
   */
  shortestPrefix(records: number, bytes: number): Prefix | undefined {
    return shortestPrefixIn(
      {
        index: this.#index,
        runs: this.#coldRuns,
        chunks: this.#chunks,
        head: this.#head,
        hotHead: this.#hotHead,
        end: this.#end,
      },
      records,
      bytes,
    );
  }

  /** Bytes allocated: payload chunks and index. */
  allocatedBytes(): number {
    let total = this.#index.allocatedBytes();
    for (const chunk of this.#chunks) total += chunk.bytes.length;
    return total;
  }

  /** The absolute index of the first record held at or above `position`. */
  #firstAtOrAbove(position: number): number {
    return this.#index.firstAtOrAbove(this.#head, this.#end, position);
  }

  /** The payload of record `absolute`, in memory or read back. */
  #payload(absolute: number): Uint8Array {
    if (absolute < this.#hotHead) return this.#cold!.payload(absolute);
    const chunk = chunkOf(this.#chunks, absolute);
    const index = this.#index;
    return chunk.bytes.subarray(
      index.offset(absolute),
      endOffset(index, absolute, chunk),
    );
  }

  /** A new chunk, the last, for record `absolute` of `bytes` bytes. */
  #newChunk(absolute: number, bytes: number, fileNumber: number): Chunk {
    const cold = this.#cold !== undefined;
    const size = chunkSize(this.#nextChunkBytes, bytes, cold);
    const chunk = newChunk(
      this.#allocator.allocate(size),
      absolute,
      fileNumber,
    );
    this.#nextChunkBytes = Math.min(
      this.#nextChunkBytes * 2,
      this.#maxChunkBytes,
    );
    this.#chunks.push(chunk);
    return chunk;
  }
}
