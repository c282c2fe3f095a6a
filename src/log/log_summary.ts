/**
 * What `MultiRecordLog.summary` and `MultiRecordLog.resourceUsage` report,
 * from the queues, the log files and what recovery found.
 *
 * @module
 */

import type { LogSummary, QueueSummary, ResourceUsage } from "./log_types.ts";
import type { MemQueues } from "./mem_queues.ts";
import type { RecoveryReport } from "./recovery_report.ts";

/** Every queue's positions and files (the state queues with `internal`), the files and what open skipped. */
export function summarizeLog(
  queues: MemQueues,
  files: ReadonlyMap<number, number>,
  recovery: RecoveryReport,
  internal: boolean,
): LogSummary {
  const summaries: Record<string, QueueSummary> = {};
  for (const q of queues.sorted(internal)) {
    summaries[q.name] = {
      start: q.firstPosition ?? q.nextPosition,
      end: q.visibleNext > 0 ? q.visibleNext - 1 : undefined,
      firstFileNumber: q.firstFileNumber,
      recordCount: q.visibleLength(),
      payloadBytes: q.payloadBytes,
      droppedOnOpen: recovery.droppedRecords[q.name] ?? 0,
    };
  }
  return {
    queues: summaries,
    files: [...files].sort((a, b) => a[0] - b[0])
      .map(([number, bytes]) => ({ number, bytes })),
    recovery: structuredClone(recovery),
  };
}

/** Memory held by the queues' records, and `diskUsedBytes` as given. */
export function measureResourceUsage(
  queues: MemQueues,
  diskUsedBytes: number,
): ResourceUsage {
  const { usedBytes, allocatedBytes } = queues.memoryUsage();
  return {
    memoryUsedBytes: usedBytes,
    memoryAllocatedBytes: allocatedBytes,
    diskUsedBytes,
  };
}
