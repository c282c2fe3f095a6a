/**
 * The memory held by the bodies being read, counted against the log's
 * memory limit (see `readBodyRecords`).
 *
 * @module
 */

import { MemoryLimitError } from "../errors.ts";

/** What {@linkcode bodyMemory} needs of a log (a `MultiRecordLog` has it). */
export interface MemoryGauge {
  /** Payload bytes the log holds. */
  readonly retainedBytes: number;
  /** Retained bytes past which appends are refused (`Infinity` if none). */
  readonly memoryLimitBytes: number;
}

/** The bytes of bodies being read, counted against the log's memory limit. */
export interface BodyMemory {
  /** Bytes held by bodies being read (or waiting for their append). */
  readonly heldBytes: number;
  /**
   * Counts `bytes` more, or raises `MemoryLimitError` (counting nothing) if
   * the log's retained bytes and the bodies' would pass the memory limit.
   */
  reserve(bytes: number): void;
  /** Counts `bytes` less (a body appended or refused). */
  release(bytes: number): void;
}

/**
 * The memory of the bodies being read by a server of `log`: a body's bytes
 * count from their arrival until its append is done (then the log retains
 * its records), so that bodies arriving together cannot pass the limit.
 */
export function bodyMemory(log: MemoryGauge): BodyMemory {
  let held = 0;
  return {
    get heldBytes(): number {
      return held;
    },
    reserve(bytes: number): void {
      const total = log.retainedBytes + held + bytes;
      if (total > log.memoryLimitBytes) {
        throw new MemoryLimitError(log.memoryLimitBytes, total);
      }
      held += bytes;
    },
    release(bytes: number): void {
      held -= bytes;
    },
  };
}
