import { RecordKind } from "../format/record.ts";
import type { LogWriter } from "./log_writer.ts";
import type { MemQueues } from "./mem_queues.ts";

/**
 * Commits the writer's pending records, collecting garbage on the way: if
 * some log files hold no record still in memory (and are not the newest),
 * writes a Touch record for every empty queue (so that its next position
 * survives the files' removal), then commits with fsync and removes those
 * files. Otherwise just commits, with fsync if `sync`. Returns the bytes the
 * Touch records took.
 */
export async function collectGarbageAndCommit(
  queues: MemQueues,
  writer: LogWriter,
  sync: boolean,
): Promise<number> {
  const oldestNeeded = queues.oldestFileNeeded(writer.currentFileNumber);
  let bytes = 0;
  const removable = [...writer.files.keys()].some((n) => n < oldestNeeded);
  if (removable) {
    for (const queue of queues.emptyQueues()) {
      bytes += writer.addControl(
        RecordKind.Touch,
        queue.nameBytes,
        queue.nextPosition,
      ).bytes;
    }
  }
  await writer.commit(sync || removable, removable ? oldestNeeded : 0);
  return bytes;
}
