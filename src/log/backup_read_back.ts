/**
 * Reading back the copies a backup made, as a read-only open reads a log,
 * to find where they must be cut: after the last complete record. What
 * follows it (a record still being written, or damage at the end of the
 * log) is left out; damage before it is the log's own and is kept.
 *
 * @module
 */

import { readFully } from "../storage/file_adapter.ts";
import { BLOCK_SIZE, FrameType, HEADER_SIZE } from "../format/frame.ts";
import type { LogEnd, LogFileToRead } from "../storage/frame_reader.ts";
import {
  type DecodedRecord,
  forEachAppendItem,
  RecordKind,
} from "../format/record.ts";
import { readRecords } from "./record_reader.ts";
import { isStateQueueName } from "./state_queue_names.ts";

/** A copy of a log file, open, and the bytes copied into it (whole blocks). */
export interface CopiedFile extends LogFileToRead {
  /** Bytes copied, from the start: the reader goes to the next file there. */
  copied: number;
}

/** A place in the copies: a file's index among them and an offset in it. */
export interface CopyPlace {
  /** The index of the file among the copies. */
  index: number;
  /** The byte offset in that file. */
  offset: number;
}

/** What reading the copies back found. */
export interface ReadBack {
  /**
   * Where to cut: the end of the last complete record (the start of the
   * first file when there is none).
   */
  cut: CopyPlace;
  /** Log records before the cut that decode whole. */
  logRecords: number;
  /** User queues that exist after replaying them (the log's own state queues not counted). */
  queues: number;
  /** Damaged frames or records before the cut: the log's own, kept. */
  damage: number;
  /**
   * True if data after the cut was left out: a record still being written,
   * or damage at the end of the log (zero padding at a block's end is not
   * data).
   */
  tailLeftOut: boolean;
  /**
   * The first damage in the file of index `newest` that a complete record
   * follows, if any: it may be a frame caught half written.
   */
  suspect: CopyPlace | undefined;
}

/**
 * Reads the records of `copies` in order (as `readRecords` does for an
 * open), counting them and the queues, and finds the cut.
 */
export function readBack(
  copies: readonly CopiedFile[],
  newest: number,
): ReadBack {
  const indexOf = new Map(copies.map((c, i) => [c.number, i]));
  const queues = new Set<string>();
  let last: CopyPlace | undefined;
  let logRecords = 0;
  let damage = 0;
  let damageBeforeLast = 0;
  let pending: CopyPlace | undefined;
  let suspect: CopyPlace | undefined;
  const complete = (index: number, offset: number): void => {
    last = { index, offset };
    damageBeforeLast = damage;
    suspect ??= pending;
  };
  const end = readRecords(copies, {
    record(record, bytes, number, offset) {
      const problem = record.kind === RecordKind.AppendRecords
        ? forEachAppendItem(bytes, record.bodyOffset, () => {})
        : undefined;
      if (problem !== undefined) return problem;
      logRecords++;
      replayName(queues, record);
      complete(indexOf.get(number)!, offset);
      return undefined;
    },
    damage(number, offset, _reason, malformed) {
      damage++;
      const index = indexOf.get(number)!;
      if (index === newest) pending ??= { index, offset };
      // A malformed record's frames are complete: it is kept, as damage.
      if (malformed) complete(index, offset);
    },
  });
  const cut = last === undefined
    ? { index: 0, offset: 0 }
    : recordEnd(copies, last);
  return {
    cut,
    logRecords,
    queues: [...queues].filter((name) => !isStateQueueName(name)).length,
    damage: damageBeforeLast,
    tailLeftOut: bytesAfter(copies, cut, end) >= HEADER_SIZE,
    suspect,
  };
}

/** Whether the queue of `record` exists once it is replayed. */
function replayName(queues: Set<string>, record: DecodedRecord): void {
  if (record.kind === RecordKind.DeleteQueue) queues.delete(record.queue);
  else if (record.kind !== RecordKind.Truncate) queues.add(record.queue);
}

/**
 * The end of the record whose first frame is at `start`: its frames are
 * walked (they follow each other, as the reader found them intact), moving
 * to the next block when fewer than a header's bytes are left in one, and
 * to the next file at the end of the bytes copied of one.
 */
function recordEnd(
  copies: readonly CopiedFile[],
  start: CopyPlace,
): CopyPlace {
  const header = new Uint8Array(HEADER_SIZE);
  let { index, offset } = start;
  for (;;) {
    if (readFully(copies[index].file, header, offset) < HEADER_SIZE) {
      throw new Error(`backup: lost a frame header at ${offset}`);
    }
    const type = header[6];
    offset += HEADER_SIZE + (header[4] | (header[5] << 8));
    if (type === FrameType.Full || type === FrameType.Last) {
      return { index, offset };
    }
    if (BLOCK_SIZE - (offset % BLOCK_SIZE) < HEADER_SIZE) {
      offset = Math.ceil(offset / BLOCK_SIZE) * BLOCK_SIZE;
    }
    if (offset >= copies[index].copied) {
      index++;
      offset = 0;
    }
  }
}

/** The bytes the reader went over from `cut` to `end`. */
function bytesAfter(
  copies: readonly CopiedFile[],
  cut: CopyPlace,
  end: LogEnd | undefined,
): number {
  if (end === undefined) return 0;
  let bytes = 0;
  for (let i = cut.index; i <= end.fileIndex; i++) {
    const from = i === cut.index ? cut.offset : 0;
    const to = i === end.fileIndex ? end.offset : copies[i].copied;
    bytes += Math.max(0, to - from);
  }
  return bytes;
}
