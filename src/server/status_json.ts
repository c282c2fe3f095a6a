/**
 * What the status page polls: `GET /status` answers the log's state as
 * JSON (queues, consumers, memory and disk against their limits, log
 * files), stamped with the server's clock. Append rates are not in it: the
 * page computes them from successive answers (`nextPosition` per queue
 * over `time`), so the server keeps no history and does no work between
 * requests.
 *
 * @module
 */

import type { MultiRecordLog } from "../log/multi_record_log.ts";
import type { ConsumerSummary } from "../log/consumers.ts";
import { summaryJson } from "../wire/summary_json.ts";

/** A consumer of a queue in {@linkcode StatusJson}. */
export interface ConsumerStatusJson {
  /** The consumer's name. */
  name: string;
  /** The last position it acknowledged, or `null` if none yet. */
  acked: number | null;
  /** Records held after its position (that it has yet to process). */
  lag: number;
}

/** One queue in {@linkcode StatusJson}. */
export interface QueueStatusJson {
  /** The queue's name (any string: the page renders it as text). */
  name: string;
  /** The first position held, or `null` when the queue holds no record. */
  firstPosition: number | null;
  /** The last position, or `null` if the queue never advanced. */
  lastPosition: number | null;
  /** The position the next appended record gets (never goes back). */
  nextPosition: number;
  /** Records held. */
  recordCount: number;
  /** Payload bytes held. */
  payloadBytes: number;
  /** The queue's consumers, by name (empty if none). */
  consumers: ConsumerStatusJson[];
}

/** The answer of `GET /status`. */
export interface StatusJson {
  /** The server's clock when this was taken, in ms since the epoch. */
  time: number;
  /** The queues, in name order. */
  queues: QueueStatusJson[];
  /**
   * Memory: retained payload bytes (what `limitBytes` is compared with),
   * bytes used with the per-record index, bytes allocated; `limitBytes` is
   * `null` when there is no limit.
   */
  memory: {
    retainedBytes: number;
    usedBytes: number;
    allocatedBytes: number;
    limitBytes: number | null;
  };
  /**
   * Disk: bytes the log files occupy (see `ResourceUsage.diskUsedBytes`),
   * and the limit, `null` when there is none.
   */
  disk: { usedBytes: number; limitBytes: number | null };
  /** The log files, oldest first: name and apparent length in bytes. */
  files: { name: string; bytes: number }[];
  /** Damaged frames or records skipped when the log was opened. */
  corruptionsSkippedOnOpen: number;
}

/** The state of `log` as the status page shows it, at `now`. */
export function statusJson(
  log: MultiRecordLog,
  now: number = Date.now(),
): StatusJson {
  const summary = summaryJson(log);
  const usage = log.resourceUsage();
  const queues = Object.entries(summary.queues).map(([name, q]) => ({
    name,
    ...q,
    consumers: log.listConsumers(name).map(consumerJson),
  }));
  return {
    time: now,
    queues,
    memory: {
      retainedBytes: summary.memory.retainedBytes,
      usedBytes: usage.memoryUsedBytes,
      allocatedBytes: usage.memoryAllocatedBytes,
      limitBytes: summary.memory.limitBytes,
    },
    disk: {
      usedBytes: usage.diskUsedBytes,
      limitBytes: finiteOrNull(log.diskLimitBytes),
    },
    files: summary.files,
    corruptionsSkippedOnOpen: summary.corruptionsSkippedOnOpen,
  };
}

function consumerJson(consumer: ConsumerSummary): ConsumerStatusJson {
  return {
    name: consumer.name,
    acked: consumer.acked ?? null,
    lag: consumer.lag,
  };
}

function finiteOrNull(limit: number): number | null {
  return Number.isFinite(limit) ? limit : null;
}
