import type { LogRecordBatch } from "../log_record_batch.ts";
import type { ColdReader } from "./cold_reader.ts";
import { type ColdRecords, itemOf } from "./cold_records.ts";
import type { ColdRuns } from "./cold_runs.ts";
import type { RecordIndex } from "./record_index.ts";

/** How a queue's records leave memory (the `hotBytes` open option). */
export interface ColdStorage {
  /** Payload bytes kept in memory, all user queues together. */
  hotBytes: number;
  /** Where cold records are read back from. */
  reader: ColdReader;
}

/**
 * Reads one queue's cold records (see `MemQueue.evictFirstChunk`) back from
 * the log files through the log's {@linkcode ColdReader}: the queue's
 * `ColdRuns` give each record's file, its `RecordIndex` the offset of the
 * AppendRecords record that holds it and its position. Reads are
 * synchronous and may raise `CorruptionError`.
 */
export class QueueColdReader {
  readonly #reader: ColdReader;
  readonly #runs: ColdRuns;
  readonly #index: RecordIndex;
  readonly #name: string;

  /** Reads the cold records of queue `name` through `storage.reader`. */
  constructor(
    storage: ColdStorage,
    runs: ColdRuns,
    index: RecordIndex,
    name: string,
  ) {
    this.#reader = storage.reader;
    this.#runs = runs;
    this.#index = index;
    this.#name = name;
  }

  /** The payload of cold record `absolute`, read from its log file. */
  payload(absolute: number): Uint8Array {
    return this.#reader.payload(
      this.#runs.fileOf(absolute),
      this.#index.frame(absolute),
      this.#name,
      this.#index.position(absolute),
    );
  }

  /**
   * The records from cold record `first` on, at positions below `below`, at
   * most `max`, of the AppendRecords records read back from one buffer (a
   * window of the files), whose items follow each other in the reader's
   * arrays; records from `hotHead` on are in memory, not read.
   */
  batch(
    first: number,
    hotHead: number,
    below: number,
    max: number,
  ): LogRecordBatch {
    const index = this.#index;
    let run = this.#records(first);
    const { positions, starts, lengths } = run;
    const buffer = run.bytes.buffer;
    const from = itemOf(run, index.position(first)); // in the arrays
    let end = from; // past the last item taken
    for (let n = 0;;) {
      const runEnd = run.first + run.count;
      const stop = Math.min(runEnd, end + max - n);
      const was = end;
      while (end < stop && positions[end] < below) end++;
      n += end - was;
      const next = first + n;
      if (
        end < runEnd || n >= max || next >= hotHead ||
        index.position(next) >= below
      ) break;
      const more = this.#records(next);
      if (
        more.bytes.buffer !== buffer || more.positions !== positions ||
        more.first !== end || more.count === 0 ||
        positions[end] !== index.position(next)
      ) break;
      run = more;
    }
    return {
      positions: positions.subarray(from, end),
      bytes: new Uint8Array(buffer),
      starts: starts.subarray(from, end),
      lengths: lengths.subarray(from, end),
    };
  }

  /** The items of the AppendRecords record cold record `absolute` is in. */
  #records(absolute: number): ColdRecords {
    return this.#reader.records(
      this.#runs.fileOf(absolute),
      this.#index.frame(absolute),
      this.#name,
    );
  }
}
