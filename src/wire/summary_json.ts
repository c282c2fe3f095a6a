/**
 * A log's summary as plain JSON: what the HTTP server's `GET /queues` answers
 * and the command line's `summary --json` prints (and `summary` shows as
 * text).
 *
 * @module
 */

import type { MultiRecordLog } from "../log/multi_record_log.ts";
import { segmentName } from "../storage/segment_file.ts";

/** One queue in {@linkcode SummaryJson}. */
export interface QueueSummaryJson {
  /** The first position held, or `null` when the queue holds no record. */
  firstPosition: number | null;
  /** The last position, or `null` if the queue never advanced. */
  lastPosition: number | null;
  /** The position the next appended record gets. */
  nextPosition: number;
  /** Records held. */
  recordCount: number;
  /** Payload bytes held. */
  payloadBytes: number;
}

/** A log's summary as plain JSON. */
export interface SummaryJson {
  /** The queues, by name, in name order. */
  queues: Record<string, QueueSummaryJson>;
  /**
   * The log files, oldest first: name and apparent length in bytes (a new
   * file is sized at once but sparse: `disk` says what the files occupy).
   */
  files: { name: string; bytes: number }[];
  /** Retained payload bytes, and the memory limit (`null` if none). */
  memory: { retainedBytes: number; limitBytes: number | null };
  /**
   * The bytes the log files occupy on disk (what the disk limit counts: see
   * `ResourceUsage.diskUsedBytes`), and the disk limit (`null` if none).
   */
  disk: { usedBytes: number; limitBytes: number | null };
  /** Damaged frames or records skipped when the log was opened. */
  corruptionsSkippedOnOpen: number;
}

/** The summary of `log` as plain JSON values. */
export function summaryJson(log: MultiRecordLog): SummaryJson {
  const summary = log.summary();
  const queues: Record<string, QueueSummaryJson> = {};
  for (const [name, q] of Object.entries(summary.queues)) {
    const next = q.end === undefined ? q.start : Math.max(q.start, q.end + 1);
    queues[name] = {
      firstPosition: q.recordCount > 0 ? q.start : null,
      lastPosition: q.end ?? null,
      nextPosition: next,
      recordCount: q.recordCount,
      payloadBytes: q.payloadBytes,
    };
  }
  const limit = log.memoryLimitBytes;
  const diskLimit = log.diskLimitBytes;
  return {
    queues,
    files: summary.files.map((f) => ({
      name: segmentName(f.number),
      bytes: f.bytes,
    })),
    memory: {
      retainedBytes: log.retainedBytes,
      limitBytes: Number.isFinite(limit) ? limit : null,
    },
    disk: {
      usedBytes: log.resourceUsage().diskUsedBytes,
      limitBytes: Number.isFinite(diskLimit) ? diskLimit : null,
    },
    corruptionsSkippedOnOpen: summary.recovery.corruptionCount,
  };
}
