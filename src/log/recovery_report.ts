/**
 * What opening a log found and skipped: the report, how recovery fills it
 * in, and the warnings it gives.
 *
 * @module
 */

import { CorruptionError } from "../errors.ts";

/** Damage skipped while reading the log on open. */
export interface CorruptionReport {
  /** The file where it was found. */
  fileNumber: number;
  /** Byte offset of the damaged frame, block or record in that file. */
  offset: number;
  /** What was wrong. */
  reason: string;
}

/** What opening the log found and skipped. */
export interface RecoveryReport {
  /** Log files read. */
  filesRead: number;
  /** Damage skipped (at most the first 1,000; see `corruptionCount`). */
  corruptions: CorruptionReport[];
  /** Number of damaged frames, blocks or records skipped. */
  corruptionCount: number;
  /**
   * Records dropped per queue because they were inconsistent with the
   * queue's state (a position below its next position, or above 2^53 - 1).
   */
  droppedRecords: Record<string, number>;
  /**
   * Log files found after the end of the data and set aside (renamed
   * `*.detached`); after a read-only open, the files a writable open would
   * set aside, left as they are and not read.
   */
  detachedFiles: string[];
}

/** Damage listed in a report; past this, it is only counted. */
const MAX_REPORTED = 1000;

/** A report of nothing found. */
export function emptyReport(): RecoveryReport {
  return {
    filesRead: 0,
    corruptions: [],
    corruptionCount: 0,
    droppedRecords: {},
    detachedFiles: [],
  };
}

/**
 * Fills in a {@linkcode RecoveryReport} as the log is read. With `strict`,
 * damage raises `CorruptionError` instead. With `readOnly`, damage is held
 * back until an intact record follows it: damage after the last intact
 * record is, in a log being written, a record still being written, and is
 * left out of the report (see `incompleteTail`).
 */
export class RecoveryReportBuilder {
  /** The report being filled in. */
  readonly report: RecoveryReport = emptyReport();
  readonly #strict: boolean;
  readonly #readOnly: boolean;
  readonly #heldBack: CorruptionReport[] = [];
  #lastIntact = { fileNumber: -1, offset: -1 };

  /** A builder of an empty report. */
  constructor(strict: boolean, readOnly: boolean) {
    this.#strict = strict;
    this.#readOnly = readOnly;
  }

  /** True if damage after the last intact record was held back (read-only). */
  get incompleteTail(): boolean {
    return this.#heldBack.length > 0;
  }

  /** A record of intact frames starts at `offset` in file `fileNumber`. */
  intact(fileNumber: number, offset: number): void {
    if (!this.#readOnly) return;
    for (const c of this.#heldBack) this.#add(c.fileNumber, c.offset, c.reason);
    this.#heldBack.length = 0;
    this.#lastIntact = { fileNumber, offset };
  }

  /** Damage at `offset` in file `fileNumber`, skipped. */
  damage(fileNumber: number, offset: number, reason: string): void {
    const last = this.#lastIntact;
    const afterLastIntact = fileNumber > last.fileNumber ||
      (fileNumber === last.fileNumber && offset > last.offset);
    if (this.#readOnly && afterLastIntact) {
      this.#heldBack.push({ fileNumber, offset, reason });
    } else {
      this.#add(fileNumber, offset, reason);
    }
  }

  /** A record of `queue` dropped as inconsistent. */
  dropped(queue: string): void {
    const dropped = this.report.droppedRecords;
    dropped[queue] = (dropped[queue] ?? 0) + 1;
  }

  #add(fileNumber: number, offset: number, reason: string): void {
    if (this.#strict) throw new CorruptionError(fileNumber, offset, reason);
    this.report.corruptionCount++;
    if (this.report.corruptions.length < MAX_REPORTED) {
      this.report.corruptions.push({ fileNumber, offset, reason });
    }
  }
}

/**
 * The warnings about what opening the log in `dir` found: damage skipped,
 * records dropped, files set aside (or, `readOnly`, left unread), and an
 * `incompleteTail` skipped (read-only).
 */
export function recoveryWarnings(
  report: RecoveryReport,
  dir: string,
  readOnly: boolean,
  incompleteTail: boolean,
): string[] {
  const warnings: string[] = [];
  const { corruptionCount, droppedRecords, detachedFiles } = report;
  if (corruptionCount > 0) {
    warnings.push(
      `mrecordlog: skipped ${corruptionCount} damaged frame(s), block(s) or record(s) in ${dir}`,
    );
  }
  for (const [queue, count] of Object.entries(droppedRecords)) {
    warnings.push(
      `mrecordlog: dropped ${count} inconsistent record(s) of queue ${
        JSON.stringify(queue)
      } in ${dir}`,
    );
  }
  if (detachedFiles.length > 0) {
    const files = detachedFiles.join(", ");
    warnings.push(
      readOnly
        ? `mrecordlog: log files after the end of the data, not read (a writable open sets them aside): ${files}`
        : `mrecordlog: set aside log files after the end of the data: ${files}`,
    );
  }
  if (incompleteTail) {
    warnings.push(
      `mrecordlog: the snapshot of ${dir} ends in an incomplete record, skipped (one still being written, or damage at the end of the log)`,
    );
  }
  return warnings;
}
