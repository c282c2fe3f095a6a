import { setImmediate } from "node:timers";
import type { LogRecord } from "../log_record.ts";
import type { ColdReader } from "./cold_reader.ts";

/**
 * The records of `records`, handing the event loop back after each read of
 * a log file by `reader`: a long read of cold records lets appends, timers
 * and I/O run between its reads (each a synchronous read of at most
 * `COLD_READ_BYTES`).
 */
export async function* rangeAsync(
  records: Iterator<LogRecord>,
  reader: ColdReader | undefined,
): AsyncGenerator<LogRecord, void, undefined> {
  let reads = reader?.reads ?? 0;
  for (;;) {
    const next = records.next();
    if (next.done) return;
    if (reader !== undefined && reader.reads !== reads) {
      reads = reader.reads;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    yield next.value;
  }
}
