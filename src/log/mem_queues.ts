import { PositionInPastError, QueueAlreadyExistsError } from "../errors.ts";
import type { ChunkAllocator } from "./chunk_allocator.ts";
import { type ColdStorage, MemQueue } from "./mem_queue.ts";
import {
  APPEND_ITEM_HEADER_SIZE as ITEM,
  appendItemPosition,
} from "../format/record.ts";

const encoder = new TextEncoder();

/**
 * The queues held in memory, by name, and the payload bytes they retain: the
 * one owner of the queues' state. `MultiRecordLog` changes it as it writes
 * records (create, append, truncate, delete) and recovery as it reads them
 * back (touch, append, truncate, delete), through the same methods, so that
 * a log reopened holds what it held. Every queue's chunks come from the
 * allocator given.
 *
 * With `cold` (the `hotBytes` open option), the payload bytes held in memory
 * are bounded: past `cold.hotBytes`, the oldest chunks of the queue holding
 * the most leave memory (see `MemQueue.evictFirstChunk`), once written.
 */
export class MemQueues {
  readonly #queues = new Map<string, MemQueue>();
  readonly #allocator: ChunkAllocator;
  readonly #cold: ColdStorage | undefined;
  /**
   * Chunks that left memory while the log was read back on open, before any
   * view of them was handed out: the next chunks are taken from them, so
   * that opening a log larger than memory does not leave its garbage
   * collection a chunk per chunk read.
   */
  readonly #spare: Uint8Array[] = [];
  #retainedBytes = 0;
  /** The queue `appendRead` used last: the records of an AppendRecords go to one queue. */
  #lastRead: MemQueue | undefined;

  /** No queues yet; their chunks will come from `allocator`; see `cold` above. */
  constructor(allocator: ChunkAllocator, cold?: ColdStorage) {
    this.#cold = cold;
    this.#allocator = cold === undefined ? allocator : {
      chunkBytes: allocator.chunkBytes,
      // A spare chunk is not zeroed: a queue only reads what it wrote.
      allocate: (bytes) =>
        takeSpare(this.#spare, bytes) ?? allocator.allocate(bytes),
    };
  }

  /** Where cold records are read back from, if records can leave memory. */
  get cold(): ColdStorage | undefined {
    return this.#cold;
  }

  /** Number of queues. */
  get size(): number {
    return this.#queues.size;
  }

  /**
   * Payload bytes held in memory, all user queues together (state queues not
   * counted): all retained bytes, unless records left memory (`cold`).
   */
  get retainedBytes(): number {
    return this.#retainedBytes;
  }

  /** The queue named `name`, if any. */
  get(name: string): MemQueue | undefined {
    return this.#queues.get(name);
  }

  /** The queues, in no particular order. */
  values(): IterableIterator<MemQueue> {
    return this.#queues.values();
  }

