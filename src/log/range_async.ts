import { setImmediate } from "node:timers";
import type { LogRecord } from "../log_record.ts";
import type { ColdReader } from "./cold_reader.ts";

/**
 * The records of `records` as an async iterator that hands the event loop
 * back (a macrotask) after each read of a log file by `reader`: a long read
 * of cold records lets appends, timers and I/O run between its reads (each a
 * synchronous read of at most `COLD_READ_BYTES`). Records already in memory
 * cost a resolved promise each. Written by hand rather than as an async
 * generator, which costs several times more per record.
 */
export function rangeAsync(
  records: Iterator<LogRecord, void, undefined>,
  reader: ColdReader | undefined,
): AsyncIterableIterator<LogRecord> {
  let reads = reader?.reads ?? 0;
  let done = false;
  const finished: IteratorResult<LogRecord> = { done: true, value: undefined };
  return {
    next(): Promise<IteratorResult<LogRecord>> {
      if (done) return Promise.resolve(finished);
      let next: IteratorResult<LogRecord, void>;
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
      if (reader !== undefined && reader.reads !== reads) {
        reads = reader.reads;
        return new Promise((resolve) => setImmediate(() => resolve(next)));
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
