import type { LogRecord } from "../log_record.ts";
import { pause } from "../streams/pause.ts";
import type { ColdReader } from "./cold_reader.ts";

/** Records between two looks at the clock. */
const CHECK_EVERY = 256;
/** The longest run of records delivered without handing the event loop back. */
const SLICE_MS = 0.5;

/**
 * The records of `records` as an async iterator that hands the event loop
 * back (see `pause`: while other work waits, it takes at most a ninth of the
 * loop's time) after each read of a log file by `reader`, and at least
 * every `SLICE_MS`: a long read lets appends, timers and I/O run meanwhile
 * (each read of the files is a synchronous read of at most
 * `COLD_READ_BYTES`). Other records cost a resolved promise each. Written by
 * hand rather than as an async generator, which costs several times more per
 * record.
 */
export function rangeAsync(
  records: Iterator<LogRecord>,
  reader: ColdReader | undefined,
): AsyncIterableIterator<LogRecord> {
  let reads = reader?.reads ?? 0;
  let count = 0;
  let sliceStart = performance.now();
  let done = false;
  const finished: IteratorResult<LogRecord> = { done: true, value: undefined };
  return {
    next(): Promise<IteratorResult<LogRecord>> {
      if (done) return Promise.resolve(finished);
      let next: IteratorResult<LogRecord>;
      try {
        next = records.next();
      } catch (error) {
        done = true;
        return Promise.reject(error);
      }
      if (next.done) {
        done = true;
        return Promise.resolve(finished);
      }
      const read = reader !== undefined && reader.reads !== reads;
      if (
        read ||
        (++count % CHECK_EVERY === 0 &&
          performance.now() - sliceStart >= SLICE_MS)
      ) {
        reads = reader?.reads ?? 0;
        return pause(performance.now() - sliceStart).then(() => {
          sliceStart = performance.now();
          return next;
        });
      }
      return Promise.resolve(next);
    },
    return(): Promise<IteratorResult<LogRecord>> {
      done = true;
      records.return?.();
      return Promise.resolve(finished);
    },
    [Symbol.asyncIterator](): AsyncIterableIterator<LogRecord> {
      return this;
    },
  };
}
