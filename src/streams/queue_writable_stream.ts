/**
 * A `WritableStream` that appends to a queue of a log.
 *
 * @module
 */

import {
  checkOptionalPosition,
  checkPayload,
  checkPayloads,
} from "../arguments.ts";
import {
  LogClosedError,
  MemoryLimitError,
  MissingQueueError,
  PositionInPastError,
} from "../errors.ts";
import type { QueueLog } from "./queue_log.ts";

/** Options of {@linkcode createQueueWritable} (`log.writable(queue, options)`). */
export interface QueueWritableOptions {
  /**
   * The position of the first record written; later records follow at
   * consecutive positions. Without it, every record goes at the queue's next
   * position. With it, the stream can replay records safely: see
   * {@linkcode createQueueWritable}.
   */
  position?: number;
  /**
   * How long, in milliseconds, a write may wait at the log's memory limit
   * before the stream errors with the `MemoryLimitError`. Default: it waits
   * as long as it takes.
   */
  memoryWaitTimeoutMs?: number;
  /**
   * How many chunks (records or batches) the stream queues, the one being
   * written included, before `desiredSize` falls to zero. Default 1.
   */
  highWaterMark?: number;
  /**
   * Called once a chunk is persisted (or found already there, with
   * `position`), with the positions of its first and last records.
   */
  onPersisted?: (firstPosition: number, lastPosition: number) => void;
}

/**
 * A `WritableStream` appending to `queue` of `log`. Each `Uint8Array` chunk
 * is one record at the queue's next position; each `Uint8Array[]` chunk is an
 * atomic batch: one log record, one write, one fsync (an empty array writes
 * nothing). Payloads are copied into the log, so chunks may be reused once
 * their write resolved. Use one writer per queue.
 *
 * - `write()` resolves once the record or batch is persisted as the log's
 *   persist policy says, and visible to readers; `close()` resolves once
 *   every chunk written is (call `log.persist("fsync")` for durability under
 *   a lazy policy); `abort()` stops without writing more (a write already
 *   handed to the log completes).
 * - To commit the records that arrive together in one write, pipe them
 *   through a `RecordBatchStream` first.
 * - At the memory limit (`appendRecords` rejecting with `MemoryLimitError`)
 *   the write waits, pending (so `desiredSize` falls to zero and pipes stop
 *   reading), and is retried whenever the log changes, until room is freed by
 *   a truncate or a delete; with `memoryWaitTimeoutMs` the stream errors with
 *   the `MemoryLimitError` after that long. A batch larger than the limit
 *   itself can never fit: it errors the stream at once. `abort()` ends the
 *   wait at once, but a pipe lets the write in progress settle before it
 *   aborts: an error upstream of a pipe stalled here surfaces once room is
 *   freed or `memoryWaitTimeoutMs` elapses.
 * - The stream errors with `MissingQueueError` once the queue is deleted and
 *   with `LogClosedError` once the log closes (even while idle), and with
 *   the log's error on a failed write (`LogFailedError`) or a bad chunk
 *   (`TypeError`).
 *
 * With `options.position`, the first record goes at that position and each
 * later one right after the one before, whatever the queue holds: so a
 * producer can resend from the position it last knew to be persisted.
 * Records at positions below the queue's next position are taken as a
 * replay: each one still held in the queue must have the same bytes (it is
 * then skipped; otherwise the stream errors with `PositionInPastError`), and
 * one no longer held (truncated, or a gap) is skipped. The rest of a batch
 * straddling the queue's end is appended. Positions past the queue's end
 * leave a gap, as `appendRecords` does.
 *
 * @throws {MissingQueueError} If the queue does not exist.
 * @throws {LogClosedError} If the log is closed.
 * @throws {TypeError | RangeError} On bad options.
 *
 * @example
 * ```ts ignore
 * const writer = log.writable("q").getWriter();
 * await writer.write(new TextEncoder().encode("one record"));
 * await writer.write([new Uint8Array([1]), new Uint8Array([2])]); // one batch
 * await writer.close();
 * ```
 */
export function createQueueWritable(
  log: QueueLog,
  queue: string,
  options: QueueWritableOptions = {},
  isCurrent: () => boolean,
): WritableStream<Uint8Array | Uint8Array[]> {
  const checked = checkOptions(options);
  let next = checked.position;
  log.lastPosition(queue); // Raises MissingQueueError or LogClosedError.

  let unsubscribe: (() => void) | undefined;
  const stop = (): void => {
    unsubscribe?.();
    unsubscribe = undefined;
  };

  return new WritableStream<Uint8Array | Uint8Array[]>({
    start(controller): void {
      unsubscribe = log.onChange(() => {
        const error = goneError(log, queue, isCurrent);
        if (error === undefined) return;
        stop();
        controller.error(error);
      });
    },
    async write(chunk, controller): Promise<void> {
      try {
        const payloads = toPayloads(chunk);
        const start = next;
        if (start !== undefined) next = start + payloads.length;
        await writePayloads(
          log,
          queue,
          isCurrent,
          checked,
          start,
          payloads,
          controller.signal,
        );
      } catch (error) {
        stop();
        throw error;
      }
    },
    close: stop,
    abort: stop,
  }, new CountQueuingStrategy({ highWaterMark: checked.highWaterMark }));
}

/**
 * Writes one chunk's `payloads` at `start` (`undefined`: at the queue's
 * end): the ones replaying what the queue holds are skipped, the rest
 * appended, waiting for room at the memory limit; reports them persisted to
 * `options.onPersisted`.
 */
