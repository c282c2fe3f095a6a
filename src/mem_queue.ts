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

/** Bytes of index kept per record: position (8) and payload offset (4). */
export const RECORD_INDEX_BYTES = 12;

const FIRST_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
const FIRST_INDEX_CAPACITY = 64;

interface Chunk {
  bytes: Uint8Array;
  used: number;
  /** Absolute indexes of the first and last records stored in this chunk. */
  firstRecord: number;
  lastRecord: number;
  /** The log file all of this chunk's records start in. */
  fileNumber: number;
}

/**
 * One queue's records in memory. Payloads are copied back to back into large
 * chunks that are only ever appended to and dropped whole once every record
 * in them is truncated, so views handed to callers never change. A chunk
 * holds records of one log file only. The index keeps, per record, its
 * position and its payload's offset in its chunk (12 bytes); a payload ends
 * where the next one in its chunk starts.
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

  #positions = new Float64Array(FIRST_INDEX_CAPACITY);
  #offsets = new Uint32Array(FIRST_INDEX_CAPACITY);
  #head = 0;
  #tail = 0;
  #evicted = 0; // absolute index of the record at #head
  #chunks: Chunk[] = [];
  #chunkBytesUsed = 0; // sum of the chunks' `used`
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

  /** Sum of the retained payload lengths. */
  get payloadBytes(): number {
    return this.#tail > this.#head
      ? this.#chunkBytesUsed - this.#offsets[this.#head]
      : 0;
  }

  /** Position of the first record held, if any. */
  get firstPosition(): number | undefined {
    return this.#tail > this.#head ? this.#positions[this.#head] : undefined;
  }

  /** The file number the first held record was read from or written to. */
  get firstFileNumber(): number | undefined {
    return this.#tail > this.#head ? this.#chunks[0].fileNumber : undefined;
  }

  /** Copies `payload` in as the record at `position` (at or past the next position). */
  push(position: number, payload: Uint8Array, fileNumber: number): void {
    if (this.#tail === this.#positions.length) this.#makeRoom();
    const absolute = this.#evicted + (this.#tail - this.#head);
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (
      !chunk || chunk.fileNumber !== fileNumber ||
      chunk.bytes.length - chunk.used < payload.length
    ) {
      const size = Math.max(this.#nextChunkBytes, payload.length);
      this.#nextChunkBytes = Math.min(
        this.#nextChunkBytes * 2,
        MAX_CHUNK_BYTES,
      );
      chunk = {
        bytes: new Uint8Array(size),
        used: 0,
        firstRecord: absolute,
        lastRecord: absolute,
        fileNumber,
      };
      this.#chunks.push(chunk);
    }
    chunk.bytes.set(payload, chunk.used);
    this.#positions[this.#tail] = position;
    this.#offsets[this.#tail] = chunk.used;
    this.#tail++;
    chunk.used += payload.length;
    chunk.lastRecord = absolute;
    this.#chunkBytesUsed += payload.length;
    this.nextPosition = position + 1;
  }

  /**
   * Drops the records at positions up to and including `position`. If that
   * reaches the next position, the queue becomes empty with next position
   * `position + 1`. Returns the number of records dropped.
   */
  truncate(position: number): number {
    let i = this.#head;
    while (i < this.#tail && this.#positions[i] <= position) i++;
    const dropped = i - this.#head;
    this.#evicted += dropped;
    this.#head = i;
    if (position + 1 >= this.nextPosition) this.nextPosition = position + 1;
    while (
      this.#chunks.length > 0 && this.#chunks[0].lastRecord < this.#evicted
    ) {
      this.#chunkBytesUsed -= this.#chunks.shift()!.used;
    }
    if (this.#head === this.#tail) {
      this.#head = this.#tail = 0;
      this.#chunks.length = 0;
      this.#chunkBytesUsed = 0;
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
    const absolute = this.#evicted + (i - this.#head);
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid].firstRecord <= absolute) lo = mid;
      else hi = mid - 1;
    }
    const chunk = chunks[lo];
    const start = this.#offsets[i];
    const end = absolute < chunk.lastRecord ? this.#offsets[i + 1] : chunk.used;
    return chunk.bytes.subarray(start, end);
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
    const offsets = new Uint32Array(positions.length);
    positions.set(this.#positions.subarray(this.#head, this.#tail));
    offsets.set(this.#offsets.subarray(this.#head, this.#tail));
    this.#positions = positions;
    this.#offsets = offsets;
    this.#head = 0;
    this.#tail = length;
  }
}
