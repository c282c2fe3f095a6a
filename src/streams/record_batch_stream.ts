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

    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let done = false;
    let source!: ReadableStreamDefaultController<Uint8Array[]>;
    let sink!: WritableStreamDefaultController;
    // Resolves the pull waiting for a record, if any.
    let demand: (() => void) | undefined;
    // Resolves the write waiting for the full batch to be read, if any.
    let room: (() => void) | undefined;

    const release = (): void => {
      const d = demand;
      const r = room;
      demand = room = undefined;
      d?.();
      r?.();
    };
    const emit = (): void => {
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      source.enqueue(batch);
      release();
    };
    const stop = (): void => {
      done = true;
      pending = [];
      pendingBytes = 0;
      release();
    };

    this.readable = new ReadableStream<Uint8Array[]>({
      start(controller): void {
        source = controller;
      },
      pull(): Promise<void> | void {
        if (pending.length > 0) return emit();
        return new Promise((resolve) => demand = resolve);
      },
      cancel(reason): void {
        stop();
        sink.error(reason);
      },
    }, { highWaterMark: 0 });

    this.writable = new WritableStream<Uint8Array>({
      start(controller): void {
        sink = controller;
        // abort() waits for the write in progress: free it if it is blocked.
        controller.signal.addEventListener("abort", () => {
          const r = room;
          room = undefined;
          r?.();
        });
      },
      write(record): Promise<void> | void {
        if (!(record instanceof Uint8Array)) {
          const error = new TypeError(
            "RecordBatchStream accepts only Uint8Array chunks",
          );
          stop();
          source.error(error);
          throw error;
        }
        if (done) return;
        pending.push(record);
        pendingBytes += record.length;
        if (demand) return emit();
        if (pending.length >= maxRecords || pendingBytes >= maxBytes) {
          return new Promise((resolve) => room = resolve);
        }
      },
      close(): void {
        if (done) return;
        if (pending.length > 0) emit();
        done = true;
        source.close();
        release();
      },
      abort(reason): void {
        if (done) return;
        stop();
        source.error(reason);
      },
    });
  }
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
