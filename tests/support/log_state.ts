/**
 * What a log holds, seen from outside: the state of its queues as plain data
 * for deep comparisons, the numbers of its segment files, and a count of its
 * change listeners.
 *
 * @module
 */

import type { FileAdapter } from "../../src/storage/file_adapter.ts";
import type { MultiRecordLog } from "../../src/log/multi_record_log.ts";
import { hex } from "./bytes.ts";

/** The plain state of one queue, for deep comparisons. */
export interface QueueState {
  /** `lastPosition(queue)`. */
  last: number | undefined;
  /** `[position, payload as hex]` of every record, in order. */
  records: [number, string][];
}

/** The state of every queue of an open log, by name. */
export function stateOf(log: MultiRecordLog): Record<string, QueueState> {
  const out: Record<string, QueueState> = {};
  for (const queue of log.listQueues()) {
    out[queue] = {
      last: log.lastPosition(queue),
      records: [...log.range(queue)].map((r) => [r.position, hex(r.payload)]),
    };
  }
  return out;
}

/** The numbers of the `wal-` files of `dir`, sorted. */
export function walNumbers(fs: FileAdapter, dir: string): number[] {
  return fs.listFiles(dir)
    .filter((name) => /^wal-[0-9]{20}$/.test(name))
    .map((name) => Number(name.slice(4)))
    .sort((a, b) => a - b);
}

/**
 * Counts the change listeners `log` holds, by wrapping its `onChange`;
 * returns the counter.
 */
export function countListeners(log: MultiRecordLog): () => number {
  let live = 0;
  const onChange = log.onChange.bind(log);
  log.onChange = (listener) => {
    live++;
    const unsubscribe = onChange(listener);
    let done = false;
    return () => {
      if (!done) live--;
      done = true;
      unsubscribe();
    };
  };
  return () => live;
}
