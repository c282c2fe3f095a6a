import { RecordKind } from "../format/record.ts";
import type { LogWriter } from "./log_writer.ts";
import type { MemQueues } from "./mem_queues.ts";
import { rewriteStateRecord } from "./state_queue.ts";

/**
 * Commits the writer's pending records, collecting garbage on the way: if
 * some log files hold no record of a user queue still in memory (and are not
 * the newest), writes a Touch record for every empty queue (so that its next
 * position survives the files' removal) and writes again the record of every
 * state queue that is in one of them, then commits with fsync and removes
 * those files. Otherwise just commits, with fsync if `sync`. Returns the
 * bytes those records took.
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
    for (const store of queues.stateQueuesBefore(oldestNeeded)) {
      bytes += rewriteStateRecord(queues, writer, store);
    }
  }
  await writer.commit(sync || removable, removable ? oldestNeeded : 0);
  return bytes;
}
