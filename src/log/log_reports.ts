/**
 * What an open log reports about itself as plain data, from its parts:
 * `MultiRecordLog.summary`, `resourceUsage` and `metrics`. Each raises
 * `LogClosedError` once the log is closed.
 *
 * @module
 */

import type { LogHandle } from "./log_handle.ts";
import { collectLogMetrics, type LogMetrics } from "./log_metrics.ts";
import { measureResourceUsage, summarizeLog } from "./log_summary.ts";
import type {
  InternalQueuesOptions,
  LogSummary,
  ResourceUsage,
} from "./log_types.ts";

/** Every queue's positions and files, the files, and what open skipped. */
export function logSummary(
  log: LogHandle,
  options?: InternalQueuesOptions,
): LogSummary {
  log.checkOpen();
  return summarizeLog(
    log.queues,
    log.files,
    log.recovery,
    options?.internal ?? false,
  );
}

/** Memory held by records, and the bytes the log files occupy on disk. */
export function logResourceUsage(log: LogHandle): ResourceUsage {
  log.checkOpen();
  return measureResourceUsage(log.queues, log.diskUsedBytes());
}

/** The log's figures: usage and limits, per queue, and what was counted. */
export function logMetrics(log: LogHandle): LogMetrics {
  log.checkOpen();
  return collectLogMetrics(
    log.queues,
    {
      memoryAllocatedBytes: log.queues.memoryUsage().allocatedBytes,
      memoryLimitBytes: log.memoryLimitBytes,
      diskUsedBytes: log.diskUsedBytes(),
      diskLimitBytes: log.diskLimitBytes,
      segmentFiles: log.files.size,
    },
    log.writes?.counters,
    log.writes?.writer.fsyncSeconds,
  );
}
