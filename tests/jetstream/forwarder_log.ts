/**
 * What the forwarding tests share: a log in a temp dir holding a queue of
 * test records, and a forwarder's status as text for assertion messages.
 *
 * @module
 */

import { MultiRecordLog } from "../../mod.ts";
import type { Forwarder } from "../../jetstream.ts";
import { withTempDir } from "../support/temp_dir.ts";
import { appendTestRecords } from "./test_records.ts";

/**
 * A test with a fresh log in a temp dir, `queue` created and holding
 * records 0 to `count - 1` (see `appendTestRecords`).
 */
export function withQueueLog(
  queue: string,
  count: number,
  fn: (log: MultiRecordLog, dir: string) => Promise<void>,
): () => Promise<void> {
  return () =>
    withTempDir(async (dir) => {
      const log = await MultiRecordLog.open(dir);
      try {
        await log.createQueue(queue);
        await appendTestRecords(log, queue, 0, count);
        await fn(log, dir);
      } finally {
        await log.close();
      }
    }, "mrecordlog-jetstream-");
}

/** `forwarder.status()` as JSON, its error as its message. */
export function statusText(forwarder: Forwarder): string {
  const { lastError, ...rest } = forwarder.status();
  return JSON.stringify({ ...rest, lastError: lastError?.message });
}
