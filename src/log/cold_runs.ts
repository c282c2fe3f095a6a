import type { RecordIndex } from "./record_index.ts";

/** Records of a queue that left memory, all in one log file (a chunk evicted). */
interface ColdRun {
  fileNumber: number;
  firstRecord: number;
  lastRecord: number;
  /** Their payload bytes. */
  bytes: number;
}

/**
 * The records of a queue that left memory (see `MemQueue.evictFirstChunk`):
 * consecutive absolute indexes, in runs of one log file each. Their index
 * offsets (in the queue's `RecordIndex`) hold their payload lengths.
 */
export class ColdRuns {
  #runs: ColdRun[] = [];
  /** Payload bytes of the cold records. */
  bytes = 0;

  /** The file the first cold record is in, if any. */
  get firstFileNumber(): number | undefined {
    return this.#runs[0]?.fileNumber;
  }

  /** Adds records `first` to `last` of file `fileNumber`, `bytes` bytes, after the others. */
  add(fileNumber: number, first: number, last: number, bytes: number): void {
    const tail = this.#runs[this.#runs.length - 1];
    if (tail !== undefined && tail.fileNumber === fileNumber) {
      tail.lastRecord = last;
      tail.bytes += bytes;
    } else {
      this.#runs.push({
        fileNumber,
        firstRecord: first,
        lastRecord: last,
        bytes,
      });
    }
    this.bytes += bytes;
  }

  /** Drops the cold records before `head`; `index` gives their lengths. */
  dropBefore(head: number, index: RecordIndex): void {
    const runs = this.#runs;
    let count = 0;
    while (count < runs.length && runs[count].lastRecord < head) {
      this.bytes -= runs[count].bytes;
      count++;
    }
    if (count > 0) runs.splice(0, count);
    const run = runs[0];
    if (run !== undefined && run.firstRecord < head) {
      let freed = 0;
      for (let a = run.firstRecord; a < head; a++) freed += index.offset(a);
      run.bytes -= freed;
      run.firstRecord = head;
      this.bytes -= freed;
    }
  }

  /** Drops them all. */
  clear(): void {
    this.#runs.length = 0;
    this.bytes = 0;
  }

  /** The file cold record `absolute` is in. */
  fileOf(absolute: number): number {
    const runs = this.#runs;
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (runs[mid].firstRecord <= absolute) lo = mid;
      else hi = mid - 1;
    }
    return runs[lo].fileNumber;
  }

  /**
   * The first cold record whose prefix (from the first cold record) holds at
   * least `bytes` bytes, or `undefined` if all of them hold less.
   */
  firstReaching(bytes: number, index: RecordIndex): number | undefined {
    let before = 0;
    for (const run of this.#runs) {
      if (before + run.bytes < bytes) {
        before += run.bytes;
        continue;
      }
      for (let a = run.firstRecord; a <= run.lastRecord; a++) {
        before += index.offset(a);
        if (before >= bytes) return a;
      }
    }
    return undefined;
  }

  /** Payload bytes of the cold records up to `last` (absolute), included. */
  bytesUpTo(last: number, index: RecordIndex): number {
    let total = 0;
    for (const run of this.#runs) {
      if (run.lastRecord > last) {
        for (let a = run.firstRecord; a <= last; a++) total += index.offset(a);
        return total;
      }
      total += run.bytes;
    }
    return total;
  }
}