async function writePayloads(
  log: QueueLog,
  queue: string,
  isCurrent: () => boolean,
  options: QueueWritableOptions,
  start: number | undefined,
  payloads: Uint8Array[],
  signal: AbortSignal,
): Promise<void> {
  const { memoryWaitTimeoutMs: timeoutMs, onPersisted } = options;
  if (payloads.length === 0) return;
  if (start !== undefined) {
    // Appends still pending become visible, to be compared.
    await log.persist("flush");
    const skipped = replayed(log, queue, start, payloads);
    if (skipped > 0) onPersisted?.(start, start + skipped - 1);
    if (skipped === payloads.length) return;
    if (skipped > 0) {
      payloads = payloads.slice(skipped);
      start += skipped;
    }
  }
  const last = await appendWhenRoom(
    log,
    queue,
    isCurrent,
    start,
    payloads,
    timeoutMs,
    signal,
  );
  if (last === undefined) {
    // An explicit position taken as a retry of the queue's last record.
    throw new PositionInPastError(queue, start!, start! + 1);
  }
  onPersisted?.(last - payloads.length + 1, last);
}

/** The options with the default `highWaterMark`; raises `TypeError` or `RangeError` on bad ones. */
function checkOptions(
  options: QueueWritableOptions,
): QueueWritableOptions & { highWaterMark: number } {
  const position = checkOptionalPosition(options.position, "position");
  const timeoutMs = options.memoryWaitTimeoutMs;
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== "number" || !(timeoutMs >= 0))
  ) {
    throw new RangeError(
      `memoryWaitTimeoutMs must be a non-negative number, got ${timeoutMs}`,
    );
  }
  const highWaterMark = options.highWaterMark ?? 1;
  if (typeof highWaterMark !== "number" || !(highWaterMark >= 0)) {
    throw new RangeError(
      `highWaterMark must be a non-negative number, got ${highWaterMark}`,
    );
  }
  const onPersisted = options.onPersisted;
  if (onPersisted !== undefined && typeof onPersisted !== "function") {
    throw new TypeError("onPersisted must be a function");
  }
  return {
    position,
    memoryWaitTimeoutMs: timeoutMs,
    highWaterMark,
    onPersisted,
  };
}

/** Why the stream cannot go on: the log closed or the queue is gone. */
function goneError(
  log: QueueLog,
  queue: string,
  isCurrent: () => boolean,
): Error | undefined {
  if (log.closed) return new LogClosedError();
  if (!isCurrent()) return new MissingQueueError(queue);
  return undefined;
}

function toPayloads(chunk: unknown): Uint8Array[] {
  if (!Array.isArray(chunk)) return [checkPayload(chunk, "chunk")];
  checkPayloads(chunk, "chunk");
  return chunk;
}

/**
 * How many leading records of `payloads`, to go at `start` onwards, lie below
 * the queue's next position: a replay. Raises `PositionInPastError` if one of
 * them differs from the record the queue holds at its position.
 */
function replayed(
  log: QueueLog,
  queue: string,
  start: number,
  payloads: Uint8Array[],
): number {
  const last = log.lastPosition(queue);
  const queueNext = last === undefined ? 0 : last + 1;
  if (start >= queueNext) return 0;
  const end = Math.min(start + payloads.length, queueNext) - 1;
  for (
    const { position, payload } of log.range(queue, { from: start, to: end })
  ) {
    if (!sameBytes(payload, payloads[position - start])) {
      throw new PositionInPastError(queue, position, queueNext);
    }
  }
  return end - start + 1;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Appends, waiting at the memory limit until there is room (or the timeout). */
async function appendWhenRoom(
  log: QueueLog,
  queue: string,
  isCurrent: () => boolean,
  position: number | undefined,
  payloads: Uint8Array[],
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<number | undefined> {
  let deadline: number | undefined;
  for (;;) {
    signal.throwIfAborted();
    const gone = goneError(log, queue, isCurrent);
    if (gone) throw gone;
    try {
      return (await log.appendRecords(queue, position, payloads)).lastPosition;
    } catch (error) {
      if (!(error instanceof MemoryLimitError)) throw error;
      let bytes = 0;
      for (const payload of payloads) bytes += payload.length;
      if (bytes > log.memoryLimitBytes) throw error;
      if (timeoutMs !== undefined) deadline ??= Date.now() + timeoutMs;
      await waitForRoom(log, queue, isCurrent, bytes, deadline, error, signal);
    }
  }
}

/**
 * Resolves once `bytes` more fit under the memory limit, or the log closed,
 * or the queue is gone (the retry then raises the right error). Rejects with
 * `error` at `deadline`, and with the abort reason if `signal` aborts.
 */
function waitForRoom(
  log: QueueLog,
  queue: string,
  isCurrent: () => boolean,
  bytes: number,
  deadline: number | undefined,
  error: MemoryLimitError,
  signal: AbortSignal,
): Promise<void> {
  const ready = (): boolean =>
    goneError(log, queue, isCurrent) !== undefined ||
    log.retainedBytes + bytes <= log.memoryLimitBytes;
  if (ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      unsubscribe();
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      settle();
      reject(signal.reason);
    };
    const unsubscribe = log.onChange(() => {
      if (!ready()) return;
      settle();
      resolve();
    });
    const timer = deadline === undefined ? undefined : setTimeout(() => {
      settle();
      reject(error);
    }, Math.max(0, deadline - Date.now()));
    signal.addEventListener("abort", onAbort);
    if (signal.aborted) onAbort();
  });
}