  /**
   * The queues in name order: UTF-8 byte order, as the Rust crate's
   * `BTreeMap<String, _>`; the state queues only with `internal`.
   */
  sorted(internal = false): MemQueue[] {
    const queues = [...this.#queues.values()];
    return (internal ? queues : queues.filter((q) => !q.internal))
      .sort(compareNames);
  }

  /** Creates an empty queue at position 0. Raises `QueueAlreadyExistsError`. */
  create(name: string, nameBytes: Uint8Array): MemQueue {
    if (this.#queues.has(name)) throw new QueueAlreadyExistsError(name);
    return this.#put(name, nameBytes, 0);
  }

  /**
   * A Touch record: makes `name` an empty queue whose next position is
   * `next`. A missing queue is created; one that holds records or has
   * another next position is replaced by an empty one (records lost or
   * truncated meanwhile were no longer part of its state).
   */
  touch(name: string, next: number): void {
    const queue = this.#queues.get(name);
    if (
      queue === undefined || queue.length > 0 || queue.nextPosition !== next
    ) {
      this.#put(name, queue?.nameBytes ?? encoder.encode(name), next);
    }
  }

  /**
   * Where an append of `count` records to `queue` at `position` starts, by
   * the Rust crate's rules: at the queue's next position if `position` is
   * `undefined`; `undefined` (nothing to append) if `position + 1` is the
   * next position (a retry of the last single-record append); a position
   * further in the past raises `PositionInPastError`; one ahead leaves a gap.
   * Raises `RangeError` if the last position would pass 2^53 - 1.
   */
  appendStart(
    queue: MemQueue,
    position: number | undefined,
    count: number,
  ): number | undefined {
    const next = queue.nextPosition;
    if (position !== undefined && position !== next) {
      if (position + 1 === next) return undefined;
      if (position < next) {
        throw new PositionInPastError(queue.name, position, next);
      }
    }
    const start = position ?? next;
    if (count - 1 > Number.MAX_SAFE_INTEGER - start) {
      throw new RangeError(
        `the last position would pass 2^53 - 1 (first ${start}, ${count} records)`,
      );
    }
    return start;
  }

  /**
   * Copies `payload` into `queue` as its record at `position`, stored in the
   * AppendRecords record at `frameOffset` in log file `fileNumber`. Returns
   * `false`, changing nothing, if `position` is below the queue's next
   * position (an inconsistent record).
   */
  append(
    queue: MemQueue,
    position: number,
    payload: Uint8Array,
    fileNumber: number,
    frameOffset = 0,
  ): boolean {
    if (position < queue.nextPosition) return false;
    queue.push(position, payload, fileNumber, frameOffset);
    if (!queue.internal) this.#retainedBytes += payload.length;
    return true;
  }

  /**
   * A record of an AppendRecords read back from the log (`position` is
   * `undefined` above 2^53): appended to queue `name`, created at `position`
   * if missing. Returns `false`, changing nothing, if the record is
   * inconsistent: a position above 2^53 - 1, or below the queue's next one.
   * Records read back are on disk: past `cold.hotBytes`, the oldest leave
   * memory at once.
   */
  appendRead(
    name: string,
    position: number | undefined,
    payload: Uint8Array,
    fileNumber: number,
    frameOffset = 0,
  ): boolean {
    if (position === undefined || position > Number.MAX_SAFE_INTEGER) {
      return false;
    }
    const queue = this.#readQueue(name, position);
    if (!this.append(queue, position, payload, fileNumber, frameOffset)) {
      return false;
    }
    if (this.#retainedBytes > (this.#cold?.hotBytes ?? Infinity)) {
      this.#coolDown(true);
    }
    return true;
  }

  /**
   * The items of an AppendRecords body read back from the log, `bytes`
   * (checked: see `checkAppendItems`) from `bodyOffset`, each as
   * `appendRead` would; the payloads of consecutive ones are copied
   * together. Returns the number of records dropped as inconsistent.
   */
  appendReadItems(
    name: string,
    bytes: Uint8Array,
    bodyOffset: number,
    fileNumber: number,
    frameOffset: number,
  ): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const items = { bytes, view, from: 0, fileNumber, frameOffset };
    let dropped = 0;
    for (let at = bodyOffset; at < bytes.length;) {
      const position = appendItemPosition(view, at);
      const next = at + ITEM + view.getUint32(at + 8, true);
      if (
        this.#cold !== undefined || position === undefined ||
        position > Number.MAX_SAFE_INTEGER
      ) {
        const payload = bytes.subarray(at + ITEM, next);
        if (
          !this.appendRead(name, position, payload, fileNumber, frameOffset)
        ) {
          dropped++;
        }
        at = next;
        continue;
      }
      const queue = this.#readQueue(name, position);
      if (position < queue.nextPosition) {
        dropped++;
        at = next;
        continue;
      }
      const before = queue.hotBytes;
      items.from = at;
      at = queue.pushItems(items);
      if (!queue.internal) this.#retainedBytes += queue.hotBytes - before;
    }
    return dropped;
  }

  /** Queue `name` for a record read back at `position`, created there if missing. */
  #readQueue(name: string, position: number): MemQueue {
    let queue = this.#lastRead;
    if (queue === undefined || queue.name !== name) {
      queue = this.#queues.get(name) ??
        this.#put(name, encoder.encode(name), position);
      this.#lastRead = queue;
    }
    return queue;
  }

  /**
   * Past `cold.hotBytes`, makes the oldest records that are visible (written
   * to the log) leave memory, until the bytes held fit again or no more can
   * leave. Called once appends become visible.
   */
  coolDown(): void {
    if (this.#retainedBytes > (this.#cold?.hotBytes ?? Infinity)) {
      this.#coolDown(false);
    }
  }

