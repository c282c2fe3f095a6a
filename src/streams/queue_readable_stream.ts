/**
 * A `ReadableStream` of the records of a queue of a log.
 *
 * @module
 */

import { checkOptionalPosition } from "../arguments.ts";
import type { LogRecord } from "../log_record.ts";
import type { LogRecordBatch } from "../log_record_batch.ts";
import { pause } from "./pause.ts";
import type { QueueLog } from "./queue_log.ts";

/** Options of {@linkcode createQueueReadable} (`log.readable(queue, options)`). */
export interface QueueReadableOptions {
  /** The first position to read (inclusive). Default 0. */
  from?: number;
  /** The last position to read (inclusive). Default: no bound. */
  to?: number;
  /**
   * Stay open at the end of the queue and deliver the records appended
   * later, until `to` is reached, the queue is deleted, the log closes or the
   * reader cancels. Default `false`: the stream ends at the queue's last
   * position when it was created.
   */
  follow?: boolean;
  /**
   * How many records the stream reads ahead of its reader and holds. With 0
   * a record is taken from the log only when the reader asks for one.
   * Default 16. With `batch`, a count of batches.
   */
  highWaterMark?: number;
  /**
   * Deliver the records in batches (`LogRecordBatch`: positions, payload
   * offsets and lengths in arrays, no object per record) instead of one
   * `LogRecord` per chunk: the fast way to drain a queue, from memory or from
   * the log files (see `log.rangeBatches`). Default `false`.
   */
  batch?: boolean;
}

const DEFAULT_HIGH_WATER_MARK = 16;
/**
 * The most time a stream spends taking records (reading the log, from
 * memory or from the files with `hotBytes`) between two pauses (see
 * `pause`), so that timers and I/O, appends among them, run meanwhile.
 */
const SLICE_MS = 0.5;
/**
 * The longest a stream read without pause keeps the event loop, its
 * reader's work included: a reader that takes records as fast as they come
 * lets other work run at least this often.
 */
const LOOP_SLICE_MS = 2;

/**
 * A `ReadableStream` of the records of `queue` of `log` from `options.from`
 * to `options.to` (both inclusive), in position order, as `range` gives
 * them: payloads are views of the log's memory, not copies.
 *
 * The stream is pull-based: it takes records from the log only as its reader
 * asks, holding at most `highWaterMark` records read ahead (a count queuing
 * strategy), so a slow reader holds little. Records truncated before the
 * stream takes them are skipped: the reader sees a jump in positions (a gap
 * left by an explicit append position looks the same). Records the stream
 * already holds (at most `highWaterMark`) are still delivered after a
 * truncate; with `highWaterMark: 0` none is, as each record is taken from the
 * log for a waiting read.
 *
 * A reader that takes records without pause (from memory, or from the log
 * files with `hotBytes`) still hands the event loop back after 0.5 ms of
 * reads or 2 ms in all, and, while other work (appends, I/O) is waiting,
 * takes at most a ninth of the event loop's time: it runs at full speed on
 * an idle loop only.
 *
 * Without `follow`, the stream ends at the queue's last position when it was
 * created (or at `to`, if lower). With `follow: true` it waits at the end of
 * the queue and delivers the records appended later as they become visible
 * (that is, once persisted as the log's policy says), until `to` is reached.
 * Either way the stream closes, without error, when the queue is deleted or
 * the log closes; cancelling it stops waiting.
 *
 * @throws {MissingQueueError} If the queue does not exist, at once.
 * @throws {LogClosedError} If the log is closed.
 * @throws {TypeError | RangeError} On bad options.
 *
 * @example Following a queue
 * ```ts ignore
 * for await (const { position, payload } of log.readable("q", { follow: true })) {
 *   console.log(position, new TextDecoder().decode(payload));
 * }
 * ```
 */
export function createQueueReadable(
  log: QueueLog,
  queue: string,
  options: QueueReadableOptions = {},
  isCurrent: () => boolean,
): ReadableStream<LogRecord> | ReadableStream<LogRecordBatch> {
  const checked = checkOptions(options);
  const last = log.lastPosition(queue); // Raises MissingQueueError or LogClosedError.
  if (!checked.follow) checked.to = Math.min(checked.to, last ?? -1);
  return new ReadableStream<LogRecord | LogRecordBatch>(
    new QueueSource(log, queue, checked, isCurrent),
    new CountQueuingStrategy({ highWaterMark: checked.highWaterMark }),
  ) as ReadableStream<LogRecord> | ReadableStream<LogRecordBatch>;
}

/**
 * The underlying source of {@linkcode createQueueReadable}'s stream: the
 * next position to read, and how long the stream has kept the event loop
 * since its last pause.
 */
