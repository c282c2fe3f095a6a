/**
 * A stream that groups records arriving while its reader is busy into one
 * batch, so a log writable commits them together.
 *
 * @module
 */

/** Options of {@linkcode RecordBatchStream}. */
export interface RecordBatchStreamOptions {
  /**
   * The most records in one batch. Once the pending batch holds that many,
   * the writable side applies backpressure until the batch is read.
   * Default 1024.
   */
  maxRecords?: number;
  /**
   * Payload bytes at which the pending batch is full: the writable side
   * applies backpressure until the batch is read, so a batch holds at most
   * `maxBytes` plus one record. Keep it well below the log's
   * `memoryLimitBytes`. Default 1 MiB.
   */
  maxBytes?: number;
}

const DEFAULT_MAX_RECORDS = 1024;
const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Groups records (one `Uint8Array` each) into batches (`Uint8Array[]`): the
 * records written while the readable side is not being read are kept, and the
 * whole pending group is emitted as one array as soon as the readable side is
 * pulled. A record written while a read is waiting is emitted at once, alone.
 * No timer is involved, and no payload byte is copied: batches hold the very
 * `Uint8Array`s written.
 *
 * Piped into a queue's writable stream (whose writes take array chunks as
 * atomic batches), this gives group commit: while one batch is being
 * persisted, the records arriving meanwhile pile up, and the next write
 * commits them all with one log record and one write (and one fsync under an
 * fsync policy).
 *
 * It is a readable/writable pair usable wherever a `TransformStream` is (for
 * example `pipeThrough`); closing, aborting and cancelling propagate as they
 * do through a `TransformStream`.
 *
 * @example Committing the records that arrive together in one fsync
 * ```ts ignore
 * import { LineSplitStream, MultiRecordLog, RecordBatchStream } from "@x/mrecordlog";
 *
 * const log = await MultiRecordLog.open(dir, {
 *   persistPolicy: { kind: "always", action: "fsync" },
 * });
 * const response = await fetch(url);
 * await response.body!
 *   .pipeThrough(new LineSplitStream())
 *   .pipeThrough(new RecordBatchStream())
 *   .pipeTo(log.writable("q"));
 * ```
 */
export class RecordBatchStream
  implements TransformStream<Uint8Array, Uint8Array[]> {
  /** The batches, one array of records each, never empty. */
  readonly readable: ReadableStream<Uint8Array[]>;
  /** The records, one `Uint8Array` each (empty records included). */
  readonly writable: WritableStream<Uint8Array>;

  /**
   * Builds a batcher.
   *
   * @throws {RangeError} If `maxRecords` or `maxBytes` is not a positive integer.
   */
  constructor(options: RecordBatchStreamOptions = {}) {
    const maxRecords = positiveInteger(
      options.maxRecords ?? DEFAULT_MAX_RECORDS,
      "maxRecords",
    );
    const maxBytes = positiveInteger(
      options.maxBytes ?? DEFAULT_MAX_BYTES,
      "maxBytes",
    );

    const batch: Batch = {
      pending: [],
      pendingBytes: 0,
      done: false,
      source: undefined!,
      sink: undefined!,
      demand: undefined,
      room: undefined,
    };
    this.readable = batchReadable(batch);
    this.writable = recordWritable(batch, maxRecords, maxBytes);
  }
}

/** What the two sides of a {@linkcode RecordBatchStream} share. */
interface Batch {
  /** The records of the batch being gathered, and their bytes. */
  pending: Uint8Array[];
  pendingBytes: number;
  /** Set once either side ended: later records are dropped. */
  done: boolean;
  source: ReadableStreamDefaultController<Uint8Array[]>;
  sink: WritableStreamDefaultController;
  /** Resolves the pull waiting for a record, if any. */
  demand: (() => void) | undefined;
  /** Resolves the write waiting for the full batch to be read, if any. */
  room: (() => void) | undefined;
}

/** Frees the pull and the write waiting, if any. */
function release(batch: Batch): void {
  const { demand, room } = batch;
  batch.demand = batch.room = undefined;
  demand?.();
  room?.();
}

/** Hands the pending records to the reader as one batch. */
function emit(batch: Batch): void {
  const records = batch.pending;
  batch.pending = [];
  batch.pendingBytes = 0;
  batch.source.enqueue(records);
  release(batch);
}

/** Ends the batching: drops the pending records and frees any wait. */
function stop(batch: Batch): void {
  batch.done = true;
  batch.pending = [];
  batch.pendingBytes = 0;
  release(batch);
}

/** The readable side: a batch whenever the reader asks and records wait. */
function batchReadable(batch: Batch): ReadableStream<Uint8Array[]> {
  return new ReadableStream<Uint8Array[]>({
    start(controller): void {
      batch.source = controller;
    },
    pull(): Promise<void> | void {
      if (batch.pending.length > 0) return emit(batch);
      return new Promise((resolve) => batch.demand = resolve);
    },
    cancel(reason): void {
      stop(batch);
      batch.sink.error(reason);
    },
  }, { highWaterMark: 0 });
}

/** The writable side: records gathered, a write held while the batch is full. */
function recordWritable(
  batch: Batch,
  maxRecords: number,
  maxBytes: number,
): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    start(controller): void {
      batch.sink = controller;
      // abort() waits for the write in progress: free it if it is blocked.
      controller.signal.addEventListener("abort", () => {
        const room = batch.room;
        batch.room = undefined;
        room?.();
      });
    },
    write(record): Promise<void> | void {
      if (!(record instanceof Uint8Array)) {
        const error = new TypeError(
          "RecordBatchStream accepts only Uint8Array chunks",
        );
        stop(batch);
        batch.source.error(error);
        throw error;
      }
      if (batch.done) return;
      batch.pending.push(record);
      batch.pendingBytes += record.length;
      if (batch.demand) return emit(batch);
      if (
        batch.pending.length >= maxRecords || batch.pendingBytes >= maxBytes
      ) {
        return new Promise((resolve) => batch.room = resolve);
      }
    },
    close(): void {
      if (batch.done) return;
      if (batch.pending.length > 0) emit(batch);
      batch.done = true;
      batch.source.close();
      release(batch);
    },
    abort(reason): void {
      if (batch.done) return;
      stop(batch);
      batch.source.error(reason);
    },
  });
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