  /**
   * See `coolDown`; with `any` (records read back on open), records need not
   * be visible, and the chunks freed are kept for the next ones.
   */
  #coolDown(any: boolean): void {
    const limit = this.#cold!.hotBytes;
    const recycle = any ? this.#recycle : undefined;
    while (this.#retainedBytes > limit) {
      let largest: MemQueue | undefined;
      for (const queue of this.#queues.values()) {
        if (
          queue.canEvict(any) &&
          (largest === undefined || queue.hotBytes > largest.hotBytes)
        ) {
          largest = queue;
        }
      }
      if (largest === undefined) return;
      this.#retainedBytes -= largest.evictFirstChunk(recycle);
    }
  }

  readonly #recycle = (bytes: Uint8Array): void => {
    if (this.#spare.length < MAX_SPARE_CHUNKS) this.#spare.push(bytes);
  };

  /**
   * Drops `queue`'s records at positions up to and including `position`
   * (see `MemQueue.truncate`); returns the number dropped.
   */
  truncate(queue: MemQueue, position: number): number {
    const before = queue.hotBytes;
    const dropped = queue.truncate(position);
    if (!queue.internal) this.#retainedBytes -= before - queue.hotBytes;
    return dropped;
  }

  /** Deletes queue `name`; returns it, marked deleted (its readers stop), if it existed. */
  delete(name: string): MemQueue | undefined {
    const queue = this.#queues.get(name);
    if (queue === undefined) return undefined;
    if (queue === this.#lastRead) this.#lastRead = undefined;
    this.#queues.delete(name);
    queue.deleted = true;
    if (!queue.internal) this.#retainedBytes -= queue.hotBytes;
    return queue;
  }

  /**
   * Makes every record held visible to readers (once read back from the
   * log): views of them may be handed out from now on.
   */
  showAll(): void {
    this.#spare.length = 0;
    for (const queue of this.#queues.values()) {
      queue.visibleNext = queue.nextPosition;
    }
  }

  /**
   * The oldest log file that a record of a user queue held is in, or
   * `current` if none is older. State queues are not counted: their one
   * record is written again before older files are deleted.
   */
  oldestFileNeeded(current: number): number {
    let oldest = current;
    for (const queue of this.#queues.values()) {
      const file = queue.firstFileNumber;
      if (file !== undefined && file < oldest && !queue.internal) {
        oldest = file;
      }
    }
    return oldest;
  }

  /** The state queues whose first record held is in a file before `file`. */
  stateQueuesBefore(file: number): MemQueue[] {
    return [...this.#queues.values()].filter((queue) =>
      queue.internal && (queue.firstFileNumber ?? file) < file
    );
  }

  /** The queues that hold no record. */
  emptyQueues(): MemQueue[] {
    return [...this.#queues.values()].filter((queue) => queue.length === 0);
  }

  /** Memory used by the queues (payloads in memory and index) and allocated for them. */
  memoryUsage(): { usedBytes: number; allocatedBytes: number } {
    let usedBytes = 0;
    let allocatedBytes = 0;
    for (const queue of this.#queues.values()) {
      usedBytes += queue.hotBytes + queue.length * queue.indexBytesPerRecord;
      allocatedBytes += queue.allocatedBytes();
    }
    return { usedBytes, allocatedBytes };
  }

  /** Puts an empty queue in place of any queue of that name. */
  #put(name: string, nameBytes: Uint8Array, next: number): MemQueue {
    this.delete(name);
    const queue = new MemQueue(
      name,
      nameBytes,
      next,
      this.#allocator,
      this.#cold,
    );
    this.#queues.set(name, queue);
    return queue;
  }
}

/** Spare chunks kept at most (see `MemQueues.#spare`). */
const MAX_SPARE_CHUNKS = 16;

/** Takes a chunk of `bytes` bytes out of `spare`, if there is one. */
function takeSpare(spare: Uint8Array[], bytes: number): Uint8Array | undefined {
  for (let i = spare.length - 1; i >= 0; i--) {
    const chunk = spare[i];
    if (chunk.length === bytes) {
      spare[i] = spare[spare.length - 1];
      spare.pop();
      return chunk;
    }
  }
  return undefined;
}

function compareNames(a: MemQueue, b: MemQueue): number {
  const x = a.nameBytes;
  const y = b.nameBytes;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}
