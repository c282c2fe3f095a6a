/** A record read from a queue. */
export interface LogRecord {
  /** The record's position in its queue. */
  position: number;
  /**
   * The payload: a view of the log's memory. It stays unchanged after any
   * later append or truncate; do not write to it.
   */
  payload: Uint8Array;
}

/** Bytes of index kept per record: position (8), file, chunk, offset, length (4 each). */
export const RECORD_INDEX_BYTES = 24;

const FIRST_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
const FIRST_INDEX_CAPACITY = 64;

interface Chunk {
  bytes: Uint8Array;
  used: number;
  /** Absolute index of the last record stored in this chunk. */
  lastRecord: number;
}

/**
 * One queue's records in memory. Payloads are copied into large chunks that
 * are only ever appended to and dropped whole once every record in them is
 * truncated, so views handed to callers never change. The index keeps, per
 * record, its position, the file its log record starts in, and where its
 * payload lies, in typed arrays.
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
  /** Sum of the retained payload lengths. */
  payloadBytes = 0;

  #positions = new Float64Array(FIRST_INDEX_CAPACITY);
  #meta = new Uint32Array(FIRST_INDEX_CAPACITY * 4); // file, chunk, offset, length
  #head = 0;
  #tail = 0;
  #evicted = 0; // absolute index of the record at #head
  #chunks: Chunk[] = [];
  #chunkBase = 0; // absolute id of #chunks[0]
  #nextChunkBytes = FIRST_CHUNK_BYTES;

  /** A new empty queue whose next position is `nextPosition`. */
  constructor(name: string, nameBytes: Uint8Array, nextPosition: number) {
    this.name = name;
    this.nameBytes = nameBytes;
    this.nextPosition = nextPosition;
    this.visibleNext = nextPosition;
  }

  /** Number of records held. */
  get length(): number {
    return this.#tail - this.#head;
  }

  /** Position of the first record held, if any. */
  get firstPosition(): number | undefined {
    return this.#tail > this.#head ? this.#positions[this.#head] : undefined;
  }

  /** The file number the first held record was read from or written to. */
  get firstFileNumber(): number | undefined {
    return this.#tail > this.#head ? this.#meta[this.#head * 4] : undefined;
  }

  /** Copies `payload` in as the record at `position` (at or past the next position). */
  push(position: number, payload: Uint8Array, fileNumber: number): void {
    if (this.#tail === this.#positions.length) this.#makeRoom();
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (!chunk || chunk.bytes.length - chunk.used < payload.length) {
      const size = Math.max(this.#nextChunkBytes, payload.length);
      this.#nextChunkBytes = Math.min(
        this.#nextChunkBytes * 2,
        MAX_CHUNK_BYTES,
      );
      chunk = { bytes: new Uint8Array(size), used: 0, lastRecord: 0 };
      this.#chunks.push(chunk);
    }
    chunk.bytes.set(payload, chunk.used);
    const i = this.#tail++;
    this.#positions[i] = position;
    const m = i * 4;
    this.#meta[m] = fileNumber;
    this.#meta[m + 1] = this.#chunkBase + this.#chunks.length - 1;
    this.#meta[m + 2] = chunk.used;
    this.#meta[m + 3] = payload.length;
    chunk.used += payload.length;
    chunk.lastRecord = this.#evicted + (i - this.#head);
    this.payloadBytes += payload.length;
    this.nextPosition = position + 1;
  }

  /**
   * Drops the records at positions up to and including `position`. If that
   * reaches the next position, the queue becomes empty with next position
   * `position + 1`. Returns the number of records dropped.
   */
  truncate(position: number): number {
    let i = this.#head;
    while (i < this.#tail && this.#positions[i] <= position) {
      this.payloadBytes -= this.#meta[i * 4 + 3];
      i++;
    }
    const dropped = i - this.#head;
    this.#evicted += dropped;
    this.#head = i;
    if (position + 1 >= this.nextPosition) this.nextPosition = position + 1;
    while (
      this.#chunks.length > 0 && this.#chunks[0].lastRecord < this.#evicted
    ) {
      this.#chunks.shift();
      this.#chunkBase++;
    }
    if (this.#head === this.#tail) {
      this.#head = this.#tail = 0;
      this.#chunks.length = 0;
      this.#chunkBase = 0;
      if (this.#positions.length > FIRST_INDEX_CAPACITY * 16) {
        this.#resizeIndex(FIRST_INDEX_CAPACITY);
      }
    } else if (
      this.length * 4 < this.#positions.length && this.#positions.length > 4096
    ) {
      this.#resizeIndex(this.length * 2);
    }
    return dropped;
  }

  /** Visible records from `from` to `to`, both inclusive; robust to truncation meanwhile. */
  *range(from: number, to: number): Generator<LogRecord, void, undefined> {
    let lo = this.#head;
    let hi = this.#tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#positions[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    let absolute = this.#evicted + (lo - this.#head);
    for (;;) {
      if (this.deleted) return;
      if (absolute < this.#evicted) absolute = this.#evicted;
      const i = this.#head + (absolute - this.#evicted);
      if (i >= this.#tail) return;
      const position = this.#positions[i];
      if (position > to || position >= this.visibleNext) return;
      yield { position, payload: this.#payload(i) };
      absolute++;
    }
  }

  /** The last visible record, if any. */
  lastVisible(): LogRecord | undefined {
    for (let i = this.#tail - 1; i >= this.#head; i--) {
      if (this.#positions[i] < this.visibleNext) {
        return { position: this.#positions[i], payload: this.#payload(i) };
      }
    }
    return undefined;
  }

  /** Bytes allocated: payload chunks and index. */
  allocatedBytes(): number {
    let total = this.#positions.length * RECORD_INDEX_BYTES;
    for (const chunk of this.#chunks) total += chunk.bytes.length;
    return total;
  }

  #payload(i: number): Uint8Array {
    const m = i * 4;
    const chunk = this.#chunks[this.#meta[m + 1] - this.#chunkBase];
    return chunk.bytes.subarray(
      this.#meta[m + 2],
      this.#meta[m + 2] + this.#meta[m + 3],
    );
  }

  #makeRoom(): void {
    const length = this.length;
    this.#resizeIndex(
      length * 2 > this.#positions.length ? length * 2 : this.#positions.length,
    );
  }

  #resizeIndex(capacity: number): void {
    const length = this.length;
    const positions = new Float64Array(
      Math.max(capacity, FIRST_INDEX_CAPACITY),
    );
    const meta = new Uint32Array(positions.length * 4);
    positions.set(this.#positions.subarray(this.#head, this.#tail));
    meta.set(this.#meta.subarray(this.#head * 4, this.#tail * 4));
    this.#positions = positions;
    this.#meta = meta;
    this.#head = 0;
    this.#tail = length;
  }
}