class QueueSource {
  readonly #log: QueueLog;
  readonly #queue: string;
  readonly #options: Required<QueueReadableOptions>;
  readonly #isCurrent: () => boolean;
  #cursor: number;
  #cancelled = false;
  #sliceStart: number | undefined; // since the last pause
  #busy = 0; // ms spent taking records since the last pause
  // Ends the wait for a change, if the stream is waiting.
  #wake: (() => void) | undefined;

  constructor(
    log: QueueLog,
    queue: string,
    options: Required<QueueReadableOptions>,
    isCurrent: () => boolean,
  ) {
    this.#log = log;
    this.#queue = queue;
    this.#options = options;
    this.#isCurrent = isCurrent;
    this.#cursor = options.from;
  }

  /** Pauses if the stream kept the event loop long enough, then takes. */
  async pull(
    controller: ReadableStreamDefaultController<LogRecord | LogRecordBatch>,
  ): Promise<void> {
    const now = performance.now();
    this.#sliceStart ??= now;
    const sliceStart = this.#sliceStart;
    if (this.#busy >= SLICE_MS || now - sliceStart >= LOOP_SLICE_MS) {
      await pause(Math.max(this.#busy, now - sliceStart));
      this.#sliceStart = performance.now();
      this.#busy = 0;
    }
    await this.#take(controller);
  }

  /** Stops the stream, and its wait for a change if it waits. */
  cancel(): void {
    this.#cancelled = true;
    this.#wake?.();
  }

  /** Enqueues what the reader wants, or waits for it, or closes. */
  async #take(
    controller: ReadableStreamDefaultController<LogRecord | LogRecordBatch>,
  ): Promise<void> {
    const { to, follow } = this.#options;
    while (!this.#cancelled) {
      if (this.#cursor > to || !this.#isCurrent()) {
        controller.close();
        return;
      }
      const began = performance.now();
      const count = this.#enqueue(controller, began);
      this.#busy += performance.now() - began;
      if (count > 0) {
        if (this.#cursor > to) controller.close();
        return;
      }
      // Nothing to deliver now.
      const end = this.#log.lastPosition(this.#queue);
      if (!follow || (end !== undefined && end >= to)) {
        controller.close();
        return;
      }
      await this.#changed();
      this.#sliceStart = performance.now();
      this.#busy = 0;
    }
  }

  /**
   * Enqueues records (or batches) from the cursor, as many as the reader
   * wants (batches: until `SLICE_MS` is spent since the last pause, counting
   * from `began`), moving the cursor past them; returns how many.
   */
  #enqueue(
    controller: ReadableStreamDefaultController<LogRecord | LogRecordBatch>,
    began: number,
  ): number {
    const to = this.#options.to;
    const wanted = Math.max(1, controller.desiredSize ?? 1);
    let count = 0;
    const bounds = { from: this.#cursor, to: to === Infinity ? undefined : to };
    if (this.#options.batch) {
      for (const records of this.#log.rangeBatches(this.#queue, bounds)) {
        controller.enqueue(records);
        this.#cursor = records.positions[records.positions.length - 1] + 1;
        if (++count >= wanted) break;
        if (this.#busy + performance.now() - began >= SLICE_MS) break;
      }
    } else {
      for (const record of this.#log.range(this.#queue, bounds)) {
        controller.enqueue(record);
        this.#cursor = record.position + 1;
        if (++count >= wanted) break;
      }
    }
    return count;
  }

  /** Resolves at the log's next change, or when the stream is cancelled. */
  #changed(): Promise<void> {
    return new Promise((resolve) => {
      const unsubscribe = this.#log.onChange(() => this.#wake?.());
      this.#wake = () => {
        this.#wake = undefined;
        unsubscribe();
        resolve();
      };
    });
  }
}

/** The options with their defaults; raises `TypeError` or `RangeError` on bad ones. */
function checkOptions(
  options: QueueReadableOptions,
): Required<QueueReadableOptions> {
  const from = checkOptionalPosition(options.from, "from") ?? 0;
  const to = checkOptionalPosition(options.to, "to") ?? Infinity;
  const follow = options.follow ?? false;
  if (typeof follow !== "boolean") {
    throw new TypeError(`follow must be a boolean, got ${typeof follow}`);
  }
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (typeof highWaterMark !== "number" || !(highWaterMark >= 0)) {
    throw new RangeError(
      `highWaterMark must be a non-negative number, got ${highWaterMark}`,
    );
  }
  const batch = options.batch ?? false;
  if (typeof batch !== "boolean") {
    throw new TypeError(`batch must be a boolean, got ${typeof batch}`);
  }
  return { from, to, follow, highWaterMark, batch };
}
